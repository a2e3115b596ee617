package cli_test

import (
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coditect/phasegen/internal/cli"
	"github.com/coditect/phasegen/internal/githubfake"
	"github.com/coditect/phasegen/internal/gittest"
)

// soakGitOps makes a GitOps work tree with the git binary in which
// production was promoted to pre-launch two hours before landed (phasegen
// promote --git-dir on that clock) and merged into main with a merge commit
// dated landed, as merging its pull request would; it returns the tree and
// the merge commit.
func soakGitOps(t *testing.T, dir string, landed time.Time) (string, string) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git binary")
	}
	repo := filepath.Join(t.TempDir(), "argocd-apps")
	if err := os.MkdirAll(repo, 0o755); err != nil {
		t.Fatal(err)
	}
	start := landed.Add(-72 * time.Hour)
	gittest.At(t, repo, start, "init", "-q", "-b", "main")
	gittest.At(t, repo, start, "commit", "-q", "--allow-empty", "-m", "initial commit")
	if code, out, errs := runAt(t, landed.Add(-2*time.Hour), dir, nil, "promote", "production", "--to", "pre-launch", "--git-dir", repo); code != 0 {
		t.Fatalf("promote: exit %d\n%s\n%s", code, out, errs)
	}
	gittest.At(t, repo, landed, "merge", "-q", "--no-ff", "-m", "Merge pull request: production → pre-launch", "phasegen/coditect/production")
	return repo, gittest.At(t, repo, landed, "rev-parse", "main")
}

// TestStatusShowsSoak: status reads since when production has been at
// pre-launch from a real git repository whose merge commits carry set
// committer dates, beside the figures from the real Prometheus: an hour
// after it landed the 24h soak has 23 hours to go; 30 hours after, it has
// passed. The table and the markdown show the same line.
func TestStatusShowsSoak(t *testing.T) {
	srv, _ := promServer.Get(t)
	env := map[string]string{"PROMETHEUS_URL": srv.URL}
	for _, c := range []struct {
		ago    time.Duration
		passed bool
		line   string
	}{
		{time.Hour, false, "soak                          at pre-launch on main since 2026-11-29 23:00 UTC (commit %s); its 24h soak ends at 2026-11-30 23:00 UTC, in 23h: promote holds the next phase until then\n"},
		{30 * time.Hour, true, "soak                          at pre-launch on main since 2026-11-28 18:00 UTC (commit %s); its 24h soak ended at 2026-11-29 18:00 UTC\n"},
	} {
		dir := promRepo(t, nil)
		landed := historyEnd.Add(-c.ago)
		repo, merge := soakGitOps(t, dir, landed)
		code, out, errs := runIn(t, dir, env, "status", "production", "--at", at(), "--window", "1d", "--git-dir", repo, "-o", "json")
		if code != 0 {
			t.Fatalf("%s ago: exit %d\n%s\n%s", c.ago, code, out, errs)
		}
		var s statusJSON
		decodeStrict(t, out, &s)
		k := s.Soak
		if k == nil {
			t.Fatalf("%s ago: no soak\n%s", c.ago, out)
		}
		if !k.Since.Equal(landed) || k.EndsAt == nil || !k.EndsAt.Equal(landed.Add(24*time.Hour)) || k.Duration == nil || *k.Duration != "24h" ||
			k.Passed != c.passed || k.Commit != merge || k.Branch != "main" || k.Partial {
			t.Errorf("%s ago: soak %+v, want since %s (commit %s), ends 24h later, passed %v", c.ago, k, landed, merge, c.passed)
		}
		if s.Phase != "pre-launch" || s.Verdict.Status != "promote" {
			t.Errorf("%s ago: the observation changed: %+v", c.ago, s)
		}
		// A pending soak adds promote's hold to the verdict's reasons (beside
		// the sessions and the hot pod's imbalance).
		held := "The 24h soak of pre-launch ends at " + landed.Add(24*time.Hour).UTC().Format("2006-01-02 15:04 UTC") +
			": promote holds the promotion until then (--allow-early overrides)."
		if r := s.Verdict.Reasons; slices.Contains(r, held) == c.passed || len(r) != map[bool]int{true: 2, false: 3}[c.passed] {
			t.Errorf("%s ago: verdict reasons %q (passed %v)", c.ago, r, c.passed)
		}
		if !strings.Contains(errs, "production has been at pre-launch on main in local repository "+repo+" since "+landed.Format(time.RFC3339)) {
			t.Errorf("%s ago: stderr:\n%s", c.ago, errs)
		}
		line := strings.Replace(c.line, "%s", merge[:12], 1)
		code, out, errs = runIn(t, dir, env, "status", "production", "--at", at(), "--window", "1d", "--git-dir", repo)
		if code != 0 || !strings.Contains(out, "\n  "+line) {
			t.Errorf("%s ago: table: exit %d, want the line\n%s\n%s\n%s", c.ago, code, line, out, errs)
		}
		md := "| soak | " + strings.TrimSpace(strings.TrimPrefix(line, "soak")) + " |\n"
		code, out, errs = runIn(t, dir, env, "status", "production", "--at", at(), "--window", "1d", "--git-dir", repo, "-o", "markdown")
		if code != 0 || !strings.Contains(out, md) {
			t.Errorf("%s ago: markdown: exit %d, want the row\n%s\n%s\n%s", c.ago, code, md, out, errs)
		}
	}
}

// TestStatusSoakNotShown: without a target, status shows the figures and
// says on stderr why the soak is not; so it does when the branch does not
// have the environment at its declared phase, and when GitHub refuses the
// token for gitops.repo. A --git-dir or --repo that cannot be read is an
// error; the two together are a usage error.
func TestStatusSoakNotShown(t *testing.T) {
	srv, _ := promServer.Get(t)
	env := map[string]string{"PROMETHEUS_URL": srv.URL}
	dir := promRepo(t, nil)
	code, out, errs := runIn(t, dir, env, "status", "production", "--at", at(), "--window", "1d", "-o", "json")
	var s statusJSON
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	decodeStrict(t, out, &s)
	if s.Soak != nil || strings.Contains(out, `"soak"`) ||
		!strings.Contains(errs, "soak not shown: reading since when production has been at pre-launch on main needs --git-dir DIR or a GitHub token (GITHUB_TOKEN or GH_TOKEN) for github.com/coditect/argocd-apps\n") {
		t.Errorf("no target: soak %+v\n%s", s.Soak, errs)
	}

	// main has production at pre-launch; a promotion to beta is not merged.
	repo, _ := soakGitOps(t, dir, historyEnd.Add(-30*time.Hour))
	if code, _, errs := runIn(t, dir, nil, "promote", "production", "--to", "beta", "--git-dir", repo); code != 0 {
		t.Fatalf("promote: exit %d\n%s", code, errs)
	}
	code, out, errs = runIn(t, dir, env, "status", "production", "--at", at(), "--window", "1d", "--git-dir", repo)
	if code != 0 || strings.Contains(out, "soak") ||
		!strings.Contains(errs, "soak not shown: main in local repository "+repo+" does not have production at beta (not promoted there, or its pull request is not merged yet)") {
		t.Errorf("unmerged promotion: exit %d\n%s\n%s", code, out, errs)
	}

	// GitHub, through gitops.repo with a token: refused, then a repository
	// that never had production.
	gh, err := githubfake.New(githubfake.Options{Owner: "coditect", Repo: "argocd-apps", Token: canaryToken})
	if err != nil {
		t.Fatal(err)
	}
	ghSrv := httptest.NewServer(gh)
	t.Cleanup(ghSrv.Close)
	if _, err := gh.Seed(map[string][]byte{"README.md": []byte("x\n")}); err != nil {
		t.Fatal(err)
	}
	env["GITHUB_API_URL"], env["GITHUB_TOKEN"] = ghSrv.URL+"/", canaryBad
	code, out, errs = runIn(t, dir, env, "status", "production", "--at", at(), "--window", "1d")
	if code != 0 || strings.Contains(out, "soak") || !strings.Contains(errs, "soak not shown: ") || !strings.Contains(errs, "authentication") || strings.Contains(errs, canaryBad) {
		t.Errorf("refused token: exit %d\n%s\n%s", code, out, errs)
	}
	env["GITHUB_TOKEN"] = canaryToken
	code, _, errs = runIn(t, dir, env, "status", "production", "--at", at(), "--window", "1d")
	if code != 0 || !strings.Contains(errs, "soak not shown: main in github.com/coditect/argocd-apps does not have production at beta") {
		t.Errorf("never promoted on GitHub: exit %d\n%s", code, errs)
	}
	// Asked for explicitly, a target that cannot be read fails.
	code, _, errs = runIn(t, dir, env, "status", "production", "--at", at(), "--window", "1d", "--repo", "coditect/not-there")
	if code != cli.ExitError || !strings.Contains(errs, "phasegen status: reading the soak: ") {
		t.Errorf("--repo not there: exit %d\n%s", code, errs)
	}
	code, _, errs = runIn(t, dir, env, "status", "production", "--at", at(), "--window", "1d", "--git-dir", filepath.Join(dir, "no-such-repo"))
	if code != cli.ExitError || !strings.Contains(errs, "phasegen status: reading the soak: ") {
		t.Errorf("--git-dir not there: exit %d\n%s", code, errs)
	}
	for _, args := range [][]string{{"--repo", "a/b", "--git-dir", repo}, {"--repo", "nope"}} {
		if code, _, errs := runIn(t, dir, env, append([]string{"status", "production", "--at", at(), "--window", "1d"}, args...)...); code != cli.ExitUsage {
			t.Errorf("%v: exit %d, want 2\n%s", args, code, errs)
		}
	}
}

// TestStatusSoakFromGitHub: on GitHub the soak counts from when the pull
// request was merged; a constant number of GitHub calls.
func TestStatusSoakFromGitHub(t *testing.T) {
	srv, _ := promServer.Get(t)
	clock := historyEnd.Add(-3 * time.Hour)
	gh, err := githubfake.New(githubfake.Options{Owner: "coditect", Repo: "argocd-apps", Token: canaryToken, Now: func() time.Time { return clock }})
	if err != nil {
		t.Fatal(err)
	}
	ghSrv := httptest.NewServer(gh)
	t.Cleanup(ghSrv.Close)
	if _, err := gh.Seed(map[string][]byte{"README.md": []byte("x\n")}); err != nil {
		t.Fatal(err)
	}
	dir := promRepo(t, nil)
	env := map[string]string{"PROMETHEUS_URL": srv.URL, "GITHUB_API_URL": ghSrv.URL + "/", "GITHUB_TOKEN": canaryToken}
	if code, out, errs := runAt(t, clock, dir, env, "promote", "production", "--to", "pre-launch"); code != 0 {
		t.Fatalf("promote: exit %d\n%s\n%s", code, out, errs)
	}
	clock = historyEnd.Add(-time.Hour)
	if err := gh.MergePR(1); err != nil {
		t.Fatal(err)
	}
	calls := len(gh.Calls())
	code, out, errs := runIn(t, dir, env, "status", "production", "--at", at(), "--window", "1d", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	var s statusJSON
	decodeStrict(t, out, &s)
	if s.Soak == nil || !s.Soak.Since.Equal(clock) || s.Soak.Passed || !s.Soak.EndsAt.Equal(clock.Add(24*time.Hour)) {
		t.Errorf("soak %+v, want since the merge at %s", s.Soak, clock)
	}
	if n := len(gh.Calls()) - calls; n != 3 {
		t.Errorf("%d GitHub calls for the soak, want 3 (the commits of the overlay, its content at the one revision, the pull request that merged it)", n)
	} else {
		t.Logf("%d GitHub calls for the soak", n)
	}
	if strings.Contains(out+errs, canaryToken) {
		t.Error("the token shows")
	}
}
