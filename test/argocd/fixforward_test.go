package argocd

import (
	"context"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// fixForward promotes staging (at full-mvp) to a phase whose every update
// the cluster refuses, then fixes forward while Argo CD retries it: the
// promotion back to full-mvp merged, and the retried operation ended as
// `argocd app terminate-op` ends it. Nothing of the fix differs from what
// runs, so Argo CD finds it Synced, starts no new operation and leaves the
// Failed one of the refused revision in status.operationState; wait for
// the fix exits 0 (that Failed operation is not the fix's), and the
// StatefulSet was never changed.
func (s *stack) fixForward(t *testing.T, dir string) {
	t.Helper()
	const refusal = "the namespace is frozen"
	before := s.c.statefulSet(t, "coditect-staging", "coditect-combined")
	lift := s.c.refuse(t, "freeze-staging", "coditect-staging", refusal, anyUpdate)
	defer lift()
	refused := s.promote(t, dir, "staging", "scale-out")
	_, errs, code := s.run(t, dir, "wait", "staging", "--git-dir", s.bare, "--argocd-server", s.argo.url, "--timeout", "3m", "--fail-on-retry")
	if code != 1 || !contains(errs, "argo cd refused the sync of coditect-staging", refusal) {
		t.Fatalf("wait --fail-on-retry on the frozen namespace: exit %d, want 1 at the first refusal\n%s", code, errs)
	}
	fix := s.promote(t, dir, "staging", "full-mvp")
	s.terminate(t, "coditect-staging")
	eventually(t, time.Minute, "the refused operation ends Failed", func() (bool, error) {
		phase, _ := s.operation(t, "coditect-staging")
		return phase == "Failed", nil
	})
	errs = s.wait(t, dir, "staging", "--healthy-for", "5s")
	t.Logf("wait for the fix forward:\n%s", errs)
	if phase, rev := s.operation(t, "coditect-staging"); phase != "Failed" || rev != refused {
		t.Errorf("after the fix forward the operation is %s of %s, want the Failed one of the refused %s (no new operation)", phase, rev, refused)
	}
	u := s.application(t, "coditect-staging")
	rev, _, _ := unstructured.NestedString(u.Object, "status", "sync", "revision")
	if sync := s.syncStatus(t, "coditect-staging"); sync != "Synced" || rev != fix {
		t.Errorf("after the fix forward the Application is %s at %s, want Synced at %s", sync, rev, fix)
	}
	if st := s.c.statefulSet(t, "coditect-staging", "coditect-combined"); st.Generation != before.Generation {
		t.Errorf("the frozen StatefulSet changed: generation %d, then %d", before.Generation, st.Generation)
	}
	s.record(t, "coditect-staging")
}

// application is the Application of key (see appKey).
func (s *stack) application(t *testing.T, key string) *unstructured.Unstructured {
	t.Helper()
	ns, name := appKey(key)
	u, err := s.dyn.Resource(applications).Namespace(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// operation is the phase of the Application's last operation and the
// revision it synced.
func (s *stack) operation(t *testing.T, name string) (phase, revision string) {
	t.Helper()
	u := s.application(t, name)
	phase, _, _ = unstructured.NestedString(u.Object, "status", "operationState", "phase")
	revision, _, _ = unstructured.NestedString(u.Object, "status", "operationState", "operation", "sync", "revision")
	return phase, revision
}

// terminate ends the Application's running operation as the API server's
// TerminateOperation does: operationState.phase set to Terminating.
func (s *stack) terminate(t *testing.T, name string) {
	t.Helper()
	ns, _ := appKey(name)
	apps := s.dyn.Resource(applications).Namespace(ns)
	for range 10 {
		u := s.application(t, name)
		if _, ok, _ := unstructured.NestedMap(u.Object, "operation"); !ok {
			t.Fatalf("terminating %s: no operation is in progress", name)
		}
		if err := unstructured.SetNestedField(u.Object, "Terminating", "status", "operationState", "phase"); err != nil {
			t.Fatal(err)
		}
		_, err := apps.Update(context.Background(), u, metav1.UpdateOptions{})
		if err == nil {
			return
		}
		if !apierrors.IsConflict(err) {
			t.Fatalf("terminating %s: %v", name, err)
		}
	}
	t.Fatalf("terminating %s: ten conflicts", name)
}
