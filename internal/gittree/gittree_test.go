package gittree_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/coditect/phasegen/internal/gittree"
)

func write(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for p, s := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func commit(t *testing.T, r *gogit.Repository, msg string) plumbing.Hash {
	t.Helper()
	w, err := r.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	if err := w.AddWithOptions(&gogit.AddOptions{All: true}); err != nil {
		t.Fatal(err)
	}
	sig := &object.Signature{Name: "t", Email: "t@example.com", When: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	h, err := w.Commit(msg, &gogit.CommitOptions{Author: sig, Committer: sig, AllowEmptyCommits: true})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestFS(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{
		"README.md":                  "top\n",
		"environments/a.yaml":        "a: 1\n",
		"environments/phases/b.yaml": "b: 2\n",
		"templates/base/k.yaml":      "k: 3\n",
	})
	r, err := gogit.PlainInit(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	first := commit(t, r, "one")
	write(t, dir, map[string]string{"environments/a.yaml": "a: changed\n", "new.txt": "new\n"})
	commit(t, r, "two")

	repo, err := gittree.Open(filepath.Join(dir, "environments", "phases"))
	if err != nil {
		t.Fatal(err)
	}
	if rel, err := repo.Rel(filepath.Join(dir, "templates")); err != nil || rel != "templates" {
		t.Fatalf("Rel: %q, %v", rel, err)
	}
	if _, err := repo.Rel(t.TempDir()); err == nil || !strings.Contains(err.Error(), "is outside the git repository at") {
		t.Fatal("Rel accepted a directory outside the repository")
	}
	c, err := repo.Resolve("HEAD~1")
	if err != nil || c.Hash != first {
		t.Fatalf("Resolve(HEAD~1) = %v, %v; want %s", c, err, first)
	}
	fsys, err := repo.FS(c)
	if err != nil {
		t.Fatal(err)
	}
	// The tree at the first commit, not the work tree.
	if err := fstest.TestFS(fsys, "README.md", "environments/a.yaml", "environments/phases/b.yaml", "templates/base/k.yaml"); err != nil {
		t.Fatal(err)
	}
	if b, err := fs.ReadFile(fsys, "environments/a.yaml"); err != nil || string(b) != "a: 1\n" {
		t.Fatalf("a.yaml at HEAD~1: %q, %v", b, err)
	}
	cfs := fsys.(interface {
		SameContent(string, []byte) bool
	})
	if !cfs.SameContent("environments/a.yaml", []byte("a: 1\n")) || cfs.SameContent("environments/a.yaml", []byte("a: changed\n")) ||
		cfs.SameContent("environments", nil) || cfs.SameContent("nope", nil) {
		t.Error("SameContent does not compare blob ids")
	}
	if _, err := fs.Stat(fsys, "new.txt"); !os.IsNotExist(err) {
		t.Fatalf("new.txt at HEAD~1: %v, want not found", err)
	}
	if _, err := repo.Resolve("no-such-branch"); err == nil || !strings.Contains(err.Error(), `revision "no-such-branch": no branch, tag, remote branch or commit of that name`) {
		t.Fatal("Resolve accepted an unknown revision")
	}
}

func TestDefaultBase(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{"f": "1\n"})
	r, err := gogit.PlainInit(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	root := commit(t, r, "root")
	repo, err := gittree.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	// No upstream: HEAD.
	c, what, err := repo.DefaultBase()
	if err != nil || c.Hash != root || what != "HEAD" {
		t.Fatalf("DefaultBase = %v, %q, %v; want HEAD", c.Hash, what, err)
	}
	// A branch that follows origin/main, which moved on after the fork.
	if err := r.Storer.SetReference(plumbing.NewHashReference("refs/remotes/origin/main", root)); err != nil {
		t.Fatal(err)
	}
	w, _ := r.Worktree()
	if err := w.Checkout(&gogit.CheckoutOptions{Branch: "refs/heads/feature", Create: true}); err != nil {
		t.Fatal(err)
	}
	cfg, _ := r.Config()
	cfg.Branches["feature"] = &config.Branch{Name: "feature", Remote: "origin", Merge: "refs/heads/main"}
	if err := r.SetConfig(cfg); err != nil {
		t.Fatal(err)
	}
	write(t, dir, map[string]string{"f": "2\n"})
	commit(t, r, "feature work")
	// origin/main gets a commit of its own, not on the feature branch.
	other, err := r.CommitObject(root)
	if err != nil {
		t.Fatal(err)
	}
	sig := object.Signature{Name: "o", Email: "o@example.com", When: time.Date(2026, 1, 3, 0, 0, 0, 0, time.UTC)}
	oc := &object.Commit{Author: sig, Committer: sig, Message: "upstream", TreeHash: other.TreeHash, ParentHashes: []plumbing.Hash{root}}
	eo := r.Storer.NewEncodedObject()
	if err := oc.Encode(eo); err != nil {
		t.Fatal(err)
	}
	up, err := r.Storer.SetEncodedObject(eo)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Storer.SetReference(plumbing.NewHashReference("refs/remotes/origin/main", up)); err != nil {
		t.Fatal(err)
	}
	c, what, err = repo.DefaultBase()
	if err != nil || c.Hash != root || what != "the merge base with refs/remotes/origin/main" {
		t.Fatalf("DefaultBase = %s, %q, %v; want the merge base %s", c.Hash, what, err, root)
	}
}

func TestOpenOutsideRepository(t *testing.T) {
	if _, err := gittree.Open(t.TempDir()); err == nil || !strings.Contains(err.Error(), "is not inside a git repository") {
		t.Fatal("Open succeeded outside a git repository")
	}
}
