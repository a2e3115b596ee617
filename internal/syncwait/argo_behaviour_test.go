package syncwait_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coditect/phasegen/internal/argocdapi"
	"github.com/coditect/phasegen/internal/argocdfake"
	"github.com/coditect/phasegen/internal/syncwait"
)

// waitWith is rig.wait with the options edit changes.
func (r *rig) waitWith(t *testing.T, edit func(*syncwait.Options)) (syncwait.Result, error) {
	t.Helper()
	o := syncwait.Options{
		Client: r.client, Server: r.url, App: appName, Project: "default", Revision: r.merged,
		Timeout: 10 * time.Minute, HealthyFor: 30 * time.Second,
		Now: r.clock.Now, Sleep: r.clock.Sleep, Log: &r.log,
	}
	edit(&o)
	return syncwait.Wait(context.Background(), o)
}

// A fresh HPA is Degraded until its first metrics: within the grace the
// wait goes on; without one (the wait before the grace) it fails at once.
func TestWaitGracesHPAWithoutMetrics(t *testing.T) {
	sc := rollout
	sc.MetricsLag = 14 * time.Second
	r := newRig(t, sc)
	if _, err := r.waitWith(t, func(o *syncwait.Options) {}); err == nil || !strings.Contains(err.Error(), "Degraded at "+r.merged[:12]+": not Healthy: HorizontalPodAutoscaler") {
		t.Fatalf("without a grace: %v, want Degraded at once", err)
	}

	r = newRig(t, sc)
	res, err := r.waitWith(t, func(o *syncwait.Options) { o.MetricsGrace = 2 * time.Minute })
	if err != nil || !res.Ready {
		t.Fatalf("with a 2m grace: %v\n%s", err, r.log.String())
	}
	if !strings.Contains(r.log.String(), "health Degraded") {
		t.Errorf("the Degraded HPA was never seen, so the grace was not tried:\n%s", r.log.String())
	}
}

// An HPA that never gets metrics fails the wait when the grace ends, saying
// so; a Degraded workload beside the waiting HPA is not graced.
func TestWaitGraceEnds(t *testing.T) {
	sc := rollout
	sc.MetricsLag = 5 * time.Minute
	r := newRig(t, sc)
	_, err := r.waitWith(t, func(o *syncwait.Options) { o.MetricsGrace = 2 * time.Minute })
	if err == nil || !strings.Contains(err.Error(), "had no metrics or no target for the whole 2m0s grace") || !strings.Contains(err.Error(), argocdfake.HPAMetricsMessage) {
		t.Fatalf("error %v", err)
	}
	// Degraded from 55s: fails within a poll of 55s + 2m.
	if el := r.clock.Now().Sub(start); el < 175*time.Second || el > 175*time.Second+syncwait.MaxPoll {
		t.Errorf("failed %v in, want within a poll of 2m55s", el)
	}

	sc.Unhealthy = ""
	sc.End, sc.Message = argocdfake.Degraded, "Pod coditect-combined-3: CrashLoopBackOff"
	sc.MetricsLag = 0
	r = newRig(t, sc)
	if _, err := r.waitWith(t, func(o *syncwait.Options) { o.MetricsGrace = 2 * time.Minute }); err == nil || strings.Contains(err.Error(), "grace") {
		t.Fatalf("a crashing workload: %v, want Degraded without the grace", err)
	}
}

// A refused sync Argo CD retries is reported at once with the attempt and
// the server's refusal; the wait fails when Argo CD gives up, long before
// the timeout, or at the first refusal with FailOnRetry.
func TestWaitRetriedSync(t *testing.T) {
	const refusal = `one or more objects failed to apply, reason: admission webhook "validate.kyverno.svc" denied the request: resource limits are required`
	sc := rollout
	sc.End, sc.Message, sc.Retries, sc.RetryEvery = argocdfake.SyncRetried, refusal, 5, 30*time.Second
	r := newRig(t, sc)
	res, err := r.waitWith(t, func(o *syncwait.Options) {})
	if err == nil || !strings.Contains(err.Error(), "ended Failed: "+refusal+" (retried 5 times).") {
		t.Fatalf("error %v\n%s", err, r.log.String())
	}
	// Retried from 55s, every 30s, 5 times: Argo CD gives up at 3m25s.
	if el := r.clock.Now().Sub(start); el < 205*time.Second || el > 205*time.Second+syncwait.MaxPoll {
		t.Errorf("failed %v in, want within a poll of Argo CD giving up at 3m25s", el)
	}
	log := r.log.String()
	first := strings.Index(log, "argo cd refused the sync of "+r.merged[:12]+" and is retrying it (attempt #1): "+refusal+". Retrying attempt #1 at")
	if first < 0 || !strings.Contains(log, "(attempt #5)") {
		t.Errorf("the attempts are not reported:\n%s", log)
	}
	if res.Retrying == nil || res.Retrying.Attempt != 5 {
		t.Errorf("result's retrying %+v", res.Retrying)
	}

	r = newRig(t, sc)
	_, err = r.waitWith(t, func(o *syncwait.Options) { o.FailOnRetry = true })
	if err == nil || !strings.Contains(err.Error(), "(attempt #1; Argo CD retries it, this wait stops at the first refusal): "+refusal) {
		t.Fatalf("with FailOnRetry: %v", err)
	}
	if el := r.clock.Now().Sub(start); el < 55*time.Second || el > 55*time.Second+syncwait.MaxPoll {
		t.Errorf("failed %v in, want within a poll of the first refusal at 55s", el)
	}
}

// Argo CD calls a StatefulSet Healthy at the previous phase's 10 pods
// while its HPA has yet to scale it to the new floor of 34: without the
// workloads the wait returns there; with them it waits until the floor is
// updated and available.
func TestWaitPhaseLanded(t *testing.T) {
	sc := rollout
	sc.Lagging, sc.LaggingReplicas = time.Minute, 10
	lagging := func(t *testing.T) *rig {
		t.Helper()
		r := newRigWith(t, sc, []argocdfake.Resource{
			{Group: "apps", Version: "v1", Kind: "StatefulSet", Name: "coditect-combined", Replicas: 34},
			{Group: "autoscaling", Version: "v2", Kind: "HorizontalPodAutoscaler", Name: "coditect-combined-hpa"},
		})
		return r
	}
	r := lagging(t)
	if res, err := r.waitWith(t, func(o *syncwait.Options) { o.HealthyFor = 0 }); err != nil || !res.Ready {
		t.Fatalf("without workloads: %v", err)
	}
	if el := r.clock.Now().Sub(start); el > 95*time.Second+syncwait.MaxPoll {
		t.Fatalf("without workloads the wait ended at %v, not at Argo CD's Healthy", el)
	}

	r = lagging(t)
	res, err := r.waitWith(t, func(o *syncwait.Options) {
		o.HealthyFor = 0
		o.Workloads = []syncwait.Workload{{Kind: "StatefulSet", Name: "coditect-combined", Floor: 34}}
	})
	if err != nil || !res.Ready {
		t.Fatalf("with workloads: %v\n%s", err, r.log.String())
	}
	// Healthy at 95s with 10 pods; 34 from 155s.
	if el := r.clock.Now().Sub(start); el < 155*time.Second || el > 155*time.Second+syncwait.MaxPoll {
		t.Errorf("the wait ended at %v, want within a poll of the floor reached at 2m35s", el)
	}
	if !strings.Contains(r.log.String(), "Argo CD reports it synced and Healthy, but the phase has not landed: StatefulSet coditect-combined at the phase's floor of 34 pods (10 updated, 10 available)") {
		t.Errorf("the wait does not say why it holds:\n%s", r.log.String())
	}
	managed := 0
	for _, c := range r.fake.Calls() {
		if strings.HasSuffix(c.Path, "/managed-resources") {
			managed++
			if c.Query != "group=apps&project=default" {
				t.Errorf("managed-resources query %q", c.Query)
			}
		}
	}
	if managed == 0 || managed > res.Polls {
		t.Errorf("%d managed-resources calls over %d polls: at most one per poll", managed, res.Polls)
	}

	// Timed out at the lagging count, it names the workload and its pods.
	r = lagging(t)
	_, err = r.waitWith(t, func(o *syncwait.Options) {
		o.Timeout, o.HealthyFor = 2*time.Minute, 0
		o.Workloads = []syncwait.Workload{{Kind: "StatefulSet", Name: "coditect-combined", Floor: 34}}
	})
	if err == nil || !strings.Contains(err.Error(), "StatefulSet coditect-combined at the phase's floor of 34 pods (10 updated, 10 available)") {
		t.Fatalf("timeout: %v", err)
	}
}

// The look taken at the deadline is a real request: on a server that takes
// a few milliseconds to answer (a loaded machine does), it is not cut
// before the answer comes, and the timeout names what the answer said.
func TestWaitLooksAtTheDeadline(t *testing.T) {
	sc := rollout
	sc.Lagging, sc.LaggingReplicas = time.Hour, 10
	r := newRigWith(t, sc, []argocdfake.Resource{
		{Group: "apps", Version: "v1", Kind: "StatefulSet", Name: "coditect-combined", Replicas: 34},
	})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		time.Sleep(5 * time.Millisecond) // latency, not a wait for time
		r.fake.ServeHTTP(w, req)
	}))
	t.Cleanup(slow.Close)
	client, err := argocdapi.New(argocdapi.Options{Server: slow.URL, Token: token, HTTPClient: slow.Client()})
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.waitWith(t, func(o *syncwait.Options) {
		o.Client, o.Server = client, slow.URL
		o.Timeout, o.HealthyFor = 2*time.Minute, 0
		o.Workloads = []syncwait.Workload{{Kind: "StatefulSet", Name: "coditect-combined", Floor: 34}}
	})
	if err == nil || !strings.Contains(err.Error(), "StatefulSet coditect-combined at the phase's floor of 34 pods (10 updated, 10 available)") ||
		strings.Contains(err.Error(), "the last request failed") {
		t.Fatalf("timeout: %v", err)
	}
}
