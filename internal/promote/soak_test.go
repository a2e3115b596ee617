package promote_test

import (
	"bytes"
	"errors"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coditect/phasegen/internal/gate"
	"github.com/coditect/phasegen/internal/githubfake"
	"github.com/coditect/phasegen/internal/gitops/local"
	"github.com/coditect/phasegen/internal/gittest"
	"github.com/coditect/phasegen/internal/promote"
)

// soakRepo is a work tree made with the git binary whose main got
// production at pre-launch through a merge commit dated landed.
func soakRepo(t *testing.T, f fixture, landed time.Time) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git binary")
	}
	dir := filepath.Join(t.TempDir(), "argocd-apps")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	start := landed.Add(-72 * time.Hour)
	gittest.At(t, dir, start, "init", "-q", "-b", "main")
	gittest.At(t, dir, start, "commit", "-q", "--allow-empty", "-m", "initial commit")
	promoteAndMerge(t, f, dir, "pre-launch", landed)
	return dir
}

// promoteAndMerge promotes production to phase with a commit made two hours
// before landed and merges it into main with git merge --no-ff at landed,
// as merging its pull request would.
func promoteAndMerge(t *testing.T, f fixture, dir, phase string, landed time.Time) {
	t.Helper()
	r, err := local.OpenWith(dir, local.Options{Now: func() time.Time { return landed.Add(-2 * time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	o := f.opts(r, phase)
	o.Now = func() time.Time { return landed.Add(-2 * time.Hour) }
	o.AllowEarly = true // how it got there is not what this helper tests
	if _, err := promote.Promote(ctx, o); err != nil {
		t.Fatal(err)
	}
	gittest.At(t, dir, landed, "merge", "-q", "--no-ff", "-m", "Merge pull request: production → "+phase, "phasegen/coditect/production")
}

func soakOpts(t *testing.T, f fixture, dir, to string, now time.Time) promote.Options {
	t.Helper()
	r, err := local.OpenWith(dir, local.Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	o := f.opts(r, to)
	o.Now = func() time.Time { return now }
	return o
}

// TestSoakHoldsForwardPromotions is acceptance 3: with pre-launch soaking
// 24h, a promotion to beta one hour after pre-launch landed is refused with
// the time the soak ends; 30 hours after it goes through; --allow-early goes
// through and the PR says so; a rollback is never held.
func TestSoakHoldsForwardPromotions(t *testing.T) {
	f := shipped(t)
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

	t.Run("1h after: refused", func(t *testing.T) {
		dir := soakRepo(t, f, now.Add(-time.Hour))
		before := gittest.At(t, dir, now, "rev-parse", "phasegen/coditect/production")
		out, err := promote.Promote(ctx, soakOpts(t, f, dir, "beta", now))
		if !gate.IsRefused(err) {
			t.Fatalf("want a refusal, got %v", err)
		}
		for _, want := range []string{
			"production has been at pre-launch on main since 2026-03-10 11:00 UTC",
			"pre-launch soaks 24h: the soak ends at 2026-03-11 11:00 UTC, in 23h00m",
			"pass --allow-early",
		} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("refusal lacks %q: %v", want, err)
			}
		}
		if out.Soak == nil || !out.Soak.Ends.Equal(now.Add(23*time.Hour)) || out.Soak.Early {
			t.Errorf("soak %+v", out.Soak)
		}
		if got := gittest.At(t, dir, now, "rev-parse", "phasegen/coditect/production"); got != before {
			t.Errorf("a refused promotion moved phasegen/coditect/production")
		}
		// A dry run is refused the same way.
		o := soakOpts(t, f, dir, "beta", now)
		o.DryRun = true
		if _, err := promote.Promote(ctx, o); !gate.IsRefused(err) {
			t.Errorf("dry run: %v", err)
		}
		// With another gate refusing too, both reasons are given at once.
		o = soakOpts(t, f, dir, "full-mvp", now)
		_, err = promote.Promote(ctx, o)
		if !gate.IsRefused(err) || !strings.Contains(err.Error(), "it would skip beta") || !strings.Contains(err.Error(), "pre-launch soaks 24h") {
			t.Errorf("skip and soak: %v", err)
		}
	})

	t.Run("30h after: goes through", func(t *testing.T) {
		dir := soakRepo(t, f, now.Add(-30*time.Hour))
		out, err := promote.Promote(ctx, soakOpts(t, f, dir, "beta", now))
		if err != nil {
			t.Fatal(err)
		}
		if !out.Write.Changed || out.Soak == nil || out.Soak.Early {
			t.Fatalf("outcome %+v soak %+v", out.Write, out.Soak)
		}
		merge := gittest.At(t, dir, now, "rev-parse", "main")
		mustContain(t, "body", out.Body,
			"**Soak:** production has been at pre-launch on `main` since 2026-03-09 06:00 UTC (commit `"+merge[:12]+"`).",
			"The 24h soak of pre-launch ended at 2026-03-10 06:00 UTC.",
			"After this merges, beta soaks 7d")
		if strings.Contains(out.Body, "allow-early") {
			t.Errorf("the body mentions --allow-early:\n%s", out.Body)
		}
	})

	t.Run("1h after with --allow-early", func(t *testing.T) {
		dir := soakRepo(t, f, now.Add(-time.Hour))
		o := soakOpts(t, f, dir, "beta", now)
		o.AllowEarly = true
		var log strings.Builder
		o.Log = &log
		out, err := promote.Promote(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		if !out.Write.Changed || out.Soak == nil || !out.Soak.Early {
			t.Fatalf("outcome %+v soak %+v", out.Write, out.Soak)
		}
		mustContain(t, "body", out.Body, "⚠️ **Promoted early with `--allow-early`:** the 24h soak of pre-launch ends at 2026-03-11 11:00 UTC.")
		mustContain(t, "log", log.String(), "warning: promoting early (--allow-early): the 24h soak of pre-launch ends at 2026-03-11 11:00 UTC")
	})

	t.Run("a re-promotion at the same phase", func(t *testing.T) {
		dir := soakRepo(t, f, now.Add(-time.Hour))
		o := soakOpts(t, f, dir, "pre-launch", now)
		o.Base = f.withBaseFiles(t, func(files map[string][]byte) {
			files["statefulset.yaml"] = bytes.Replace(files["statefulset.yaml"], []byte("terminationGracePeriodSeconds:"), []byte("# a comment\n      terminationGracePeriodSeconds:"), 1)
		})
		out, err := promote.Promote(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		mustContain(t, "body", out.Body, "The 24h soak of pre-launch goes on until 2026-03-11 11:00 UTC.")
		if strings.Contains(out.Body, "After this merges") || strings.Contains(out.Body, "rollback") {
			t.Errorf("body:\n%s", out.Body)
		}
	})

	t.Run("a rollback is never held", func(t *testing.T) {
		dir := soakRepo(t, f, now.Add(-30*time.Hour))
		promoteAndMerge(t, f, dir, "beta", now.Add(-time.Hour)) // beta soaks 7d
		fwd := soakOpts(t, f, dir, "full-mvp", now)
		if _, err := promote.Promote(ctx, fwd); !gate.IsRefused(err) || !strings.Contains(err.Error(), "beta soaks 7d: the soak ends at 2026-03-17 11:00 UTC, in 6d 23h") {
			t.Fatalf("forward from beta: %v", err)
		}
		out, err := promote.Promote(ctx, soakOpts(t, f, dir, "pre-launch", now))
		if err != nil {
			t.Fatal(err)
		}
		if !out.Write.Changed || out.Soak == nil || out.Soak.Forward || out.Soak.Early {
			t.Fatalf("rollback: %+v soak %+v", out.Write, out.Soak)
		}
		mustContain(t, "body", out.Body, "(a **rollback**)", "A rollback is never held by the 7d soak of beta (it ends at 2026-03-17 11:00 UTC).")
	})
}

// TestSoakCountsFromWhenThePhaseLanded: later commits that change the
// overlay but keep its phase (a re-render, a hand edit) and commits
// elsewhere do not restart the soak; the first-parent merge commit, not the
// promotion commit on the side branch, gives the time.
func TestSoakCountsFromWhenThePhaseLanded(t *testing.T) {
	f := shipped(t)
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	dir := soakRepo(t, f, now.Add(-30*time.Hour))
	landed := gittest.At(t, dir, now, "rev-parse", "main")
	k := filepath.Join(dir, root, "production", "overlays", "production", "kustomization.yaml")
	data, err := os.ReadFile(k)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(k, append(data, "# touched by hand\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	gittest.At(t, dir, now.Add(-2*time.Hour), "commit", "-qam", "a hand edit at the same phase")
	if err := os.WriteFile(filepath.Join(dir, "README.md"), []byte("unrelated\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	gittest.At(t, dir, now.Add(-time.Hour), "add", "README.md")
	gittest.At(t, dir, now.Add(-time.Hour), "commit", "-qm", "unrelated")

	r, err := local.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	e, _ := f.cfg.Environment("production")
	s, ok, err := promote.PhaseSince(ctx, r, e, "pre-launch")
	if err != nil || !ok {
		t.Fatalf("PhaseSince: %v %v", ok, err)
	}
	if s.Commit != landed || !s.Time.Equal(now.Add(-30*time.Hour)) || s.Partial {
		t.Errorf("since %+v, want the merge %s at %s", s, landed, now.Add(-30*time.Hour))
	}
	if _, ok, err := promote.PhaseSince(ctx, r, e, "beta"); ok || err != nil {
		t.Errorf("PhaseSince beta: %v %v, want not at beta", ok, err)
	}
	// The hand edit is not phasegen's: the promotion names it and stops;
	// undone (the phase kept, the soak too), the promotion goes through.
	_, err = promote.Promote(ctx, soakOpts(t, f, dir, "beta", now))
	if !errors.Is(err, promote.ErrNotOurs) || !strings.Contains(err.Error(), root+"/production/overlays/production/kustomization.yaml") {
		t.Errorf("promotion over a hand edit: %v, want it refused naming the file", err)
	}
	if err := os.WriteFile(k, data, 0o644); err != nil {
		t.Fatal(err)
	}
	gittest.At(t, dir, now.Add(-time.Minute), "commit", "-qam", "undo the hand edit")
	if _, err := promote.Promote(ctx, soakOpts(t, f, dir, "beta", now)); err != nil {
		t.Errorf("promotion after the soak: %v", err)
	}
}

// TestSoakOnGitHub: the same hold through the commits API of the fake.
func TestSoakOnGitHub(t *testing.T) {
	f := shipped(t)
	g := newGitHub(t, f, f.b, false) // production at pre-launch since fixedNow
	o := f.ghOpts(g.target(t, token), "beta")
	o.Now = func() time.Time { return fixedNow.Add(time.Hour) }
	if _, err := promote.Promote(ctx, o); !gate.IsRefused(err) || !strings.Contains(err.Error(), "the soak ends at 2026-03-02 12:00 UTC, in 23h00m") {
		t.Fatalf("1h after: %v", err)
	}
	if len(g.fake.Writes()) != 0 {
		t.Errorf("a refused promotion wrote: %v", g.fake.Writes())
	}
	o.Now = func() time.Time { return fixedNow.Add(30 * time.Hour) }
	out, err := promote.Promote(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "body", out.Body, "since 2026-03-01 12:00 UTC", "The 24h soak of pre-launch ended at 2026-03-02 12:00 UTC.")
	if out.PR == nil || !out.PR.Created {
		t.Errorf("no pull request: %+v", out.PR)
	}
}

// TestSoakOnGitHubCountsFromTheMerge: a pull request merged 20 hours after
// its commit was written soaks from the merge (merged_at), not from the
// commit's date.
func TestSoakOnGitHubCountsFromTheMerge(t *testing.T) {
	f := shipped(t)
	clock := fixedNow
	fake, err := githubfake.New(githubfake.Options{Owner: "coditect", Repo: "argocd-apps", Token: token, Now: func() time.Time { return clock }})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	if _, err := fake.Seed(map[string][]byte{"README.md": []byte("# Argo CD apps\n")}); err != nil {
		t.Fatal(err)
	}
	g := &ghEnv{fake: fake, url: srv.URL + "/"}
	if _, err := promote.Promote(ctx, f.ghOpts(g.target(t, token), "pre-launch")); err != nil { // committed at fixedNow
		t.Fatal(err)
	}
	clock = fixedNow.Add(20 * time.Hour)
	if err := fake.MergePR(1); err != nil {
		t.Fatal(err)
	}
	o := f.ghOpts(g.target(t, token), "beta")
	o.Now = func() time.Time { return fixedNow.Add(30 * time.Hour) }
	if _, err := promote.Promote(ctx, o); !gate.IsRefused(err) || !strings.Contains(err.Error(), "since 2026-03-02 08:00 UTC") ||
		!strings.Contains(err.Error(), "the soak ends at 2026-03-03 08:00 UTC, in 14h00m") {
		t.Fatalf("30h after the commit, 10h after the merge: %v", err)
	}
	o.Now = func() time.Time { return fixedNow.Add(45 * time.Hour) }
	if _, err := promote.Promote(ctx, o); err != nil {
		t.Fatalf("25h after the merge: %v", err)
	}
}

// TestSoakBodyGolden pins the PR body of a promotion past its soak, an early
// one and a rollback (go test -update rewrites testdata/golden/).
func TestSoakBodyGolden(t *testing.T) {
	f := shipped(t)
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	dir := newRepo(t) // go-git, fixed dates: the commit ids are stable
	first := soakOpts(t, f, dir, "pre-launch", now.Add(-30*time.Hour))
	out, err := promote.Promote(ctx, first)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "prbody-first.md", out.Body)
	merge(t, dir, "phasegen/coditect/production")
	out, err = promote.Promote(ctx, soakOpts(t, f, dir, "beta", now))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "prbody-soaked.md", out.Body)
	merge(t, dir, "phasegen/coditect/production")
	early := soakOpts(t, f, dir, "full-mvp", now.Add(time.Hour))
	early.AllowEarly = true
	if out, err = promote.Promote(ctx, early); err != nil {
		t.Fatal(err)
	}
	golden(t, "prbody-early.md", out.Body)
	if out, err = promote.Promote(ctx, soakOpts(t, f, dir, "pre-launch", now.Add(time.Hour))); err != nil {
		t.Fatal(err)
	}
	golden(t, "prbody-rollback.md", out.Body)
}

// TestPhaseSinceReadsABoundedHistory: past HistoryLimit revisions at the
// phase, the oldest one read stands in (Partial), so the soak looks
// shorter, never longer.
func TestPhaseSinceReadsABoundedHistory(t *testing.T) {
	f := shipped(t)
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	dir := soakRepo(t, f, now.Add(-100*time.Hour))
	k := filepath.Join(dir, root, "production", "overlays", "production", "kustomization.yaml")
	var edits []string
	for i := 0; i < promote.HistoryLimit; i++ {
		data, err := os.ReadFile(k)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(k, append(data, "# edit\n"...), 0o644); err != nil {
			t.Fatal(err)
		}
		when := now.Add(time.Duration(i-promote.HistoryLimit) * time.Hour)
		gittest.At(t, dir, when, "commit", "-qam", "edit")
		edits = append(edits, gittest.At(t, dir, when, "rev-parse", "HEAD"))
	}
	r, err := local.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	e, _ := f.cfg.Environment("production")
	s, ok, err := promote.PhaseSince(ctx, r, e, "pre-launch")
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	// 20 revisions read, all edits: the oldest edit stands in for the merge.
	if !s.Partial || s.Commit != edits[0] || !s.Time.Equal(now.Add(-time.Duration(promote.HistoryLimit)*time.Hour)) {
		t.Errorf("since %+v, want partial at the oldest edit %s", s, edits[0])
	}
}
