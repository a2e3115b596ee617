package argocd

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// TestArgoCDSyncsWhatPhasegenPromotes runs, on one stack, the two shipped
// examples as two apps of one GitOps repository: each environment
// promoted into the repository and merged, the one parent object applied
// once, every Application waited for with phasegen wait and the read-only
// token; then a staging-only promotion, a sync the cluster refuses, a fix
// forward while Argo CD retries a refused sync, production through its
// phases up to the StatefulSet's 34 pods, the HPA scaling past them with
// the Application still Synced, a workload leaving the base, an
// Application renamed without and with the gate's runbook, and an
// Application Argo CD cannot compare.
func TestArgoCDSyncsWhatPhasegenPromotes(t *testing.T) {
	s := startStack(t)
	ide := s.config(t, ".")
	store := s.config(t, "examples/store")
	for _, ns := range []string{"coditect-app", "coditect-staging", "store", "store-staging"} {
		s.c.namespace(t, ns)
	}
	s.promote(t, ide, "production", "pre-launch")
	s.promote(t, ide, "staging", "pre-launch")
	s.promote(t, store, "production", "pilot")
	s.promote(t, store, "staging", "pilot")

	// The one parent object creates exactly every app's Applications.
	s.applyParent(t, ide)
	want := []string{"coditect-production", "coditect-staging", "phasegen-apps", "store-production", "store-staging"}
	eventually(t, 2*time.Minute, "the parent creates every Application", func() (bool, error) {
		return slices.Equal(s.applicationNames(t), want), nil
	})
	// A fresh HPA is Degraded (no target, then no metrics) before it is
	// Healthy: without the grace, wait fails on it.
	if _, errs, code := s.run(t, ide, "wait", "production", "--git-dir", s.bare, "--argocd-server", s.argo.url, "--metrics-grace", "0s", "--timeout", "2m"); code != 1 || !strings.Contains(errs, "Degraded at ") || !strings.Contains(errs, "HorizontalPodAutoscaler coditect-combined-hpa Degraded") {
		t.Errorf("wait without the HPA grace: exit %d, want 1 on the fresh HPA's Degraded\n%s", code, errs)
	}
	s.record(t, "coditect-production")
	for _, c := range []struct{ dir, env string }{{ide, "production"}, {ide, "staging"}, {store, "production"}, {store, "staging"}} {
		s.wait(t, c.dir, c.env, "--healthy-for", "5s")
		s.record(t, appName(t, c.dir)+"-"+c.env)
	}

	// A staging-only promotion: production's Application syncs nothing
	// new and its live objects stay as they were.
	prodBefore := s.syncedAt(t, "coditect-production")
	stsBefore := s.c.statefulSet(t, "coditect-app", "coditect-combined")
	s.promote(t, ide, "staging", "beta")
	s.wait(t, ide, "staging", "--healthy-for", "5s")
	if got := s.syncedAt(t, "coditect-production"); got != prodBefore {
		t.Errorf("production's Application synced again after a staging-only promotion: %s, then %s", prodBefore, got)
	}
	if st := s.c.statefulSet(t, "coditect-app", "coditect-combined"); st.Generation != stsBefore.Generation {
		t.Errorf("production's StatefulSet changed: generation %d, then %d", stsBefore.Generation, st.Generation)
	}

	// A sync the cluster refuses (an admission policy denies the
	// PrometheusRule's update): Argo CD retries it. wait reports the
	// refusal and the attempt at once; with --fail-on-retry it stops
	// there; without, the retry after the policy is lifted syncs.
	const refusal = "rule changes are frozen for the release"
	lift := s.c.refuse(t, "refuse-rule-updates", "coditect-staging", refusal, ruleUpdates)
	s.promote(t, ide, "staging", "full-mvp")
	waitArgs := []string{"wait", "staging", "--git-dir", s.bare, "--argocd-server", s.argo.url, "--healthy-for", "5s", "--timeout", "4m"}
	_, errs, code := s.run(t, ide, append(waitArgs, "--fail-on-retry")...)
	if code != 1 || !contains(errs, "argo cd refused the sync of coditect-staging", "(attempt #1; Argo CD retries it", refusal) {
		t.Errorf("wait --fail-on-retry: exit %d, want 1 at the first refusal\n%s", code, errs)
	}
	s.record(t, "coditect-staging")
	cmd, live := s.start(t, ide, waitArgs...)
	eventually(t, 2*time.Minute, "wait reports the retried sync", func() (bool, error) {
		return contains(live.String(), "is retrying it (attempt #", refusal), nil
	})
	lift()
	if err := cmd.Wait(); err != nil {
		t.Errorf("wait after the policy was lifted: %v\n%s", err, live.String())
	}
	s.fixForward(t, ide)

	// Production through its phases. At scale-out the HPA floor rises from
	// 10 to 34: Argo CD calls the StatefulSet Healthy at 10 while its HPA
	// has yet to scale it; wait holds until 34 pods are updated and
	// available.
	for _, phase := range []string{"beta", "full-mvp", "scale-out"} {
		s.promote(t, ide, "production", phase)
		errs := s.wait(t, ide, "production", "--healthy-for", "0s")
		if phase != "scale-out" {
			continue
		}
		st := s.c.statefulSet(t, "coditect-app", "coditect-combined")
		if st.Status.UpdatedReplicas < 34 || st.Status.AvailableReplicas < 34 {
			t.Errorf("wait returned with the StatefulSet at %d updated, %d available of the phase's 34", st.Status.UpdatedReplicas, st.Status.AvailableReplicas)
		}
		t.Logf("wait at scale-out:\n%s", errs)
	}
	s.record(t, "coditect-production")

	// The HPA owns the replicas: under load it scales the StatefulSet past
	// the manifest's 34 and the Application stays Synced (its
	// ignoreDifferences on /spec/replicas, RespectIgnoreDifferences).
	// The load is every pod's: every HPA scales from now on.
	s.health.underLoad()
	s.c.metrics.cpu.Store(1000)
	eventually(t, 3*time.Minute, "the HPA scales the StatefulSet past 34", func() (bool, error) {
		if sync := s.syncStatus(t, "coditect-production"); sync != "Synced" {
			return false, fmt.Errorf("the Application is %s while the HPA scales", sync)
		}
		st := s.c.statefulSet(t, "coditect-app", "coditect-combined")
		return st.Spec.Replicas != nil && *st.Spec.Replicas > 34, nil
	})
	if sync := s.syncStatus(t, "coditect-production"); sync != "Synced" {
		t.Errorf("the Application is %s after the HPA scaled", sync)
	}

	// Renaming an Application as it is leaves two Applications taking the
	// workload from each other until the old one goes; after the runbook
	// the workload is never deleted and changes hands once.
	fight := s.rename(t, store, "production", "store", "store-prod", "pilot", "StatefulSet/store-db", false)
	t.Logf("renamed without the runbook: store-db taken by %v, deleted: %v", fight.owners(), fight.deleted.Load())
	// A workload leaving the base is pruned, its claim kept (after the
	// rename above: store's one configuration serves both environments).
	s.workloadLeaves(t, store, "staging", "store-staging", "pilot")
	kept := s.rename(t, ide, "staging", "coditect-staging", "coditect-stg", "full-mvp", "StatefulSet/coditect-combined", true)
	if kept.deleted.Load() || !slices.Equal(kept.owners(), []string{"coditect-staging", "coditect-stg"}) {
		t.Errorf("renamed after the runbook: coditect-combined deleted %v, taken by %v; want never deleted, taken from coditect-staging by coditect-stg once",
			kept.deleted.Load(), kept.owners())
	}
	// Moving it to another namespace (Argo CD's "Applications in any
	// namespace") after the runbook: the same, the new Application
	// tracking it as <namespace>_<name>.
	moved := s.move(t, ide, "staging", "coditect-staging", "full-mvp", "StatefulSet/coditect-combined")
	if want := []string{"coditect-stg", appNamespace + "_coditect-stg"}; moved.deleted.Load() || !slices.Equal(moved.owners(), want) {
		t.Errorf("moved after the runbook: coditect-combined deleted %v, taken by %v; want never deleted, taken by %v", moved.deleted.Load(), moved.owners(), want)
	}

	// An Application Argo CD cannot compare (its path is not in the
	// repository) shows a ComparisonError condition.
	broken := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
		"metadata": map[string]any{"name": "broken", "namespace": "argocd"},
		"spec": map[string]any{"project": "default",
			"source":      map[string]any{"repoURL": s.repoURL, "path": "no/such/path", "targetRevision": "main"},
			"destination": map[string]any{"server": "https://kubernetes.default.svc", "namespace": "coditect-app"}},
	}}
	if _, err := s.dyn.Resource(applications).Namespace("argocd").Create(context.Background(), broken, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 2*time.Minute, "Argo CD reports the broken Application's ComparisonError", func() (bool, error) {
		u, err := s.dyn.Resource(applications).Namespace("argocd").Get(context.Background(), "broken", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		cs, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
		return len(cs) > 0, nil
	})
	s.record(t, "broken")
	s.checkShapes(t)

	// What --healthy-for rests on: after wait said an Application had
	// landed, did Argo CD call it anything but Healthy before the next
	// promotion, but for the HPA scaling on purpose?
	seen, unexpected := s.health.report()
	t.Logf("health after the waits: %s", seen)
	if len(unexpected) > 0 {
		t.Errorf("Argo CD called an Application other than Healthy after wait returned for it: %v", unexpected)
	}
}

// syncStatus is the Application's status.sync.status.
func (s *stack) syncStatus(t *testing.T, name string) string {
	t.Helper()
	u := s.application(t, name)
	st, _, _ := unstructured.NestedString(u.Object, "status", "sync", "status")
	return st
}

// syncedAt is when the Application's last sync operation finished.
func (s *stack) syncedAt(t *testing.T, name string) string {
	t.Helper()
	u := s.application(t, name)
	at, _, _ := unstructured.NestedString(u.Object, "status", "operationState", "finishedAt")
	rev, _, _ := unstructured.NestedString(u.Object, "status", "operationState", "syncResult", "revision")
	return at + " " + rev
}
