package gate

import (
	"strings"
	"testing"

	"github.com/coditect/phasegen/internal/argocd"
	"github.com/coditect/phasegen/internal/config"
	"github.com/coditect/phasegen/internal/manifest"
)

func TestPruneWarning(t *testing.T) {
	off := false
	env := func(a config.ArgoCD) *config.Environment {
		e := &config.Environment{Metadata: config.Metadata{Name: "eu-2"}, App: "coditect-combined"}
		e.Spec.Workload, e.Spec.Namespace, e.Spec.ArgoCD = "coditect-combined", "coditect-eu", a
		return e
	}
	hpa := manifest.Object{Kind: "HorizontalPodAutoscaler", Name: "coditect-combined-hpa"}
	if w := PruneWarning(env(config.ArgoCD{}), hpa); w != "" {
		t.Errorf("prune on (the default): warning %q", w)
	}
	w := PruneWarning(env(config.ArgoCD{Prune: &off}), hpa)
	for _, want := range []string{"HorizontalPodAutoscaler/coditect-combined-hpa", "coditect-eu", "prune is off", "coditect-combined-eu-2", "delete it by hand or enable prune"} {
		if !strings.Contains(w, want) {
			t.Errorf("prune off: warning %q lacks %q", w, want)
		}
	}
	if w := PruneWarning(env(config.ArgoCD{Manual: true}), hpa); !strings.Contains(w, "automated sync, and so automated prune, is off") {
		t.Errorf("manual sync: warning %q", w)
	}
}

// The runbooks name the finalizer package argocd writes.
func TestFinalizerIsArgoCDs(t *testing.T) {
	if argocdFinalizer != argocd.Finalizer {
		t.Errorf("gate names %q, argocd writes %q", argocdFinalizer, argocd.Finalizer)
	}
}
