package cli_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coditect/phasegen/internal/argocdfake"
	"github.com/coditect/phasegen/internal/cli"
	"github.com/coditect/phasegen/internal/githubfake"
	"github.com/coditect/phasegen/internal/gitops"
	"github.com/coditect/phasegen/internal/gitops/local"
)

const argoToken = "argocd-api-T0KEN-wait-test"

// waitRig is a checkout of the repository's configs, a local GitOps
// repository into which production was promoted to pre-launch and then to
// beta (each merged), and a fake Argo CD whose Application follows that
// repository's main on a virtual clock the CLI's Sleep advances.
type waitRig struct {
	t           testing.TB
	dir, gitDir string
	clock       *argocdfake.Clock
	fake        *argocdfake.Server
	url         string
	env         map[string]string
}

func newWaitRig(t *testing.T, sc argocdfake.Scenario) *waitRig {
	t.Helper()
	return newWaitRigAt(t, sc, time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC))
}

// newWaitRigAt is newWaitRig with the clock starting at start; the
// promotions move it 25 hours on.
func newWaitRigAt(t *testing.T, sc argocdfake.Scenario, start time.Time) *waitRig {
	t.Helper()
	return newWaitRigIn(t, sc, start, "")
}

// newWaitRigIn is newWaitRigAt with production's spec.argocd.namespace set
// to appNamespace (unless ""), and the fake's Application there, in a
// namespace the fake allows.
func newWaitRigIn(t *testing.T, sc argocdfake.Scenario, start time.Time, appNamespace string) *waitRig {
	t.Helper()
	r := &waitRig{t: t, dir: t.TempDir(), clock: argocdfake.NewClock(start)}
	for _, d := range []string{"environments", "templates/base", "overlays"} {
		if err := copyTree(filepath.Join("..", "testdata", "example", d), filepath.Join(r.dir, d)); err != nil {
			t.Fatal(err)
		}
	}
	if appNamespace != "" {
		file := filepath.Join(r.dir, "environments", "production.yaml")
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		edited := strings.Replace(string(b), "    project: default\n", "    project: default\n    namespace: "+appNamespace+"\n", 1)
		if edited == string(b) {
			t.Fatal("production.yaml has no argocd.project line to add the namespace under")
		}
		if err := os.WriteFile(file, []byte(edited), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r.gitDir = filepath.Join(r.dir, "gitops.git")
	initBareRepo(t, r.gitDir)
	t.Chdir(r.dir)
	r.env = map[string]string{"ARGOCD_AUTH_TOKEN": argoToken}
	if code, out := r.run("promote", "production", "--to", "pre-launch", "--git-dir", r.gitDir); code != 0 {
		t.Fatalf("promote: %d\n%s", code, out)
	}
	moveMain(t, r.gitDir, "phasegen/coditect/production")
	old := r.head(t)
	r.clock.Advance(25 * time.Hour)
	if code, out := r.run("promote", "production", "--to", "beta", "--git-dir", r.gitDir); code != 0 {
		t.Fatalf("promote: %d\n%s", code, out)
	}
	moveMain(t, r.gitDir, "phasegen/coditect/production")

	r.fake = argocdfake.New(argocdfake.Options{Token: argoToken, Now: r.clock.Now, AppNamespaces: []string{"coditect-*"}})
	repo, err := local.Open(r.gitDir)
	if err != nil {
		t.Fatal(err)
	}
	r.fake.Add(argocdfake.App{Name: "coditect-production", Namespace: appNamespace, Project: "default", Scenario: sc,
		Head: func() (string, error) { return repo.Head(context.Background(), "main") }}, old)
	srv := httptest.NewServer(r.fake)
	t.Cleanup(srv.Close)
	r.url = srv.URL
	r.env["ARGOCD_SERVER"] = srv.URL
	return r
}

func (r *waitRig) head(t *testing.T) string {
	t.Helper()
	repo, err := local.Open(r.gitDir)
	if err != nil {
		t.Fatal(err)
	}
	h, err := repo.Head(context.Background(), "main")
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// run runs phasegen on the rig's clock; stdout and stderr are returned
// joined by a line "--- stderr".
func (r *waitRig) run(args ...string) (int, string) {
	a := cli.NewTestApp(r.t, r.env)
	a.HTTPClient, a.Now, a.Sleep = &http.Client{Timeout: 10 * time.Second}, r.clock.Now, r.clock.Sleep
	code := a.Run(args...)
	return code, a.Out.String() + "--- stderr\n" + a.Err.String()
}

var rolloutCLI = argocdfake.Scenario{Notice: 5 * time.Second, OutOfSync: 20 * time.Second, Sync: 30 * time.Second,
	Stale: 20 * time.Second, Progress: 40 * time.Second}

func TestWaitCommand(t *testing.T) {
	r := newWaitRig(t, rolloutCLI)
	head := r.head(t)
	start := r.clock.Now()
	code, out := r.run("wait", "production", "--git-dir", r.gitDir, "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	stdout, stderr, _ := strings.Cut(out, "--- stderr\n")
	var res struct {
		Application, Revision, Sync, Health string
		Ready                               bool
		HealthySince                        time.Time
	}
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, stdout)
	}
	if !res.Ready || res.Application != "coditect-production" || res.Revision != head || res.Health != "Healthy" || res.Sync != "Synced" {
		t.Errorf("result %+v", res)
	}
	// Healthy from 95s on the virtual clock, then 30s of it.
	if el := r.clock.Now().Sub(start); el < 125*time.Second || el > 125*time.Second+15*time.Second {
		t.Errorf("ready after %v on the virtual clock", el)
	}
	for _, want := range []string{"main is at " + head + " in local repository", "sync OutOfSync, health Progressing, operation Running",
		"is synced and has been Healthy for 30s"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if strings.Contains(out, argoToken) {
		t.Errorf("the token shows:\n%s", out)
	}

	// Again, with the table and an abbreviated revision: ready on the first poll.
	code, out = r.run("wait", "production", "--revision", head[:7], "--healthy-for", "0s")
	if code != 0 || !strings.Contains(out, "ready        yes\n") || !strings.Contains(out, "sync         Synced at "+head) {
		t.Errorf("exit %d\n%s", code, out)
	}
}

func TestWaitCommandFailures(t *testing.T) {
	never := rolloutCLI
	never.End = argocdfake.Never
	r := newWaitRig(t, never)
	head := r.head(t)
	start := r.clock.Now()
	code, out := r.run("wait", "production", "--git-dir", r.gitDir, "--timeout", "3m")
	if code != cli.ExitError || !strings.Contains(out, "timed out after 3m0s waiting for coditect-production to sync "+head[:12]+" and stay Healthy: still missing: status.sync.revision "+head[:12]) {
		t.Errorf("never synced: exit %d\n%s", code, out)
	}
	if !strings.Contains(out, "ready        no\n") || !strings.Contains(out, "missing      status.sync.revision") {
		t.Errorf("the table does not say what is missing:\n%s", out)
	}
	if el := r.clock.Now().Sub(start); el != 3*time.Minute {
		t.Errorf("timed out after %v on the virtual clock", el)
	}

	r.fake.Inject(argocdfake.Fault{Status: 401})
	if code, out := r.run("wait", "production", "--revision", head); code != cli.ExitError || !strings.Contains(out, "ARGOCD_AUTH_TOKEN is missing, wrong or expired") {
		t.Errorf("401: exit %d\n%s", code, out)
	}
	r.fake.Inject(argocdfake.Fault{Status: 404})
	if code, out := r.run("wait", "production", "--revision", head, "--missing-for", "0s"); code != cli.ExitError || !strings.Contains(out, "has no Application coditect-production (404)") {
		t.Errorf("404: exit %d\n%s", code, out)
	}
	// A 404 within --missing-for is an Application its parent has yet to
	// create: the wait goes on.
	r.fake.Inject(argocdfake.Fault{Status: 404}, argocdfake.Fault{Status: 404})
	if code, out := r.run("wait", "production", "--revision", r.fakeSynced(t), "--healthy-for", "0s"); code != 0 || strings.Count(out, "no such Application yet") != 1 {
		t.Errorf("404 then the Application: exit %d\n%s", code, out)
	}
	r.fake.Inject(argocdfake.Fault{Status: 503}, argocdfake.Fault{Status: 503})
	if code, out := r.run("wait", "production", "--revision", r.fakeSynced(t), "--healthy-for", "0s"); code != 0 || strings.Count(out, "503 Service Unavailable; retrying") != 2 {
		t.Errorf("503s: exit %d\n%s", code, out)
	}

	delete(r.env, "ARGOCD_SERVER")
	if code, out := r.run("wait", "production", "--revision", head); code != cli.ExitError || !strings.Contains(out, "pass --argocd-server HOST[:PORT] or set ARGOCD_SERVER") {
		t.Errorf("no server: exit %d\n%s", code, out)
	}
	if code, out := r.run("wait", "production", "--revision", head, "--argocd-server", strings.TrimPrefix(r.url, "http://")); code != cli.ExitError || !strings.Contains(out, "https://127.0.0.1") || !strings.Contains(out, "TLS failed") {
		t.Errorf("a bare host means https: exit %d\n%s", code, out)
	}
	r.env["ARGOCD_SERVER"] = r.url
	delete(r.env, "ARGOCD_AUTH_TOKEN")
	if code, out := r.run("wait", "production", "--revision", head); code != cli.ExitError || !strings.Contains(out, "set ARGOCD_AUTH_TOKEN") {
		t.Errorf("no token: exit %d\n%s", code, out)
	}
	for _, args := range [][]string{{"wait"}, {"wait", "production", "-o", "xml"}, {"wait", "production", "--repo", "a/b", "--git-dir", "x"}, {"wait", "production", "--timeout", "0s"}} {
		if code, out := r.run(args...); code != cli.ExitUsage {
			t.Errorf("%v: exit %d, want 2\n%s", args, code, out)
		}
	}
	if code, out := r.run("wait", "nope"); code != cli.ExitError || !strings.Contains(out, `environment "nope" does not exist`) {
		t.Errorf("unknown env: exit %d\n%s", code, out)
	}
}

// fakeSynced returns the revision the never-syncing fake keeps reporting.
func (r *waitRig) fakeSynced(t *testing.T) string {
	t.Helper()
	repo, err := local.Open(r.gitDir)
	if err != nil {
		t.Fatal(err)
	}
	var old string
	err = repo.History(context.Background(), "main", "apps/coditect/production/overlays/production/kustomization.yaml", 2, func(rv gitops.Revision) bool {
		old = rv.Commit
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	return old
}

// TestWaitCommandRevisionFromGitHub: without --git-dir the revision is the
// head of gitops.branch on GitHub, one API call.
func TestWaitCommandRevisionFromGitHub(t *testing.T) {
	r := newWaitRig(t, rolloutCLI)
	gh, err := githubfake.New(githubfake.Options{Owner: "coditect", Repo: "argocd-apps", Token: canaryToken})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gh)
	t.Cleanup(srv.Close)
	sha, err := gh.Seed(map[string][]byte{"README.md": []byte("x\n")})
	if err != nil {
		t.Fatal(err)
	}
	r.env["GITHUB_API_URL"], r.env["GITHUB_TOKEN"] = srv.URL+"/", canaryToken
	code, out := r.run("wait", "production", "--timeout", "1m")
	// The fake Argo CD follows the local repository, never sha: a timeout
	// naming sha shows the revision came from GitHub.
	if code != cli.ExitError || !strings.Contains(out, "main is at "+sha+" in github.com/coditect/argocd-apps") || !strings.Contains(out, "to sync "+sha[:12]) {
		t.Errorf("exit %d\n%s", code, out)
	}
	if n := len(gh.Calls()); n != 1 {
		t.Errorf("%d GitHub calls, want 1", n)
	}
}

// TestWaitApplicationInTeamNamespace: with spec.argocd.namespace, promote
// commits the Application in that namespace and wait asks Argo CD for it
// there (appNamespace, with the project), which finds it; the same fake
// asked without the namespace, as a wait before this field did, answers
// that it has no such Application.
func TestWaitApplicationInTeamNamespace(t *testing.T) {
	r := newWaitRigIn(t, rolloutCLI, time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC), "coditect-apps")
	head := r.head(t)
	code, out := r.run("wait", "production", "--git-dir", r.gitDir, "--healthy-for", "30s", "-o", "json")
	if code != 0 || !strings.Contains(out, "Application coditect-production in namespace coditect-apps on "+r.url) {
		t.Fatalf("exit %d\n%s", code, out)
	}
	calls := r.fake.Calls()
	for _, c := range calls {
		if !strings.Contains(c.Query, "appNamespace=coditect-apps") || !strings.Contains(c.Query, "project=default") {
			t.Errorf("call %+v lacks appNamespace=coditect-apps and project=default", c)
		}
	}
	if len(calls) == 0 || !strings.Contains(calls[0].Query, "refresh=normal") {
		t.Errorf("first call %+v: want refresh=normal", calls)
	}
	repo, err := local.Open(r.gitDir)
	if err != nil {
		t.Fatal(err)
	}
	app, err := repo.ReadFile(context.Background(), "main", "apps/coditect/overlays/argocd/production.yaml")
	if err != nil || !strings.Contains(string(app), "\n  name: coditect-production\n  namespace: coditect-apps\n") {
		t.Errorf("the promoted Application is not in coditect-apps (%v):\n%s", err, app)
	}

	// Without the field, wait asks Argo CD's own namespace: not there.
	file := filepath.Join(r.dir, "environments", "production.yaml")
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte(strings.Replace(string(b), "    namespace: coditect-apps\n", "", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out = r.run("wait", "production", "--revision", head)
	if code != cli.ExitError || !strings.Contains(out, "has no Application coditect-production (404)") || !strings.Contains(out, "spec.argocd.namespace") {
		t.Errorf("without spec.argocd.namespace: exit %d\n%s", code, out)
	}
	if last := r.fake.Calls()[len(r.fake.Calls())-1]; strings.Contains(last.Query, "appNamespace") {
		t.Errorf("without spec.argocd.namespace wait sent %s", last.Query)
	}
}

// TestWaitNamesTheUnhealthyWorkload: of an Application managing a
// Deployment and a StatefulSet, the Deployment ends Degraded: wait exits 1
// naming it (kind, name, health and Argo CD's message), and -o json lists
// it under "unhealthy"; the Healthy StatefulSet is not named.
func TestWaitNamesTheUnhealthyWorkload(t *testing.T) {
	sc := rolloutCLI
	sc.End, sc.Unhealthy = argocdfake.Degraded, "Deployment/store-api"
	sc.Message = `Deployment "store-api" exceeded its progress deadline`
	r := newWaitRig(t, sc)
	repo, err := local.Open(r.gitDir)
	if err != nil {
		t.Fatal(err)
	}
	// The rig's Application, managing two workloads instead.
	r.fake.Add(argocdfake.App{Name: "coditect-production", Scenario: sc, DestNamespace: "coditect-app",
		Resources: []argocdfake.Resource{
			{Group: "apps", Version: "v1", Kind: "Deployment", Name: "store-api"},
			{Group: "apps", Version: "v1", Kind: "StatefulSet", Name: "store-db"},
			{Group: "policy", Version: "v1", Kind: "PodDisruptionBudget", Name: "store-api-pdb"},
		},
		Head: func() (string, error) { return repo.Head(context.Background(), "main") }}, "")
	code, out := r.run("wait", "production", "--git-dir", r.gitDir, "-o", "json")
	want := `not Healthy: Deployment store-api Degraded (Deployment "store-api" exceeded its progress deadline)`
	if code != cli.ExitError || !strings.Contains(out, want) || strings.Contains(out, "StatefulSet store-db Degraded") {
		t.Errorf("exit %d, want 1 naming the Deployment:\n%s", code, out)
	}
	js, _, _ := strings.Cut(out, "--- stderr\n")
	var res struct {
		Unhealthy []struct{ Kind, Name, Health, Message string }
	}
	if err := json.Unmarshal([]byte(js), &res); err != nil {
		t.Fatalf("-o json: %v\n%s", err, js)
	}
	if len(res.Unhealthy) != 1 || res.Unhealthy[0].Kind != "Deployment" || res.Unhealthy[0].Name != "store-api" ||
		res.Unhealthy[0].Health != "Degraded" || res.Unhealthy[0].Message != sc.Message {
		t.Errorf("unhealthy = %+v", res.Unhealthy)
	}
}
