package promote_test

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	gogit "github.com/go-git/go-git/v5"
	"github.com/gobwas/glob"
	"sigs.k8s.io/yaml"

	"github.com/coditect/phasegen/internal/argocd"
	"github.com/coditect/phasegen/internal/base"
	pgconfig "github.com/coditect/phasegen/internal/config"
	"github.com/coditect/phasegen/internal/fileset"
	"github.com/coditect/phasegen/internal/gate"
	"github.com/coditect/phasegen/internal/gitops"
	"github.com/coditect/phasegen/internal/kbuild"
	"github.com/coditect/phasegen/internal/kbuild/stocktest"
	"github.com/coditect/phasegen/internal/overlay"
	"github.com/coditect/phasegen/internal/promote"
)

// otherApp is the shipped configuration as another team's app: named app,
// its namespaces <app>-app and <app>-staging (or the shipped ones when
// sameNamespaces), its environments' trees under gitopsPath.
func otherApp(t *testing.T, app, gitopsPath string, sameNamespaces bool) fixture {
	t.Helper()
	src := filepath.Join("..", "testdata", "example", "environments")
	dir := filepath.Join(t.TempDir(), "environments")
	r := []string{"name: coditect\n", "name: " + app + "\n", "path: apps/coditect", "path: " + gitopsPath}
	if !sameNamespaces {
		r = append(r, "namespace: coditect-app", "namespace: "+app+"-app", "namespace: coditect-staging", "namespace: "+app+"-staging")
	}
	rep := strings.NewReplacer(r...)
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		out := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return err
		}
		return os.WriteFile(out, []byte(rep.Replace(string(data))), 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := pgconfig.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return fixture{cfg, shipped(t).b}
}

func (f fixture) promoteEnv(t *testing.T, tg gitops.Repo, env, to string) promote.Outcome {
	t.Helper()
	o := f.opts(tg, to)
	o.Env = env
	out, err := promote.Promote(ctx, o)
	if err != nil {
		t.Fatalf("%s/%s to %s: %v", f.cfg.Capacity.Metadata.Name, env, to, err)
	}
	return out
}

// built is phasegen build of env at phase with b.
func (f fixture) built(t *testing.T, b *base.Base, env, phase string) []byte {
	t.Helper()
	out, err := kbuild.Build(f.render(t, b, env, phase), overlay.EnvDir(env))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// argoBuilds finds every Application of branch's tree the way the parent
// Application does (argocd.ParentInclude, with Argo CD's glob library) and
// builds each at its source path with the stock kustomize: name → bytes.
func argoBuilds(t *testing.T, dir, branch string) map[string][]byte {
	t.Helper()
	files := treeFiles(t, dir, branch, "")
	work := stocktest.WriteTree(t, files)
	include := glob.MustCompile(argocd.ParentInclude)
	out := map[string][]byte{}
	for _, p := range files.Paths() {
		if !include.Match(p) {
			continue
		}
		var app argocd.App
		if err := yaml.Unmarshal(files[p], &app); err != nil || app.Kind != argocd.KindApplication {
			t.Fatalf("%s, picked by the parent, is not an Application: %v", p, err)
		}
		out[app.Metadata.Name] = stocktest.Build(t, work, app.Spec.Source.Path)
	}
	return out
}

// Acceptance 1, local: two apps with environments named alike share one
// GitOps repository. Their open promotions survive each other; every
// Application of the merged tree (found as the parent finds them) built
// with stock kustomize at its source path is phasegen build of its
// environment; and a base change promoted to one app's staging changes no
// other environment's built bytes.
func TestSharedRepositoryTwoApps(t *testing.T) {
	a, b := shipped(t), otherApp(t, "ide", "apps/ide", false)
	dir := newRepo(t)
	tg := openRepo(t, dir)

	first := a.promoteEnv(t, tg, "production", "pre-launch")
	second := b.promoteEnv(t, tg, "production", "pre-launch")
	if first.Head != "phasegen/coditect/production" || second.Head != "phasegen/ide/production" {
		t.Fatalf("heads %s and %s", first.Head, second.Head)
	}
	if got := tip(t, dir, first.Head); got != first.Write.Commit {
		t.Fatalf("the second app's promotion moved the first's open branch to %s", got)
	}
	merge(t, dir, first.Head)
	// The second app's branch still holds its own promotion, on top of the
	// old main; a rerun puts it on top of the new one, as GitHub's update
	// branch would.
	if got := tip(t, dir, second.Head); got != second.Write.Commit {
		t.Fatalf("the first app's merge moved the second's branch")
	}
	b.promoteEnv(t, tg, "production", "pre-launch")
	merge(t, dir, second.Head)
	for _, f := range []fixture{a, b} {
		f.promoteEnv(t, tg, "staging", "pre-launch")
		merge(t, dir, promote.Head(mustEnv(t, f, "staging")))
	}

	want := map[string][]byte{}
	for _, f := range []fixture{a, b} {
		for _, env := range []string{"production", "staging"} {
			want[mustEnv(t, f, env).ApplicationName()] = f.built(t, f.b, env, "pre-launch")
		}
	}
	before := argoBuilds(t, dir, "main")
	if got := slices.Sorted(maps.Keys(before)); !slices.Equal(got, []string{"coditect-production", "coditect-staging", "ide-production", "ide-staging"}) {
		t.Fatalf("the parent finds the Applications %v", got)
	}
	for name, w := range want {
		if !bytes.Equal(before[name], w) {
			t.Errorf("%s: stock kustomize at its source path differs from phasegen build", name)
		}
	}

	// A base change promoted to the first app's staging.
	changed := a.withBaseFiles(t, func(files map[string][]byte) {
		files["statefulset.yaml"] = bytes.Replace(files["statefulset.yaml"], []byte("image: "), []byte("image: registry.example/"), 1)
	})
	o := a.opts(tg, "pre-launch")
	o.Env, o.Base = "staging", changed
	out, err := promote.Promote(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "PR body", out.Body, "It changes one environment, staging: its tree `apps/coditect/staging/` and its Application. Its base changes; production keeps the base it holds until promoted.")
	for p := range out.Files {
		if !strings.HasPrefix(p, "staging/") && p != "overlays/argocd/staging.yaml" {
			t.Errorf("the staging promotion writes %s", p)
		}
	}
	merge(t, dir, out.Head)
	after := argoBuilds(t, dir, "main")
	for name := range before {
		same := bytes.Equal(after[name], before[name])
		if name == "coditect-staging" {
			if same || !bytes.Equal(after[name], a.built(t, changed, "staging", "pre-launch")) {
				t.Errorf("coditect-staging does not build the new base")
			}
		} else if !same {
			t.Errorf("%s changed when coditect's staging was promoted", name)
		}
	}
}

func mustEnv(t *testing.T, f fixture, name string) *pgconfig.Environment {
	t.Helper()
	e, ok := f.cfg.Environment(name)
	if !ok {
		t.Fatalf("no environment %s", name)
	}
	return e
}

// Acceptance 2: what another app owns, a head branch someone else wrote,
// an object another environment deploys on the same cluster, a file
// phasegen did not write, and a rename of a held Application are each
// refused, naming what would have been overwritten, with nothing written.
func TestSharedRepositoryRefusals(t *testing.T) {
	a := shipped(t)
	dir := seeded(t, a) // coditect production at pre-launch on main
	tg := openRepo(t, dir)
	refused := func(t *testing.T, f fixture, env string, o promote.Options, wants ...string) error {
		t.Helper()
		main, head := tip(t, dir, "main"), tip(t, dir, promote.Head(mustEnv(t, f, env)))
		_, err := promote.Promote(ctx, o)
		if err == nil {
			t.Fatalf("accepted, want a refusal saying %q", wants)
		}
		mustContain(t, "error", err.Error(), wants...)
		if tip(t, dir, "main") != main || tip(t, dir, promote.Head(mustEnv(t, f, env))) != head {
			t.Errorf("a refused promotion wrote a branch")
		}
		return err
	}
	envOpts := func(f fixture, env, to string) promote.Options {
		o := f.opts(tg, to)
		o.Env = env
		return o
	}

	t.Run("a path another app owns", func(t *testing.T) {
		b := otherApp(t, "ide", "apps/coditect", false)
		err := refused(t, b, "production", envOpts(b, "production", "pre-launch"),
			"apps/coditect/production on main belongs to environment production of app coditect", "not to environment production of app ide")
		if !errors.Is(err, promote.ErrNotOurs) {
			t.Errorf("err = %v, want ErrNotOurs", err)
		}
	})
	t.Run("an object another environment deploys", func(t *testing.T) {
		b := otherApp(t, "ide", "apps/ide", true)
		refused(t, b, "production", envOpts(b, "production", "pre-launch"),
			"environment production of app ide would deploy objects another environment's Application owns",
			"StatefulSet.apps coditect-combined (in namespace coditect-app, on https://kubernetes.default.svc) is already deployed by environment production of app coditect (apps/coditect/production)")
	})
	t.Run("a foreign head branch", func(t *testing.T) {
		res, err := tg.Write(ctx, gitops.Change{Base: "main", Head: "phasegen/coditect/production", Root: "notes", Files: fileset.Set{"x.md": []byte("mine\n")},
			Message: "someone's fix on the promotion branch\n", Author: gitops.Signature{Name: "someone", Email: "someone@example.com"}})
		if err != nil || !res.Changed {
			t.Fatalf("planting the branch: %v", err)
		}
		o := envOpts(a, "production", "beta")
		o.ForceBranch = true
		err = refused(t, a, "production", o, "branch phasegen/coditect/production is at", "a commit that is not this promotion's", "Phasegen-Promotion: coditect/production")
		if !errors.Is(err, gitops.ErrForeignHead) {
			t.Errorf("err = %v, want ErrForeignHead", err)
		}
	})
	t.Run("a rename of the held Application", func(t *testing.T) {
		f := shipped(t)
		mustEnv(t, f, "production").Spec.ArgoCD.ApplicationName = "ide-prod"
		err := refused(t, f, "production", envOpts(f, "production", "beta"),
			"the Argo CD Application argocd/coditect-production is renamed argocd/ide-prod", "set spec.argocd.applicationName back to coditect-production",
			"kubectl -n argocd patch application coditect-production --type json")
		if !gate.IsRefused(err) {
			t.Errorf("err = %v, want a gate refusal", err)
		}
	})
	t.Run("a file phasegen did not write", func(t *testing.T) {
		res, err := tg.Write(ctx, gitops.Change{Base: "main", Head: "hand", Root: root, Files: fileset.Set{"production/overlays/production/extra.yaml": []byte("kind: ConfigMap\n")},
			Message: "a hand-written patch\n", Author: gitops.Signature{Name: "someone", Email: "someone@example.com"}})
		if err != nil || !res.Changed {
			t.Fatalf("planting the file: %v", err)
		}
		merge(t, dir, "hand")
		refused(t, a, "production", envOpts(a, "production", "beta"),
			"apps/coditect/production on main holds files phasegen did not write (or that were edited since): apps/coditect/production/overlays/production/extra.yaml")
	})
}

// Acceptance 1 through the GitHub fake: the open pull requests of two apps'
// environments named alike survive each other, and each names its app.
func TestSharedRepositoryGitHub(t *testing.T) {
	a, b := shipped(t), otherApp(t, "ide", "apps/ide", false)
	g := newGitHub(t, a, a.b, true)
	pa := a.ghOpts(g.target(t, token), "pre-launch")
	first, err := promote.Promote(ctx, pa)
	if err != nil {
		t.Fatal(err)
	}
	pb := b.ghOpts(g.target(t, token), "pre-launch")
	if _, err := promote.Promote(ctx, pb); err != nil {
		t.Fatal(err)
	}
	prs := g.fake.PullRequests()
	if len(prs) != 2 || prs[0].Head != "phasegen/coditect/production" || prs[1].Head != "phasegen/ide/production" ||
		prs[0].State != "open" || prs[1].State != "open" ||
		prs[0].Title != "coditect/production: none → pre-launch" || prs[1].Title != "ide/production: none → pre-launch" {
		t.Fatalf("pull requests %+v", prs)
	}
	files, err := g.fake.Files("phasegen/coditect/production")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fileset.Set(files).Under(root), a.tree(t, a.b, "production", "pre-launch"); !fileset.Equal(got, want) {
		t.Errorf("the first app's open branch changed under the second's promotion")
	}
	if err := g.fake.MergePR(prs[0].Number); err != nil {
		t.Fatal(err)
	}
	if _, err := promote.Promote(ctx, pb); err != nil {
		t.Fatal(err)
	}
	if err := g.fake.MergePR(prs[1].Number); err != nil {
		t.Fatal(err)
	}
	main, err := g.fake.Files("main")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		f    fixture
		root string
	}{{a, root}, {b, "apps/ide"}} {
		if got, want := fileset.Set(main).Under(c.root), c.f.tree(t, c.f.b, "production", "pre-launch"); !fileset.Equal(got, want) {
			t.Errorf("%s on main after both merges: %v, want %v", c.root, got.Paths(), want.Paths())
		}
	}
	_ = first
}

// Performance: a GitOps repository of 100 apps × 3 environments costs a
// promotion the same calls as one holding the app alone (the first run of
// TestPromoteGitHubCallCount: 18).
func TestSharedRepositoryGitHubCalls(t *testing.T) {
	a := shipped(t)
	g := newGitHub(t, a, a.b, false)
	seed := map[string][]byte{}
	held := a.tree(t, a.b, "production", "pre-launch")
	for i := range 100 {
		app := fmt.Sprintf("app%03d", i)
		for _, env := range []string{"production", "staging", "dev"} {
			for p, data := range held {
				p = strings.Replace(p, "production", env, 1)
				p = strings.ReplaceAll(p, "coditect-app", app+"-"+env)
				p = strings.ReplaceAll(p, "coditect-production", app+"-"+env)
				seed["apps/"+app+"/"+p] = data
			}
		}
	}
	files, err := g.fake.Files("main")
	if err != nil {
		t.Fatal(err)
	}
	for p, data := range files {
		seed[p] = data
	}
	if _, err := g.fake.Seed(seed); err != nil {
		t.Fatal(err)
	}
	g.fake.ResetCalls()
	if _, err := promote.Promote(ctx, a.ghOpts(g.target(t, token), "beta")); err != nil {
		t.Fatal(err)
	}
	if n, got := calls(g.fake); n != 18 {
		t.Errorf("%d calls in a repository of 300 environments, want the 18 of one app alone: %s", n, got)
	}
}

// An empty GitOps repository (no commit, so no branch) is named as empty,
// with the commands that give it a first commit.
func TestPromoteIntoAnEmptyRepository(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "empty.git")
	if _, err := gogit.PlainInit(dir, true); err != nil {
		t.Fatal(err)
	}
	_, err := promote.Promote(ctx, shipped(t).opts(openRepo(t, dir), "pre-launch"))
	if !errors.Is(err, gitops.ErrNoBranch) {
		t.Fatalf("err = %v, want ErrNoBranch", err)
	}
	mustContain(t, "error", err.Error(), `the GitOps repository is empty (it has no commit, so no branch "main" yet)`,
		"git commit --allow-empty -m 'initial commit' && git push origin HEAD:main")
}
