package base

import (
	"testing"
	"testing/fstest"

	"github.com/coditect/phasegen/templates"
)

func TestLoadEmbeddedBase(t *testing.T) {
	b, err := Load(templates.FS())
	if err != nil {
		t.Fatal(err)
	}
	sts, err := b.Workload("coditect-combined")
	if err != nil {
		t.Fatal(err)
	}
	if got := StoragePerPod(sts); got.String() != "55Gi" {
		t.Errorf("storage per pod = %s, want 55Gi", got.String())
	}
	c, err := MainContainer(sts)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Resources.Limits.Cpu().String(); got != "2" {
		t.Errorf("cpu limit = %s, want 2", got)
	}
	if *sts.Spec.Replicas != 3 || string(sts.Spec.PodManagementPolicy) != "Parallel" {
		t.Errorf("replicas %d policy %s, want 3 Parallel", *sts.Spec.Replicas, sts.Spec.PodManagementPolicy)
	}
	for _, f := range []string{"kustomization.yaml", "statefulset.yaml", "service.yaml", "service-headless.yaml"} {
		if _, ok := b.Files[f]; !ok {
			t.Errorf("base file %s missing", f)
		}
	}
	if _, err := b.Workload("nope"); err == nil {
		t.Error("missing workload: no error")
	}
}

func TestLoadRejectsBadBase(t *testing.T) {
	cases := map[string]fstest.MapFS{
		"no kustomization": {"base/a.yaml": {Data: []byte("kind: Service\n")}},
		"unknown field":    {"base/kustomization.yaml": {Data: []byte("resources: [s.yaml]\n")}, "base/s.yaml": {Data: []byte("kind: StatefulSet\napiVersion: apps/v1\nmetadata: {name: x}\nspec: {bogus: 1}\n")}},
		"bad yaml":         {"base/kustomization.yaml": {Data: []byte("resources: [s.yaml]\n")}, "base/s.yaml": {Data: []byte("kind: [\n")}},
		"too large":        {"base/kustomization.yaml": {Data: make([]byte, MaxFileSize+1)}},
	}
	for name, fsys := range cases {
		if _, err := Load(fsys); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
