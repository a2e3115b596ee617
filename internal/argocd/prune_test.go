package argocd

import (
	"strings"
	"testing"
)

func TestPruneWarning(t *testing.T) {
	byName := map[string]Item{}
	for _, it := range fleet(t) {
		byName[it.Env.Metadata.Name] = it
	}
	hpa := Object{Kind: "HorizontalPodAutoscaler", Name: "coditect-combined-hpa"}

	if w := PruneWarning(byName["eu-1"].Env, hpa); w != "" {
		t.Errorf("prune on: warning %q", w)
	}
	w := PruneWarning(byName["eu-2"].Env, hpa)
	for _, want := range []string{"HorizontalPodAutoscaler/coditect-combined-hpa", "coditect-eu", "prune is off", "coditect-combined-eu-2", "delete it by hand or enable prune"} {
		if !strings.Contains(w, want) {
			t.Errorf("prune off: warning %q lacks %q", w, want)
		}
	}
	if w := PruneWarning(byName["lab"].Env, hpa); !strings.Contains(w, "automated sync") {
		t.Errorf("manual sync: warning %q", w)
	}

	scaled, fixed := byName["eu-1"].Phase, byName["eu-2"].Phase
	if ws := PromotionPruneWarnings(byName["eu-2"].Env, scaled, fixed); len(ws) != 1 || !strings.Contains(ws[0], "coditect-combined-hpa") {
		t.Errorf("HPA removed, prune off: %q", ws)
	}
	if ws := PromotionPruneWarnings(byName["eu-2"].Env, fixed, scaled); len(ws) != 0 {
		t.Errorf("HPA added: %q", ws)
	}
	if ws := PromotionPruneWarnings(byName["eu-1"].Env, scaled, fixed); len(ws) != 0 {
		t.Errorf("HPA removed, prune on: %q", ws)
	}
	for _, it := range shipped(t) {
		if ws := PromotionPruneWarnings(it.Env, scaled, fixed); len(ws) != 0 {
			t.Errorf("shipped %s prunes, yet: %q", it.Env.Metadata.Name, ws)
		}
	}
}
