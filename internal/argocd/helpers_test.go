package argocd

import (
	"path/filepath"
	"testing"

	goldenpkg "github.com/coditect/phasegen/internal/golden"

	"github.com/coditect/phasegen/internal/config"
)

// shipped loads the repository's environments/ and pairs each environment
// with its declared phase.
func shipped(t *testing.T) []Item {
	t.Helper()
	set, err := config.Load(filepath.Join("..", "testdata", "example", "environments"))
	if err != nil {
		t.Fatalf("loading shipped configs: %v", err)
	}
	if len(set.Environments) == 0 {
		t.Fatal("no shipped environments")
	}
	items := make([]Item, 0, len(set.Environments))
	for _, e := range set.Environments {
		p, ok := set.Phase(e.Spec.Phase)
		if !ok {
			t.Fatalf("environment %s: no phase %s", e.Metadata.Name, e.Spec.Phase)
		}
		items = append(items, Item{Env: e, Phase: p, HPAOwned: hpaOwned(e, p)})
	}
	return items
}

// parseEnv and parsePhase build fixtures through config's own validation, so
// every fixture is a configuration a user could write.
func parseEnv(t *testing.T, name, body string) *config.Environment {
	t.Helper()
	doc, ps := config.Parse(name+".yaml", []byte(body), config.KindEnvironment)
	if len(ps) > 0 {
		t.Fatalf("fixture %s: %v", name, ps)
	}
	e := doc.(*config.Environment)
	e.App = "coditect"
	return e
}

func parsePhase(t *testing.T, name, body string) *config.Phase {
	t.Helper()
	doc, ps := config.Parse(name+".yaml", []byte(body), config.KindPhase)
	if len(ps) > 0 {
		t.Fatalf("fixture %s: %v", name, ps)
	}
	return doc.(*config.Phase)
}

// fleet is a set of environments covering every shape an Application takes:
// cluster by server or name, sync wave, prune and self-heal off, manual sync,
// a configured clone URL, and fixed-replica and autoscaling phases.
func fleet(t *testing.T) []Item {
	t.Helper()
	return fleetIn(t, "")
}

// teamFleet is fleet with every Application in the team's namespace
// (spec.argocd.namespace), as Argo CD's "Applications in any namespace"
// allows.
func teamFleet(t *testing.T) []Item {
	t.Helper()
	return fleetIn(t, "coditect-apps")
}

// fleetIn is fleet with spec.argocd.namespace set to appNamespace, unless "".
func fleetIn(t *testing.T, appNamespace string) []Item {
	t.Helper()
	fixed := parsePhase(t, "fixed", `apiVersion: phasegen.dev/v1alpha1
kind: Phase
metadata: {name: fixed}
spec:
  order: 1
  description: three pods, no HPA
  users: {min: 1, max: 4}
  replicas: 3
`)
	scaled := parsePhase(t, "scaled", `apiVersion: phasegen.dev/v1alpha1
kind: Phase
metadata: {name: scaled}
spec:
  order: 2
  description: HPA 10-30
  users: {min: 5, max: 20}
  replicas: 10
  autoscaling: {minReplicas: 10, maxReplicas: 30, targetCPUUtilizationPercentage: 70}
`)
	// env writes an Environment; argo is the inside of spec.argocd after
	// the project, git extra fields of spec.gitops.
	env := func(name, namespace, argo, git string) *config.Environment {
		if appNamespace != "" {
			argo += ", namespace: " + appNamespace
		}
		return parseEnv(t, name, `apiVersion: phasegen.dev/v1alpha1
kind: Environment
metadata: {name: `+name+`}
spec:
  phase: fixed
  namespace: `+namespace+`
  workload: coditect-combined
  gitops: {repo: coditect/argocd-apps, path: apps/coditect, `+git+`}
  argocd: {project: fleet, `+argo+`}
`)
	}
	items := []Item{
		{env("eu-1", "coditect-eu", "name: eu-cluster-1, syncWave: -2", "branch: main"), scaled, nil},
		{env("eu-2", "coditect-eu", "name: eu-cluster-2, prune: false", "branch: main"), fixed, nil},
		{env("us-1", "coditect-us", "server: https://10.0.0.1:6443, selfHeal: false, syncWave: 3", "branch: main"), scaled, nil},
		{env("lab", "coditect-lab", "server: https://kubernetes.default.svc, manual: true",
			"branch: main, repoURL: git@github.com:coditect/argocd-apps.git"), fixed, nil},
		{env("dev", "coditect-dev", "server: https://kubernetes.default.svc, prune: false", "branch: dev"), scaled, nil},
	}
	for i := range items {
		items[i].HPAOwned = hpaOwned(items[i].Env, items[i].Phase)
	}
	return items
}

// golden compares got with testdata/name (-update rewrites it).
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	goldenpkg.Assert(t, filepath.Join("testdata", name), got)
}

// hpaOwned is what the renderer passes for an environment of the example's
// one StatefulSet: that StatefulSet when the phase autoscales.
func hpaOwned(e *config.Environment, p *config.Phase) []Workload {
	if p.Spec.Autoscaling == nil {
		return nil
	}
	return []Workload{{Kind: "StatefulSet", Name: e.Spec.Workload}}
}
