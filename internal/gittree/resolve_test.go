package gittree_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coditect/phasegen/internal/gittest"
	"github.com/coditect/phasegen/internal/gittree"
)

func needGit(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
}

// historyRepo has main with three commits, a merge of branch side, an
// annotated tag and a lightweight one, and a branch named like an
// abbreviated commit id.
func historyRepo(t *testing.T) string {
	t.Helper()
	needGit(t)
	dir := t.TempDir()
	when := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	git := func(args ...string) string { return gittest.At(t, dir, when, args...) }
	git("init", "-q", "-b", "main")
	for i, f := range []string{"a", "b", "c"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(f), 0o644); err != nil {
			t.Fatal(err)
		}
		git("add", f)
		git("commit", "-q", "-m", f)
		if i == 1 {
			git("branch", "side")
		}
	}
	git("checkout", "-q", "side")
	if err := os.WriteFile(filepath.Join(dir, "s"), []byte("s"), 0o644); err != nil {
		t.Fatal(err)
	}
	git("add", "s")
	git("commit", "-q", "-m", "s")
	git("checkout", "-q", "main")
	git("merge", "-q", "--no-ff", "-m", "merge side", "side")
	git("tag", "-a", "-m", "v1", "v1", "HEAD~1")
	git("tag", "light", "HEAD^2")
	// A branch whose name is a prefix of another commit's id: git takes the
	// branch, go-git's own resolver the commit.
	first := git("rev-parse", "HEAD~2")
	git("branch", first[:7], "side")
	return dir
}

func TestResolveAsGitDoes(t *testing.T) {
	dir := historyRepo(t)
	when := time.Now()
	repo, err := gittree.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	first := gittest.At(t, dir, when, "rev-parse", "HEAD~2")
	for _, rev := range []string{"HEAD", "@", "main", "HEAD~1", "HEAD^", "HEAD^2", "HEAD^1~1", "HEAD~2^0", "v1", "light",
		"refs/heads/side", "side~1", first, first[:7], first[:10], strings.ToUpper(first[:12])} {
		want := gittest.At(t, dir, when, "rev-parse", "--verify", "-q", rev+"^{commit}")
		c, err := repo.Resolve(rev)
		if err != nil {
			t.Errorf("Resolve(%q): %v, git says %s", rev, err, want)
			continue
		}
		if c.Hash.String() != want {
			t.Errorf("Resolve(%q) = %s, git says %s", rev, c.Hash, want)
		}
	}
	for rev, why := range map[string]string{
		"main@{upstream}": "@{...}", "HEAD@{5}": "@{...}", "main@{push}": "@{...}", "@{-1}": "@{...}",
		"HEAD^{blob}": `"{blob}" after a step`, "HEAD^{commit}": `"{commit}" after a step`, "HEAD:a": "not a name",
		"main..side": "not a name", "HEAD~1:a": `":a" after a step`, "nope": "no branch, tag",
		"HEAD^3": "no parent 3", "HEAD~9": "has no parent", "": "no name",
	} {
		_, err := repo.Resolve(rev)
		if err == nil || !strings.Contains(err.Error(), why) || !strings.Contains(err.Error(), `"`+rev+`"`) {
			t.Errorf("Resolve(%q): %v, want an error naming it and saying %q", rev, err, why)
		}
	}
}

// A shallow clone whose upstream's merge base is not fetched is an error,
// not a review against HEAD (which would show no change).
func TestDefaultBaseShallow(t *testing.T) {
	src := historyRepo(t)
	when := time.Now()
	gittest.At(t, src, when, "checkout", "-q", "-b", "feature", "HEAD~1")
	if err := os.WriteFile(filepath.Join(src, "f"), []byte("f"), 0o644); err != nil {
		t.Fatal(err)
	}
	gittest.At(t, src, when, "add", "f")
	gittest.At(t, src, when, "commit", "-q", "-m", "f")
	gittest.At(t, src, when, "checkout", "-q", "main")
	gittest.At(t, src, when, "commit", "-q", "--allow-empty", "-m", "main moves on")

	clone := filepath.Join(t.TempDir(), "clone")
	gittest.At(t, filepath.Dir(clone), when, "clone", "-q", "--depth", "1", "--no-single-branch", "file://"+src, clone)
	gittest.At(t, clone, when, "checkout", "-q", "feature")
	gittest.At(t, clone, when, "branch", "-q", "--set-upstream-to", "origin/main")
	repo, err := gittree.Open(clone)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := repo.DefaultBase(); err == nil || !strings.Contains(err.Error(), "no merge base of HEAD and refs/remotes/origin/main in this clone") {
		t.Fatalf("DefaultBase in a shallow clone: %v, want no merge base", err)
	}

	full := filepath.Join(t.TempDir(), "full")
	gittest.At(t, filepath.Dir(full), when, "clone", "-q", "file://"+src, full)
	gittest.At(t, full, when, "checkout", "-q", "feature")
	gittest.At(t, full, when, "branch", "-q", "--set-upstream-to", "origin/main")
	repo, err = gittree.Open(full)
	if err != nil {
		t.Fatal(err)
	}
	c, what, err := repo.DefaultBase()
	want := gittest.At(t, full, when, "merge-base", "HEAD", "origin/main")
	if err != nil || c.Hash.String() != want || what != "the merge base with refs/remotes/origin/main" {
		t.Fatalf("DefaultBase = %v, %q, %v; want %s", c, what, err, want)
	}
	// An upstream this clone does not have is an error too.
	gittest.At(t, full, when, "config", "branch.feature.merge", "refs/heads/gone")
	if _, _, err := repo.DefaultBase(); err == nil || !strings.Contains(err.Error(), "refs/remotes/origin/gone, which this clone does not have") {
		t.Fatalf("missing upstream: %v", err)
	}
}
