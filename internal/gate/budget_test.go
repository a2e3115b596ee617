package gate_test

import (
	"strings"
	"testing"

	"github.com/coditect/phasegen/internal/config"
	"github.com/coditect/phasegen/internal/gate"
)

func budgetPhase(t *testing.T, sizing string) *config.Phase {
	t.Helper()
	doc, ps := config.Parse("launch.yaml", []byte("apiVersion: phasegen.dev/v1alpha1\nkind: Phase\nmetadata: {name: launch}\nspec:\n  order: 1\n  users: {min: 1, max: 10}\n  workloads:\n    db:\n"+sizing), config.KindPhase)
	if len(ps) > 0 {
		t.Fatal(ps)
	}
	return doc.(*config.Phase).For("db")
}

// TestBlockingBudget: a one-replica database with maxUnavailable: 0 (the
// common shape), minAvailable at the pods the phase runs or above, and a
// percentage that rounds up to all of them allow no eviction; the default,
// and budgets that leave one pod to evict, do.
func TestBlockingBudget(t *testing.T) {
	for _, c := range []struct {
		sizing string
		blocks bool
	}{
		{"      replicas: 1\n      pdb: {maxUnavailable: 0}\n", true},
		{"      replicas: 3\n      pdb: {maxUnavailable: \"0%\"}\n", true},
		{"      replicas: 2\n      pdb: {minAvailable: 2}\n", true},
		{"      autoscaling: {minReplicas: 2, maxReplicas: 6, targetCPUUtilizationPercentage: 70}\n      pdb: {minAvailable: 3}\n", true},
		{"      replicas: 1\n      pdb: {minAvailable: \"90%\"}\n", true},
		{"      replicas: 1\n", false},
		{"      replicas: 3\n      pdb: {minAvailable: 2}\n", false},
		{"      replicas: 1\n      pdb: {maxUnavailable: \"10%\"}\n", false},
	} {
		msg := gate.BlockingBudget(budgetPhase(t, c.sizing), "db")
		if (msg != "") != c.blocks {
			t.Errorf("%q: %q, want blocking %v", c.sizing, msg, c.blocks)
		}
		if c.blocks && !strings.Contains(msg, "db's PodDisruptionBudget") || c.blocks && !strings.Contains(msg, "allows no eviction") || c.blocks && !strings.Contains(msg, "spec.workloads.db.pdb") {
			t.Errorf("message %q", msg)
		}
	}
}
