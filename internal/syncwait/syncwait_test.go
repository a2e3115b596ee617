package syncwait_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coditect/phasegen/internal/argocdapi"
	"github.com/coditect/phasegen/internal/argocdfake"
	"github.com/coditect/phasegen/internal/gitops/local"
	"github.com/coditect/phasegen/internal/syncwait"
)

const (
	appName = "coditect-combined-production"
	token   = "argocd-T0ken-canary-0123456789"
)

var start = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

// repo is a git repository made with the git binary: main holds one commit
// (the cluster's revision) and then a second (the merged promotion). It
// returns the directory and both commits.
func repo(t *testing.T) (dir, old, merged string) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git binary")
	}
	dir = t.TempDir()
	run := func(args ...string) string {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t",
			"GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_SYSTEM=/dev/null")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	run("init", "-q", "-b", "main")
	write := func(s string) {
		p := filepath.Join(dir, "apps/coditect/production/overlays/production/kustomization.yaml")
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("commonAnnotations:\n  phasegen.dev/phase: pre-launch\n")
	run("add", ".")
	run("commit", "-qm", "pre-launch")
	old = run("rev-parse", "HEAD")
	write("commonAnnotations:\n  phasegen.dev/phase: beta\n")
	run("commit", "-qam", "beta")
	return dir, old, run("rev-parse", "HEAD")
}

type rig struct {
	fake   *argocdfake.Server
	clock  *argocdfake.Clock
	client *argocdapi.Client
	url    string
	merged string
	old    string
	log    strings.Builder
}

// newRig serves the fake with the Application at the old revision, driven
// by the repository's main.
func newRig(t *testing.T, sc argocdfake.Scenario) *rig {
	t.Helper()
	return newRigIn(t, sc, argocdfake.Options{}, "")
}

// newRigIn is newRig with the fake configured by o (its token and clock
// set here) and the Application in namespace appNamespace ("" for the
// server's).
func newRigIn(t *testing.T, sc argocdfake.Scenario, o argocdfake.Options, appNamespace string) *rig {
	t.Helper()
	return newRigOf(t, sc, o, appNamespace, nil)
}

// newRigWith is newRig with the Application managing resources.
func newRigWith(t *testing.T, sc argocdfake.Scenario, resources []argocdfake.Resource) *rig {
	t.Helper()
	return newRigOf(t, sc, argocdfake.Options{}, "", resources)
}

func newRigOf(t *testing.T, sc argocdfake.Scenario, o argocdfake.Options, appNamespace string, resources []argocdfake.Resource) *rig {
	t.Helper()
	dir, old, merged := repo(t)
	r := &rig{clock: argocdfake.NewClock(start), merged: merged, old: old}
	o.Token, o.Now = token, r.clock.Now
	r.fake = argocdfake.New(o)
	g, err := local.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	r.fake.Add(argocdfake.App{Name: appName, Namespace: appNamespace, Project: "default", Scenario: sc, Resources: resources,
		Head: func() (string, error) { return g.Head(context.Background(), "main") }}, old)
	srv := httptest.NewServer(r.fake)
	t.Cleanup(srv.Close)
	r.url = srv.URL
	r.client, err = argocdapi.New(argocdapi.Options{Server: srv.URL, Token: token, HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *rig) wait(t *testing.T, healthyFor time.Duration) (syncwait.Result, error) {
	t.Helper()
	return syncwait.Wait(context.Background(), syncwait.Options{
		Client: r.client, Server: r.url, App: appName, Project: "default", Revision: r.merged,
		Timeout: 10 * time.Minute, HealthyFor: healthyFor,
		Now: r.clock.Now, Sleep: r.clock.Sleep, Log: &r.log,
	})
}

// rollout: noticed after 5s, OutOfSync 20s, syncing 30s, not reconciled
// for 20s after, Progressing 40s: Healthy from 95s on. Each state lasts
// longer than the longest poll, so every one is seen.
var rollout = argocdfake.Scenario{Notice: 5 * time.Second, OutOfSync: 20 * time.Second, Sync: 30 * time.Second,
	Stale: 20 * time.Second, Progress: 40 * time.Second}

func TestWaitSyncedAndHealthy(t *testing.T) {
	r := newRig(t, rollout)
	res, err := r.wait(t, 30*time.Second)
	if err != nil {
		t.Fatalf("%v\n%s", err, r.log.String())
	}
	if !res.Ready || res.Sync != "Synced" || res.Health != "Healthy" || res.SyncRevision != r.merged {
		t.Errorf("result %+v", res)
	}
	// Healthy from 95s; ready once 30s of it were seen without a break.
	healthy := start.Add(95 * time.Second)
	if res.HealthySince == nil || res.HealthySince.Before(healthy) || res.HealthySince.After(healthy.Add(syncwait.MaxPoll)) {
		t.Errorf("healthy since %v, want within a poll of %v", res.HealthySince, healthy)
	}
	if end := r.clock.Now(); end.Sub(*res.HealthySince) != 30*time.Second {
		t.Errorf("ready at %v, %v after healthy since", end, end.Sub(*res.HealthySince))
	}
	for i, d := range r.clock.Sleeps() {
		if d < time.Millisecond || d > syncwait.MaxPoll {
			t.Errorf("sleep %d: %v", i, d)
		}
	}
	if s := r.clock.Sleeps(); s[0] != time.Second || s[1] != 2*time.Second {
		t.Errorf("backoff starts %v, want 1s then 2s", s[:2])
	}
	log := r.log.String()
	for _, want := range []string{
		"revision " + r.old[:12] + " (not yet " + r.merged[:12] + "), sync Synced, health Healthy, operation Succeeded",
		"revision " + r.merged[:12] + " (" + r.merged[:12] + "), sync OutOfSync, health Healthy, operation Succeeded",
		"sync OutOfSync, health Progressing, operation Running",
		"sync Synced, health Progressing, operation Succeeded, not reconciled since the sync",
		"sync Synced, health Healthy, operation Succeeded\n",
		"is synced and has been Healthy for 30s",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("progress lacks %q:\n%s", want, log)
		}
	}
	if n := strings.Count(log, "\n"); n != 7 {
		t.Errorf("%d progress lines, want one per state (6) and the verdict:\n%s", n, log)
	}
	calls := r.fake.Calls()
	if calls[0].Query != "project=default&refresh=normal" || strings.Contains(calls[1].Query, "refresh") {
		t.Errorf("queries %q, %q: refresh=normal on the first call only", calls[0].Query, calls[1].Query)
	}
	if res.Polls != len(calls) {
		t.Errorf("%d polls, %d calls", res.Polls, len(calls))
	}
}

func TestWaitFlapRestartsTheCount(t *testing.T) {
	sc := rollout
	sc.FlapAt, sc.FlapFor = 10*time.Second, 20*time.Second
	r := newRig(t, sc)
	res, err := r.wait(t, 30*time.Second)
	if err != nil {
		t.Fatalf("%v\n%s", err, r.log.String())
	}
	// Healthy 95s-105s, Progressing 105s-125s, Healthy again from 125s.
	flapEnd := start.Add(125 * time.Second)
	if res.HealthySince == nil || res.HealthySince.Before(flapEnd) {
		t.Errorf("healthy since %v: the count did not restart after the flap ending %v", res.HealthySince, flapEnd)
	}
	if !r.clock.Now().After(flapEnd.Add(30*time.Second - time.Nanosecond)) {
		t.Errorf("ready at %v, before 30s after the flap", r.clock.Now())
	}
	log := r.log.String()
	h := strings.Index(log, "health Healthy")
	if h < 0 || !strings.Contains(log[h:], "health Progressing") {
		t.Errorf("progress does not show the flap:\n%s", log)
	}
}

func TestWaitFailsAtOnce(t *testing.T) {
	for _, tc := range []struct {
		name string
		end  argocdfake.End
		msg  string
		want string
	}{
		{"degraded", argocdfake.Degraded, "Pod coditect-combined-3: CrashLoopBackOff: back-off 5m0s restarting failed container",
			"Degraded at %s: Pod coditect-combined-3: CrashLoopBackOff"},
		{"sync error", argocdfake.SyncFailed, "one or more objects failed to apply, reason: StatefulSet.apps \"coditect-combined\" is invalid: spec: Forbidden: updates to statefulset spec for fields other than 'replicas'",
			"to %s ended Failed: one or more objects failed to apply, reason: StatefulSet.apps"},
		{"comparison error", argocdfake.ComparisonError, "Failed to load target state: failed to generate manifest for source 1 of 1: rpc error: kustomize build failed",
			"ComparisonError on " + appName + ": Failed to load target state"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := rollout
			sc.End, sc.Message = tc.end, tc.msg
			r := newRig(t, sc)
			res, err := r.wait(t, 30*time.Second)
			want := tc.want
			if strings.Contains(want, "%s") {
				want = strings.Replace(want, "%s", r.merged[:12], 1)
			}
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("error %v, want …%s…\n%s", err, want, r.log.String())
			}
			if res.Ready || res.Error == "" {
				t.Errorf("result %+v", res)
			}
			// At once: within one poll of the moment Argo CD reported it.
			at := map[argocdfake.End]time.Duration{argocdfake.Degraded: 95 * time.Second, argocdfake.SyncFailed: 55 * time.Second, argocdfake.ComparisonError: 5 * time.Second}[tc.end]
			if el := r.clock.Now().Sub(start); el < at || el > at+syncwait.MaxPoll {
				t.Errorf("failed %v in, want within a poll of %v", el, at)
			}
		})
	}
}

func TestWaitTimeoutNamesWhatIsMissing(t *testing.T) {
	sc := rollout
	sc.End = argocdfake.Never
	r := newRig(t, sc)
	_, err := r.wait(t, 30*time.Second)
	if !errors.Is(err, syncwait.ErrTimeout) {
		t.Fatalf("want a timeout, got %v", err)
	}
	for _, want := range []string{"timed out after 10m0s waiting for " + appName + " to sync " + r.merged[:12],
		"still missing: status.sync.revision " + r.merged[:12] + " (it is " + r.old[:12] + ")"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	if el := r.clock.Now().Sub(start); el != 10*time.Minute {
		t.Errorf("gave up after %v on the virtual clock, want exactly the 10m timeout", el)
	}
}

func TestWaitRefusals(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault argocdfake.Fault
		app   string
		want  string
	}{
		{"401", argocdfake.Fault{Status: http.StatusUnauthorized}, appName, "rejected the token (401 invalid session: token has invalid claims: token is expired): ARGOCD_AUTH_TOKEN is missing, wrong or expired"},
		{"404", argocdfake.Fault{Status: http.StatusNotFound}, appName, "has no Application " + appName + " (404)"},
		{"404 unknown app in the project", argocdfake.Fault{}, "coditect-combined-nope", `has no Application coditect-combined-nope (404): is it deployed, under that name, in project "default" (it was looked for in Argo CD's own namespace`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, rollout)
			if tc.fault.Status != 0 {
				r.fake.Inject(tc.fault)
			}
			_, err := syncwait.Wait(context.Background(), syncwait.Options{
				Client: r.client, Server: r.url, App: tc.app, Project: "default", Revision: r.merged,
				Timeout: time.Minute, HealthyFor: 30 * time.Second, Now: r.clock.Now, Sleep: r.clock.Sleep,
			})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want …%s…", err, tc.want)
			}
			if strings.Contains(err.Error(), token) {
				t.Errorf("the error shows the token")
			}
			if n := len(r.fake.Calls()); n != 1 {
				t.Errorf("%d calls: a refusal is not retried", n)
			}
		})
	}
	t.Run("wrong token", func(t *testing.T) {
		r := newRig(t, rollout)
		bad, err := argocdapi.New(argocdapi.Options{Server: r.url, Token: "wrong-" + token})
		if err != nil {
			t.Fatal(err)
		}
		_, err = syncwait.Wait(context.Background(), syncwait.Options{Client: bad, Server: r.url, App: appName, Revision: r.merged,
			Timeout: time.Minute, Now: r.clock.Now, Sleep: r.clock.Sleep})
		if err == nil || !strings.Contains(err.Error(), "401 invalid session: token signature is invalid") || strings.Contains(err.Error(), token) {
			t.Errorf("error %v", err)
		}
	})
}

func TestWaitRetries503AndDroppedConnections(t *testing.T) {
	r := newRig(t, rollout)
	r.fake.Inject(argocdfake.Fault{Status: 503}, argocdfake.Fault{Drop: true}, argocdfake.Fault{Status: 503})
	res, err := r.wait(t, 10*time.Second)
	if err != nil {
		t.Fatalf("%v\n%s", err, r.log.String())
	}
	if !res.Ready {
		t.Errorf("not ready: %+v", res)
	}
	calls := r.fake.Calls()
	if calls[0].Status != 503 || calls[1].Status != 0 || calls[2].Status != 503 || calls[3].Status != 200 {
		t.Errorf("calls %+v", calls[:4])
	}
	// The refresh is asked for until one answer came back.
	if !strings.Contains(calls[3].Query, "refresh=normal") || strings.Contains(calls[4].Query, "refresh") {
		t.Errorf("refresh on %q then %q", calls[3].Query, calls[4].Query)
	}
	// Go's transport itself retries a GET whose reused connection dropped
	// before an answer, so the drop costs one retry line or none.
	if n := strings.Count(r.log.String(), "; retrying"); n < 2 || n > 3 {
		t.Errorf("%d retry lines, want 2 or 3:\n%s", n, r.log.String())
	}
}

// A timeout while Argo CD answers only 503 names the failed answer.
func TestWaitTimeoutWhileUnavailable(t *testing.T) {
	r := newRig(t, rollout)
	var faults []argocdfake.Fault
	for i := 0; i < 100; i++ {
		faults = append(faults, argocdfake.Fault{Status: 503})
	}
	r.fake.Inject(faults...)
	_, err := syncwait.Wait(context.Background(), syncwait.Options{Client: r.client, Server: r.url, App: appName, Revision: r.merged,
		Timeout: time.Minute, Now: r.clock.Now, Sleep: r.clock.Sleep})
	if !errors.Is(err, syncwait.ErrTimeout) || !strings.Contains(err.Error(), "an answer from Argo CD (the last request failed: argo cd GET "+r.url+"/api/v1/applications/"+appName+"?refresh=normal: 503 Service Unavailable)") {
		t.Fatalf("error %v", err)
	}
}

// TestWaitAppInAnyNamespace: an Application in a namespace other than
// Argo CD's own is found with appNamespace, and only with it; without it,
// or in a namespace Argo CD does not allow, the answer is Argo CD's 404 or
// 403, said as such and not retried.
func TestWaitAppInAnyNamespace(t *testing.T) {
	opts := argocdfake.Options{AppNamespaces: []string{"coditect-*"},
		Allow: func(obj string) bool { return !strings.HasPrefix(obj, "locked/") }}
	r := newRigIn(t, rollout, opts, "coditect-apps")
	res, err := syncwait.Wait(context.Background(), syncwait.Options{
		Client: r.client, Server: r.url, App: appName, Project: "default", AppNamespace: "coditect-apps",
		Revision: r.merged, Timeout: 10 * time.Minute, HealthyFor: 30 * time.Second, Now: r.clock.Now, Sleep: r.clock.Sleep,
	})
	if err != nil || !res.Ready {
		t.Fatalf("with appNamespace: %+v %v", res, err)
	}
	for _, c := range r.fake.Calls() {
		if !strings.Contains(c.Query, "appNamespace=coditect-apps") || c.Status != http.StatusOK {
			t.Fatalf("call %+v: every read names the namespace and is answered", c)
		}
	}
	for _, tc := range []struct {
		name, project, ns string
		want              []string
	}{
		{"no appNamespace", "default", "", []string{"has no Application " + appName + " (404)", "looked for in Argo CD's own namespace", "spec.argocd.namespace"}},
		{"no appNamespace nor project", "", "", []string{"denied reading Application " + appName + " (403)", "without a project Argo CD answers the same for an Application that does not exist"}},
		{"namespace not allowed", "default", "team-x", []string{"denied reading Application " + appName + " in namespace team-x (403)", "does not allow Applications in namespace team-x"}},
		{"wrong namespace", "default", "coditect-other", []string{"has no Application " + appName + " in namespace coditect-other (404)"}},
		{"project denied", "locked", "coditect-apps", []string{"denied reading Application " + appName + " in namespace coditect-apps (403)"}},
		{"other project", "team", "coditect-apps", []string{"(404): is it deployed, under that name, in project \"team\"?"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(r.fake.Calls())
			_, err := syncwait.Wait(context.Background(), syncwait.Options{
				Client: r.client, Server: r.url, App: appName, Project: tc.project, AppNamespace: tc.ns,
				Revision: r.merged, Timeout: time.Minute, Now: r.clock.Now, Sleep: r.clock.Sleep,
			})
			for _, w := range tc.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("error %v, want …%s…", err, w)
				}
			}
			if n := len(r.fake.Calls()) - before; n != 1 {
				t.Errorf("%d calls: a refusal is not retried", n)
			}
		})
	}
}
