package promote_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/coditect/phasegen/internal/base"
	pgconfig "github.com/coditect/phasegen/internal/config"
	"github.com/coditect/phasegen/internal/fileset"
	"github.com/coditect/phasegen/internal/gate"
	"github.com/coditect/phasegen/internal/gitops"
	"github.com/coditect/phasegen/internal/gitops/local"
	"github.com/coditect/phasegen/internal/kbuild"
	"github.com/coditect/phasegen/internal/layout"
	"github.com/coditect/phasegen/internal/overlay"
	"github.com/coditect/phasegen/internal/promote"
	"github.com/coditect/phasegen/templates"
)

var fixedNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

const root = "apps/coditect"

type fixture struct {
	cfg *pgconfig.Set
	b   *base.Base
}

func shipped(t testing.TB) fixture {
	t.Helper()
	cfg, err := pgconfig.Load("../testdata/example/environments")
	if err != nil {
		t.Fatal(err)
	}
	b, err := base.Load(templates.FS())
	if err != nil {
		t.Fatal(err)
	}
	return fixture{cfg, b}
}

func (f fixture) render(t testing.TB, b *base.Base, env, phase string) fileset.Set {
	t.Helper()
	e, _ := f.cfg.Environment(env)
	p, ok := f.cfg.Phase(phase)
	if !ok {
		t.Fatalf("no phase %s", phase)
	}
	files, err := overlay.Render(overlay.Input{Config: f.cfg, Base: b, Env: e, Phase: p})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// tree returns what a promotion of env to phase writes under gitops.path
// (layout.Tree of its render): its own tree, its Application.
func (f fixture) tree(t testing.TB, b *base.Base, env, phase string) fileset.Set {
	t.Helper()
	e, _ := f.cfg.Environment(env)
	files := f.render(t, b, env, phase)
	built, err := kbuild.Build(files, overlay.EnvDir(env))
	if err != nil {
		t.Fatal(err)
	}
	out, _, err := layout.Tree(e, files, built)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// withBaseFiles returns the shipped base with files replaced or added
// (paths relative to the base folder).
func (f fixture) withBaseFiles(t *testing.T, edit func(files map[string][]byte)) *base.Base {
	t.Helper()
	files := map[string][]byte{}
	for p, b := range f.b.Files {
		files[p] = b
	}
	edit(files)
	fsys := fstest.MapFS{}
	for p, b := range files {
		fsys["base/"+p] = &fstest.MapFile{Data: b}
	}
	b, err := base.Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func grown(t *testing.T, f fixture) *base.Base {
	return f.withBaseFiles(t, func(files map[string][]byte) {
		files["statefulset.yaml"] = bytes.Replace(files["statefulset.yaml"], []byte("storage: 50Gi"), []byte("storage: 100Gi"), 1)
	})
}

// newRepo makes a bare repository whose main branch has one commit holding
// README.md, without a git binary.
func newRepo(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "gitops.git")
	r, err := gogit.PlainInitWithOptions(dir, &gogit.PlainInitOptions{
		Bare:        true,
		InitOptions: gogit.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName("main")},
	})
	if err != nil {
		t.Fatal(err)
	}
	st := r.Storer
	blob := st.NewEncodedObject()
	blob.SetType(plumbing.BlobObject)
	w, _ := blob.Writer()
	w.Write([]byte("# Argo CD apps\n"))
	w.Close()
	bh, err := st.SetEncodedObject(blob)
	if err != nil {
		t.Fatal(err)
	}
	tree := &object.Tree{Entries: []object.TreeEntry{{Name: "README.md", Mode: filemode.Regular, Hash: bh}}}
	to := st.NewEncodedObject()
	if err := tree.Encode(to); err != nil {
		t.Fatal(err)
	}
	th, err := st.SetEncodedObject(to)
	if err != nil {
		t.Fatal(err)
	}
	sig := object.Signature{Name: "seed", Email: "seed@example.com", When: fixedNow}
	c := &object.Commit{Author: sig, Committer: sig, Message: "seed\n", TreeHash: th}
	co := st.NewEncodedObject()
	if err := c.Encode(co); err != nil {
		t.Fatal(err)
	}
	ch, err := st.SetEncodedObject(co)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SetReference(plumbing.NewHashReference(plumbing.NewBranchReferenceName("main"), ch)); err != nil {
		t.Fatal(err)
	}
	return dir
}

func openRepo(t testing.TB, dir string) *local.Repo {
	t.Helper()
	r, err := local.OpenWith(dir, local.Options{Now: func() time.Time { return fixedNow }})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// branchRef opens the repository at dir and resolves branch in it; the
// error is the lookup's (a missing branch).
func branchRef(t testing.TB, dir, branch string) (*gogit.Repository, *plumbing.Reference, error) {
	t.Helper()
	r, err := gogit.PlainOpen(dir)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := r.Reference(plumbing.NewBranchReferenceName(branch), true)
	return r, ref, err
}

// merge moves main to branch, as merging the promotion's PR would.
func merge(t testing.TB, dir, branch string) {
	t.Helper()
	r, ref, err := branchRef(t, dir, branch)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Storer.SetReference(plumbing.NewHashReference(plumbing.NewBranchReferenceName("main"), ref.Hash())); err != nil {
		t.Fatal(err)
	}
}

// tip returns the commit branch points at, "" when it does not exist.
func tip(t testing.TB, dir, branch string) string {
	t.Helper()
	_, ref, err := branchRef(t, dir, branch)
	if err != nil {
		return ""
	}
	return ref.Hash().String()
}

// treeFiles returns the files of branch under dir (paths relative to dir).
func treeFiles(t testing.TB, repoDir, branch, dir string) fileset.Set {
	t.Helper()
	r, ref, err := branchRef(t, repoDir, branch)
	if err != nil {
		t.Fatal(err)
	}
	c, err := r.CommitObject(ref.Hash())
	if err != nil {
		t.Fatal(err)
	}
	tree, err := c.Tree()
	if err != nil {
		t.Fatal(err)
	}
	out := fileset.Set{}
	err = tree.Files().ForEach(func(f *object.File) error {
		s, err := f.Contents()
		if err != nil {
			return err
		}
		out[f.Name] = []byte(s)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.Under(dir)
}

func (f fixture) opts(tg gitops.Repo, to string) promote.Options {
	return promote.Options{
		Config: f.cfg, Base: f.b, Env: "production", To: to, Target: tg,
		Author:    gitops.Signature{Name: "tester", Email: "tester@example.com"},
		Overrides: gate.Overrides{Skip: "--allow-skip", Recreate: "--allow-recreate", Early: "--allow-early", TakeOver: "--take-over"},
	}
}

func mustContain(t testing.TB, what, s string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(s, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, s)
		}
	}
}

var ctx = context.Background()
