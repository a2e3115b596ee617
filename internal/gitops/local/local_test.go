package local

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coditect/phasegen/internal/gittest"
	"github.com/coditect/phasegen/internal/gittree"

	"github.com/coditect/phasegen/internal/fileset"
	"github.com/coditect/phasegen/internal/gitops"
)

var fixedNow = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)

// git runs the real git CLI in dir, isolated from the user's configuration.
func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := gitErr(t, dir, args...)
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func gitErr(t *testing.T, dir string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	home := t.TempDir()
	cmd.Env = append(os.Environ(),
		"HOME="+home, "XDG_CONFIG_HOME="+home, "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=Seed", "GIT_AUTHOR_EMAIL=seed@example.com",
		"GIT_COMMITTER_NAME=Seed", "GIT_COMMITTER_EMAIL=seed@example.com",
		"GIT_AUTHOR_DATE=2024-01-01T00:00:00Z", "GIT_COMMITTER_DATE=2024-01-01T00:00:00Z",
	)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func needGit(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git CLI not installed")
	}
}

// seedFiles is the base content: generated files under the root, one of
// them in a subdirectory that should disappear, and unrelated files.
var seedFiles = map[string]string{
	"README.md": "top\n",
	"apps/coditect/overlays/production/old.yaml":      "stale: true\n",
	"apps/coditect/overlays/production/sub/deep.yaml": "deep: true\n",
	"apps/coditect/overlays/production/keep-me.yaml":  "rewritten: no\n",
	"apps/coditect/overlays/staging/x.yaml":           "staging: untouched\n",
	"apps/coditect/notes.txt":                         "not owned\n",
	"other/keep.txt":                                  "other\n",
}

// newRepo makes a non-bare repository on branch main holding files; with
// bare it returns a bare clone of it instead.
func newRepo(t *testing.T, bare bool, files map[string]string) string {
	t.Helper()
	needGit(t)
	dir := filepath.Join(t.TempDir(), "work")
	git(t, filepath.Dir(dir), "init", "-q", "-b", "main", dir)
	for p, c := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-q", "-m", "seed")
	if !bare {
		return dir
	}
	bareDir := filepath.Join(t.TempDir(), "bare.git")
	git(t, filepath.Dir(dir), "clone", "-q", "--bare", dir, bareDir)
	git(t, bareDir, "gc", "-q") // packed objects and refs
	return bareDir
}

func openRepo(t *testing.T, dir string) *Repo {
	t.Helper()
	r, err := OpenWith(dir, Options{Now: func() time.Time { return fixedNow }})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

var generated = fileset.Set{
	"overlays/production/kustomization.yaml":     []byte("resources:\n- ../../templates/base\n"),
	"overlays/production/patches/replicas.yaml":  []byte("replicas: 10"), // no final newline
	"overlays/production/keep-me.yaml":           []byte("rewritten: yes\n"),
	"overlays/argocd/production.yaml":            []byte("kind: Application\n"),
	"overlays/production/patches/odd bytes.yaml": []byte("tab\there\r\nutf8: é\n"),
}

func change() gitops.Change {
	return gitops.Change{
		Base:    "main",
		Head:    "phasegen/production",
		Root:    "apps/coditect",
		Files:   generated,
		Owned:   []string{"overlays/production", "overlays/argocd/production.yaml"},
		Message: "Promote production to beta",
		Author:  gitops.Signature{Name: "phasegen", Email: "phasegen@example.com"},
	}
}

func TestWrite(t *testing.T) {
	for _, bare := range []bool{false, true} {
		name := map[bool]string{false: "worktree", true: "bare"}[bare]
		t.Run(name, func(t *testing.T) {
			dir := newRepo(t, bare, seedFiles)
			mainBefore := strings.TrimSpace(git(t, dir, "rev-parse", "main"))
			r := openRepo(t, dir)
			ctx := context.Background()

			res, err := r.Write(ctx, change())
			if err != nil {
				t.Fatal(err)
			}
			if !res.Changed || res.UpToDate || res.BaseTip != mainBefore {
				t.Fatalf("Write = %+v", res)
			}
			if got := strings.TrimSpace(git(t, dir, "rev-parse", "phasegen/production")); got != res.Commit {
				t.Fatalf("branch at %s, result says %s", got, res.Commit)
			}
			git(t, dir, "fsck", "--strict", "--no-dangling")

			wantPaths := []string{
				"README.md",
				"apps/coditect/notes.txt",
				"apps/coditect/overlays/argocd/production.yaml",
				"apps/coditect/overlays/production/keep-me.yaml",
				"apps/coditect/overlays/production/kustomization.yaml",
				"apps/coditect/overlays/production/patches/odd bytes.yaml",
				"apps/coditect/overlays/production/patches/replicas.yaml",
				"apps/coditect/overlays/staging/x.yaml",
				"other/keep.txt",
			}
			ls := git(t, dir, "-c", "core.quotePath=false", "ls-tree", "-r", "--name-only", "phasegen/production")
			if got := strings.Fields(strings.ReplaceAll(ls, "odd bytes", "odd_bytes")); strings.Join(got, "\n") !=
				strings.ReplaceAll(strings.Join(wantPaths, "\n"), "odd bytes", "odd_bytes") {
				t.Errorf("ls-tree:\n%s", ls)
			}
			for p, want := range generated {
				got := git(t, dir, "show", "phasegen/production:apps/coditect/"+p)
				if got != string(want) {
					t.Errorf("%s = %q, want %q", p, got, want)
				}
			}
			for _, p := range []string{"README.md", "apps/coditect/overlays/staging/x.yaml", "other/keep.txt", "apps/coditect/notes.txt"} {
				if got := git(t, dir, "show", "phasegen/production:"+p); got != seedFiles[p] {
					t.Errorf("unrelated %s = %q", p, got)
				}
			}
			meta := git(t, dir, "log", "-1", "--format=%an|%ae|%at|%cn|%ce|%ct|%P|%s", "phasegen/production")
			wantMeta := "phasegen|phasegen@example.com|1741064767|phasegen|phasegen@example.com|1741064767|" + mainBefore + "|Promote production to beta\n"
			if meta != wantMeta {
				t.Errorf("commit metadata = %q, want %q", meta, wantMeta)
			}
			if got := strings.TrimSpace(git(t, dir, "rev-parse", "main")); got != mainBefore {
				t.Errorf("main moved to %s", got)
			}
			if !bare {
				if st := git(t, dir, "status", "--porcelain"); st != "" {
					t.Errorf("work tree or index touched:\n%s", st)
				}
				if _, err := os.Stat(filepath.Join(dir, "apps/coditect/overlays/production/old.yaml")); err != nil {
					t.Errorf("work tree file removed: %v", err)
				}
			}

			// ReadFile sees the new content.
			b, err := r.ReadFile(ctx, "phasegen/production", "apps/coditect/overlays/production/patches/replicas.yaml")
			if err != nil || string(b) != "replicas: 10" {
				t.Errorf("ReadFile = %q, %v", b, err)
			}

			// A rerun writes nothing, even with a later clock.
			objects := git(t, dir, "count-objects", "-v")
			r2, err := OpenWith(dir, Options{Now: func() time.Time { return fixedNow.Add(time.Hour) }})
			if err != nil {
				t.Fatal(err)
			}
			res2, err := r2.Write(ctx, change())
			if err != nil {
				t.Fatal(err)
			}
			if res2.Changed || res2.UpToDate || res2.Commit != res.Commit {
				t.Errorf("rerun = %+v, want unchanged at %s", res2, res.Commit)
			}
			if got := git(t, dir, "count-objects", "-v"); got != objects {
				t.Errorf("rerun wrote objects:\n%s\nbefore:\n%s", got, objects)
			}
		})
	}
}

func TestWriteUpToDateWritesNothing(t *testing.T) {
	files := map[string]string{"other/keep.txt": "other\n", "apps/coditect/overlays/production/x.yaml": "x\n"}
	dir := newRepo(t, false, files)
	r := openRepo(t, dir)
	objects := git(t, dir, "count-objects", "-v")
	c := change()
	c.Files = fileset.Set{"overlays/production/x.yaml": []byte("x\n")}
	res, err := r.Write(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if !res.UpToDate || res.Changed || res.Commit != "" || res.BaseTip == "" {
		t.Errorf("Write = %+v, want up to date", res)
	}
	if _, err := gitErr(t, dir, "rev-parse", "--verify", "-q", "phasegen/production"); err == nil {
		t.Error("head branch created")
	}
	if got := git(t, dir, "count-objects", "-v"); got != objects {
		t.Errorf("objects written:\n%s\nbefore:\n%s", got, objects)
	}
}

func TestWriteMovesStaleHead(t *testing.T) {
	dir := newRepo(t, false, seedFiles)
	r := openRepo(t, dir)
	ctx := context.Background()
	first, err := r.Write(ctx, change())
	if err != nil {
		t.Fatal(err)
	}
	// Base moves on: the same tree on top of the new tip is a new commit.
	if err := os.WriteFile(filepath.Join(dir, "README.md"), []byte("top v2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	git(t, dir, "commit", "-q", "-am", "base moves")
	tip := strings.TrimSpace(git(t, dir, "rev-parse", "main"))
	second, err := r.Write(ctx, change())
	if err != nil {
		t.Fatal(err)
	}
	if !second.Changed || second.Commit == first.Commit || second.BaseTip != tip {
		t.Fatalf("Write = %+v", second)
	}
	if p := strings.TrimSpace(git(t, dir, "log", "-1", "--format=%P", "phasegen/production")); p != tip {
		t.Errorf("parent = %s, want %s", p, tip)
	}
	if got := git(t, dir, "show", "phasegen/production:README.md"); got != "top v2\n" {
		t.Errorf("README = %q", got)
	}
	// A file no longer generated is deleted from the owned directory.
	c := change()
	c.Files = generated.Clone()
	delete(c.Files, "overlays/production/patches/replicas.yaml")
	delete(c.Files, "overlays/production/patches/odd bytes.yaml")
	third, err := r.Write(ctx, c)
	if err != nil || !third.Changed {
		t.Fatalf("Write = %+v, %v", third, err)
	}
	ls := git(t, dir, "ls-tree", "-r", "--name-only", "phasegen/production", "apps/coditect/overlays/production")
	if ls != "apps/coditect/overlays/production/keep-me.yaml\napps/coditect/overlays/production/kustomization.yaml\n" {
		t.Errorf("owned dir after deletion:\n%s", ls)
	}
	if tr := git(t, dir, "ls-tree", "phasegen/production", "apps/coditect/overlays/production/"); strings.Contains(tr, "patches") {
		t.Errorf("empty directory kept:\n%s", tr)
	}
	git(t, dir, "fsck", "--strict", "--no-dangling")
}

func TestRefusesCheckedOutHead(t *testing.T) {
	dir := newRepo(t, false, seedFiles)
	git(t, dir, "checkout", "-q", "-b", "phasegen/production")
	before := strings.TrimSpace(git(t, dir, "rev-parse", "HEAD"))
	r := openRepo(t, dir)
	_, err := r.Write(context.Background(), change())
	if err == nil || !strings.Contains(err.Error(), "checked out") {
		t.Fatalf("Write error = %v, want refusal", err)
	}
	if got := strings.TrimSpace(git(t, dir, "rev-parse", "HEAD")); got != before {
		t.Errorf("checked-out branch moved to %s", got)
	}

	// A branch checked out in a linked work tree of a bare repository.
	bare := newRepo(t, true, seedFiles)
	wt := filepath.Join(t.TempDir(), "wt")
	git(t, bare, "worktree", "add", "-q", "-b", "phasegen/production", wt, "main")
	r = openRepo(t, bare)
	if _, err := r.Write(context.Background(), change()); err == nil || !strings.Contains(err.Error(), "linked work tree") {
		t.Fatalf("Write error = %v, want refusal for linked work tree", err)
	}
}

func TestWriteOwnsWholeRoot(t *testing.T) {
	dir := newRepo(t, true, seedFiles)
	r := openRepo(t, dir)
	c := change()
	c.Owned = []string{"."}
	c.Files = fileset.Set{"only.yaml": []byte("only\n")}
	if _, err := r.Write(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	ls := git(t, dir, "ls-tree", "-r", "--name-only", "phasegen/production")
	if ls != "README.md\napps/coditect/only.yaml\nother/keep.txt\n" {
		t.Errorf("ls-tree:\n%s", ls)
	}
	git(t, dir, "fsck", "--strict", "--no-dangling")
}

func TestWriteRejects(t *testing.T) {
	isolateConfig(t)
	dir := newRepo(t, true, seedFiles)
	r := openRepo(t, dir)
	ctx := context.Background()
	mutate := map[string]func(*gitops.Change){
		"dotdot":        func(c *gitops.Change) { c.Files = fileset.Set{"../escape": nil} },
		"absolute":      func(c *gitops.Change) { c.Files = fileset.Set{"/etc/x": nil} },
		"unclean":       func(c *gitops.Change) { c.Files = fileset.Set{"a//b": nil} },
		"dotgit":        func(c *gitops.Change) { c.Files = fileset.Set{".git/config": nil} },
		"owned escape":  func(c *gitops.Change) { c.Owned = []string{"../other"} },
		"root escape":   func(c *gitops.Change) { c.Root = "../x" },
		"same branch":   func(c *gitops.Change) { c.Head = "main" },
		"bad head":      func(c *gitops.Change) { c.Head = "bad..name" },
		"no author":     func(c *gitops.Change) { c.Author = gitops.Signature{} },
		"file over dir": func(c *gitops.Change) { c.Files = fileset.Set{"overlays/staging": []byte("x")} },
		"dir over file": func(c *gitops.Change) { c.Files = fileset.Set{"notes.txt/x": []byte("x")} },
		"file and dir": func(c *gitops.Change) {
			c.Files = fileset.Set{"overlays/production/a": nil, "overlays/production/a/b": nil}
		},
		"missing branch": func(c *gitops.Change) { c.Base = "nope" },
	}
	for name, m := range mutate {
		t.Run(name, func(t *testing.T) {
			c := change()
			m(&c)
			res, err := r.Write(ctx, c)
			if err == nil {
				t.Fatalf("Write = %+v, want error", res)
			}
			t.Log(err)
			if _, err := gitErr(t, dir, "rev-parse", "--verify", "-q", "phasegen/production"); err == nil {
				t.Error("head branch created")
			}
		})
	}
	c := change()
	c.Base = "nope"
	if _, err := r.Write(ctx, c); !errors.Is(err, gitops.ErrNoBranch) || errors.Is(err, gitops.ErrNotFound) {
		t.Errorf("missing base: %v, want ErrNoBranch", err)
	}
}

// isolateConfig hides the user's global git configuration from go-git.
func isolateConfig(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", home)
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
}

func TestAuthorFromGitConfig(t *testing.T) {
	isolateConfig(t)
	dir := newRepo(t, false, seedFiles)
	git(t, dir, "config", "user.name", "Local User")
	git(t, dir, "config", "user.email", "local@example.com")
	c := change()
	c.Author = gitops.Signature{}
	if _, err := openRepo(t, dir).Write(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	if got := git(t, dir, "log", "-1", "--format=%an <%ae>|%cn <%ce>", "phasegen/production"); got != "Local User <local@example.com>|Local User <local@example.com>\n" {
		t.Errorf("author = %q", got)
	}
}

func TestExecutableBitKept(t *testing.T) {
	dir := newRepo(t, false, map[string]string{"apps/coditect/overlays/production/run.sh": "#!/bin/sh\n"})
	git(t, dir, "update-index", "--chmod=+x", "apps/coditect/overlays/production/run.sh")
	git(t, dir, "commit", "-q", "-m", "exec")
	c := change()
	c.Files = fileset.Set{"overlays/production/run.sh": []byte("#!/bin/sh\necho hi\n"), "overlays/production/new.sh": []byte("x\n")}
	if _, err := openRepo(t, dir).Write(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	ls := git(t, dir, "ls-tree", "-r", "phasegen/production")
	if !strings.Contains(ls, "100755 blob") || !strings.Contains(ls, "100644 blob") {
		t.Errorf("modes:\n%s", ls)
	}
	if !strings.Contains(ls, "100755 blob "+fileset.BlobHash(c.Files["overlays/production/run.sh"])+"\tapps/coditect/overlays/production/run.sh") {
		t.Errorf("run.sh lost its executable bit or content:\n%s", ls)
	}
}

func TestReadFile(t *testing.T) {
	dir := newRepo(t, false, seedFiles)
	r := openRepo(t, dir)
	ctx := context.Background()
	b, err := r.ReadFile(ctx, "main", "apps/coditect/notes.txt")
	if err != nil || string(b) != "not owned\n" {
		t.Errorf("ReadFile = %q, %v", b, err)
	}
	for _, tc := range []struct{ branch, path string }{
		{"main", "missing.txt"},
		{"main", "apps/coditect"}, // a directory
		{"main", "apps/nothing/x"},
	} {
		if _, err := r.ReadFile(ctx, tc.branch, tc.path); !errors.Is(err, gitops.ErrNotFound) {
			t.Errorf("ReadFile(%q, %q) error = %v, want ErrNotFound", tc.branch, tc.path, err)
		}
	}
	// A missing branch is not a missing file (no first promotion), nor is
	// a path through a file.
	if _, err := r.ReadFile(ctx, "nope", "README.md"); !errors.Is(err, gitops.ErrNoBranch) || errors.Is(err, gitops.ErrNotFound) {
		t.Errorf("ReadFile on a missing branch: %v, want ErrNoBranch", err)
	}
	if _, err := r.ReadFile(ctx, "main", "README.md/x"); err == nil || errors.Is(err, gitops.ErrNotFound) || !strings.Contains(err.Error(), "README.md is a file") {
		t.Errorf("ReadFile through a file: %v", err)
	}
	if _, err := r.ReadFile(ctx, "main", "../x"); err == nil || errors.Is(err, gitops.ErrNotFound) {
		t.Errorf("ReadFile(../x) error = %v, want invalid path", err)
	}
}

func TestOpenNotARepository(t *testing.T) {
	dir := t.TempDir()
	_, err := Open(dir)
	if err == nil || !strings.Contains(err.Error(), dir) {
		t.Fatalf("Open error = %v, want one naming %s", err, dir)
	}
}

// A symbolic link where an overlay directory or file should be is an error
// naming it, never a missing file (which would read as a first promotion).
func TestReadFileRefusesSymlinks(t *testing.T) {
	dir := newRepo(t, false, map[string]string{"real/production/kustomization.yaml": "k: 1\n"})
	if err := os.MkdirAll(filepath.Join(dir, "overlays"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../real/production", filepath.Join(dir, "overlays", "production")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("real/production/kustomization.yaml", filepath.Join(dir, "k.yaml")); err != nil {
		t.Fatal(err)
	}
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-q", "-m", "links")
	r := openRepo(t, dir)
	for p, want := range map[string]string{
		"overlays/production/kustomization.yaml": "overlays/production is a symbolic link",
		"k.yaml":                                 "k.yaml is a symbolic link",
	} {
		_, err := r.ReadFile(context.Background(), "main", p)
		if err == nil || errors.Is(err, gitops.ErrNotFound) || !strings.Contains(err.Error(), want) {
			t.Errorf("ReadFile(%s): %v, want an error saying %q", p, err, want)
		}
	}
}

// A blob over the cap is refused from its object header: a 1.5 GB blob
// (a loose object of a few megabytes) as an overlay file.
func TestReadFileRefusesBlobBomb(t *testing.T) {
	dir := newRepo(t, false, map[string]string{"README.md": "x\n"})
	id, err := gittest.ZeroBlob(1_500_000_000, filepath.Join(dir, ".git"))
	if err != nil {
		t.Fatal(err)
	}
	git(t, dir, "update-index", "--add", "--cacheinfo", "100644,"+id+",overlays/production/kustomization.yaml")
	git(t, dir, "commit", "-q", "-m", "bomb")
	r := openRepo(t, dir)
	_, err = r.ReadFile(context.Background(), "main", "overlays/production/kustomization.yaml")
	if !errors.Is(err, gittree.ErrTooLarge) || !strings.Contains(err.Error(), "1500000000 bytes") {
		t.Fatalf("ReadFile of a 1.5 GB blob: %v", err)
	}
}
