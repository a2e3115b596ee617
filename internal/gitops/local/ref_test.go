package local

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coditect/phasegen/internal/gitops"
)

// While git holds the branch's lock file, Write refuses and moves nothing;
// once it is gone, Write moves the branch and git's reflog shows it.
func TestWriteHonoursGitLockAndKeepsReflog(t *testing.T) {
	dir := newRepo(t, false, seedFiles)
	r := openRepo(t, dir)
	lock := filepath.Join(dir, ".git", "refs", "heads", "phasegen", "production.lock")
	if err := os.MkdirAll(filepath.Dir(lock), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(lock, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := r.Write(context.Background(), change())
	if err == nil || !strings.Contains(err.Error(), "git holds "+lock) {
		t.Fatalf("Write under git's lock: %v", err)
	}
	if _, err := gitErr(t, dir, "rev-parse", "--verify", "-q", "refs/heads/phasegen/production"); err == nil {
		t.Fatal("the branch was created under git's lock")
	}
	if _, err := os.Stat(lock); err != nil {
		t.Fatalf("git's lock file was removed: %v", err)
	}
	if err := os.Remove(lock); err != nil {
		t.Fatal(err)
	}
	res, err := r.Write(context.Background(), change())
	if err != nil || !res.Changed {
		t.Fatalf("Write: %+v, %v", res, err)
	}
	if got := strings.TrimSpace(git(t, dir, "rev-parse", "phasegen/production")); got != res.Commit {
		t.Fatalf("git sees the branch at %s, want %s", got, res.Commit)
	}
	log := git(t, dir, "reflog", "show", "--format=%H %gs", "refs/heads/phasegen/production")
	if !strings.Contains(log, res.Commit+" phasegen: Promote production to beta") {
		t.Fatalf("no reflog entry for the move:\n%s", log)
	}
}

// A phasegen/<env> branch holding an unrelated commit is not replaced
// without Force; with it, it is, and the reflog keeps what it was.
func TestWriteRefusesForeignHead(t *testing.T) {
	dir := newRepo(t, false, seedFiles)
	git(t, dir, "checkout", "-q", "--orphan", "phasegen/production")
	git(t, dir, "rm", "-rq", "--cached", ".")
	if err := os.WriteFile(filepath.Join(dir, "mine.txt"), []byte("someone's work\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	git(t, dir, "add", "mine.txt")
	git(t, dir, "commit", "-q", "-m", "unrelated work")
	foreign := strings.TrimSpace(git(t, dir, "rev-parse", "HEAD"))
	git(t, dir, "checkout", "-q", "-f", "main")
	r := openRepo(t, dir)

	_, err := r.Write(context.Background(), change())
	if !errors.Is(err, gitops.ErrForeignHead) || !strings.Contains(err.Error(), foreign[:12]) || !strings.Contains(err.Error(), "unrelated work") {
		t.Fatalf("Write over a foreign branch: %v, want ErrForeignHead naming it", err)
	}
	if got := strings.TrimSpace(git(t, dir, "rev-parse", "phasegen/production")); got != foreign {
		t.Fatalf("the foreign branch moved to %s", got)
	}
	c := change()
	c.Force = true
	res, err := r.Write(context.Background(), c)
	if err != nil || !res.Changed {
		t.Fatalf("Write with Force: %+v, %v", res, err)
	}
	log := git(t, dir, "reflog", "show", "--format=%H", "refs/heads/phasegen/production")
	if !strings.Contains(log, res.Commit) || !strings.Contains(log, foreign) {
		t.Fatalf("the reflog does not keep both:\n%s", log)
	}
}
