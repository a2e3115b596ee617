package local_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/coditect/phasegen/internal/gitops"
	"github.com/coditect/phasegen/internal/gitops/local"
	"github.com/coditect/phasegen/internal/gittest"
)

func writeFile(t *testing.T, dir, p, s string) {
	t.Helper()
	full := filepath.Join(dir, p)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(full, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestHistoryFollowsFirstParents: a file changed on a side branch and merged
// with a merge commit shows up as the merge commit, dated when it landed.
func TestHistoryFollowsFirstParents(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git binary")
	}
	dir := t.TempDir()
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	gittest.At(t, dir, t0, "init", "-q", "-b", "main")
	writeFile(t, dir, "a/k.yaml", "v1\n")
	gittest.At(t, dir, t0, "add", ".")
	gittest.At(t, dir, t0, "commit", "-qm", "v1")
	writeFile(t, dir, "README", "unrelated\n")
	gittest.At(t, dir, t0.Add(time.Hour), "add", ".")
	gittest.At(t, dir, t0.Add(time.Hour), "commit", "-qm", "unrelated")
	gittest.At(t, dir, t0.Add(2*time.Hour), "checkout", "-qb", "side")
	writeFile(t, dir, "a/k.yaml", "v2\n")
	gittest.At(t, dir, t0.Add(2*time.Hour), "commit", "-qam", "v2 on a side branch")
	gittest.At(t, dir, t0.Add(3*time.Hour), "checkout", "-q", "main")
	gittest.At(t, dir, t0.Add(5*time.Hour), "merge", "-q", "--no-ff", "-m", "merge v2", "side")
	merge := gittest.At(t, dir, t0, "rev-parse", "HEAD")
	first := gittest.At(t, dir, t0, "rev-list", "--max-parents=0", "HEAD")

	r, err := local.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if h, err := r.Head(ctx, "main"); err != nil || h != merge {
		t.Errorf("Head = %s, %v; want %s", h, err, merge)
	}
	var got []gitops.Revision
	if err := r.History(ctx, "main", "a/k.yaml", 10, func(rv gitops.Revision) bool { got = append(got, rv); return true }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("%d revisions, want 2: %+v", len(got), got)
	}
	if got[0].Commit != merge || !got[0].Date.Equal(t0.Add(5*time.Hour)) || string(got[0].Content) != "v2\n" {
		t.Errorf("newest: %s at %s %q; want the merge %s at +5h", got[0].Commit, got[0].Date, got[0].Content, merge)
	}
	if got[1].Commit != first || !got[1].Date.Equal(t0) || string(got[1].Content) != "v1\n" {
		t.Errorf("oldest: %+v", got[1])
	}
	// visit stops the walk; max bounds it.
	n := 0
	if err := r.History(ctx, "main", "a/k.yaml", 1, func(gitops.Revision) bool { n++; return true }); err != nil || n != 1 {
		t.Errorf("max 1 visited %d (%v)", n, err)
	}
	if err := r.History(ctx, "nope", "a/k.yaml", 1, func(gitops.Revision) bool { return true }); !errors.Is(err, gitops.ErrNoBranch) {
		t.Errorf("missing branch: %v", err)
	}
	if _, err := r.Head(ctx, "nope"); !errors.Is(err, gitops.ErrNoBranch) {
		t.Errorf("Head of a missing branch: %v, want ErrNoBranch", err)
	}
}
