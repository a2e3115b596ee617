package workload

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/coditect/phasegen/internal/base"
	"github.com/coditect/phasegen/internal/config"
)

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: NAME}
spec:
  selector: {matchLabels: SELECTOR}
  template:
    metadata: {labels: LABELS}
    spec: {containers: [{name: NAME, image: x}]}
`

func deploy(name, selector, labels string) string {
	return strings.NewReplacer("NAME", name, "SELECTOR", selector, "LABELS", labels).Replace(deployment)
}

func resolve(t *testing.T, files map[string]string) error {
	t.Helper()
	m := fstest.MapFS{}
	var resources []string
	for name, data := range files {
		m["base/"+name] = &fstest.MapFile{Data: []byte(data)}
		resources = append(resources, name)
	}
	m["base/kustomization.yaml"] = &fstest.MapFile{Data: []byte("resources: [" + strings.Join(resources, ", ") + "]\n")}
	b, err := base.Load(m)
	if err != nil {
		t.Fatal(err)
	}
	cfg := fstest.MapFS{
		"c/capacity.yaml": {Data: []byte("apiVersion: phasegen.dev/v1alpha1\nkind: CapacityModel\nmetadata: {name: app}\nspec:\n  pricing: {cpuCoreHour: 0, storageGBMonth: 0, hoursPerMonth: 720}\n  workloads: {api: {}, worker: {}}\n")},
		"c/phases/p.yaml": {Data: []byte("apiVersion: phasegen.dev/v1alpha1\nkind: Phase\nmetadata: {name: p}\nspec:\n  order: 1\n  users: {min: 1, max: 1}\n  workloads: {api: {replicas: 1}, worker: {replicas: 1}}\n")},
	}
	set, err := config.LoadFS(cfg, "c")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Resolve(set, b)
	return err
}

// Pods under two PodDisruptionBudgets cannot be evicted: workloads whose
// selectors overlap, and a budget of the base's own over a workload, are
// refused at the base's file.
func TestResolveRefusesOverlappingBudgets(t *testing.T) {
	err := resolve(t, map[string]string{
		"api.yaml":    deploy("api", "{app: shop}", "{app: shop, role: api}"),
		"worker.yaml": deploy("worker", "{app: shop, role: worker}", "{app: shop, role: worker}"),
	})
	if err == nil || !strings.Contains(err.Error(), "base/api.yaml: Deployment api's selector also selects the pods of Deployment worker (base/worker.yaml)") {
		t.Errorf("overlapping selectors: %v", err)
	}
	err = resolve(t, map[string]string{
		"api.yaml":    deploy("api", "{role: api}", "{role: api}"),
		"worker.yaml": deploy("worker", "{role: worker}", "{role: worker}"),
		"pdb.yaml":    "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: api}\nspec: {maxUnavailable: 1, selector: {matchLabels: {role: api}}}\n",
	})
	if err == nil || !strings.Contains(err.Error(), "base/pdb.yaml: PodDisruptionBudget api selects the pods of Deployment api") {
		t.Errorf("a budget of the base's: %v", err)
	}
	if err := resolve(t, map[string]string{
		"api.yaml":    deploy("api", "{role: api}", "{role: api}"),
		"worker.yaml": deploy("worker", "{role: worker}", "{role: worker}"),
	}); err != nil {
		t.Errorf("distinct selectors: %v", err)
	}
}
