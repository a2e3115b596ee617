package argocd

import (
	"slices"
	"strings"
	"testing"
)

// TestStatefulSetThroughThePhases promotes the shipped example's
// production environment through its phases into the GitOps repository,
// merges each promotion, lets the one parent Application create the
// environment's Application, and waits for each phase with phasegen wait
// against the real Argo CD.
func TestStatefulSetThroughThePhases(t *testing.T) {
	s := startStack(t)
	dir := s.config(t, ".")
	s.c.namespace(t, "coditect-app")
	s.promote(t, dir, "production", "pre-launch")
	s.applyParent(t, dir, "production")
	errs := s.wait(t, dir, "production")
	if !strings.Contains(errs, "is synced and has been Healthy for") {
		t.Errorf("wait: %s", errs)
	}
	if got := s.applicationNames(t); !slices.Contains(got, "coditect-production") {
		t.Fatalf("applications %v", got)
	}
	st := s.c.statefulSet(t, "coditect-app", "coditect-combined")
	if st.Status.ReadyReplicas < 10 {
		t.Errorf("StatefulSet ready %d", st.Status.ReadyReplicas)
	}
}
