package github_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/coditect/phasegen/internal/gitops"
)

// TestHistoryListsCommitsOfThePath: one commits-list call and one contents
// read per visited commit, dated by the committer date, newest first.
func TestHistoryListsCommitsOfThePath(t *testing.T) {
	e := newEnv(t)
	const k = "apps/coditect/overlays/production/kustomization.yaml"
	t0 := e.clock.Now()
	var shas []string
	for i, step := range []struct {
		files map[string][]byte
		after time.Duration
	}{
		{map[string][]byte{k: []byte("phase: a\n")}, time.Hour},
		{map[string][]byte{"README.md": []byte("unrelated\n")}, time.Hour},
		{map[string][]byte{k: []byte("phase: b\n")}, time.Hour},
		{map[string][]byte{k: []byte("phase: c\n")}, time.Hour},
	} {
		e.clock.Sleep(context.Background(), step.after)
		sha, err := e.fake.CommitFiles("main", "step", step.files)
		if err != nil {
			t.Fatal(i, err)
		}
		shas = append(shas, sha)
	}
	tg := e.target()
	e.fake.ResetCalls()
	head, err := tg.Head(context.Background(), "main")
	if err != nil || head != shas[3] {
		t.Fatalf("Head = %s, %v; want %s", head, err, shas[3])
	}
	var got []gitops.Revision
	err = tg.History(context.Background(), "main", k, 10, func(r gitops.Revision) bool {
		got = append(got, r)
		return string(r.Content) != "phase: b\n"
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Commit != shas[3] || got[1].Commit != shas[2] ||
		string(got[0].Content) != "phase: c\n" || !got[1].Date.Equal(t0.Add(3*time.Hour)) {
		t.Fatalf("revisions: %+v", got)
	}
	want := "GET git/ref/heads/{branch...},GET commits,GET contents/{path...},GET contents/{path...}"
	if keys := strings.Join(e.keys(), ","); keys != want {
		t.Errorf("calls:\n%s\nwant\n%s", keys, want)
	}
	calls := e.fake.Calls()
	if q := calls[1].Query; !strings.Contains(q, "sha=main") || !strings.Contains(q, "per_page=10") || !strings.Contains(q, "path=apps%2Fcoditect") {
		t.Errorf("commits query %q", q)
	}
	// All the way back: three revisions (the README commit did not touch k),
	// whatever max above that.
	got = nil
	e.fake.ResetCalls()
	if err := tg.History(context.Background(), "main", k, 50, func(r gitops.Revision) bool { got = append(got, r); return true }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || len(e.fake.Calls()) != 4 {
		t.Errorf("%d revisions in %d calls, want 3 in 4", len(got), len(e.fake.Calls()))
	}
	// max bounds the calls.
	e.fake.ResetCalls()
	n := 0
	if err := tg.History(context.Background(), "main", k, 1, func(gitops.Revision) bool { n++; return true }); err != nil || n != 1 || len(e.fake.Calls()) != 2 {
		t.Errorf("max 1: %d visits, %d calls, %v", n, len(e.fake.Calls()), err)
	}
}
