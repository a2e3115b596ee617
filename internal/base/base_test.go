package base

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/coditect/phasegen/templates"
)

func TestLoadEmbeddedBase(t *testing.T) {
	b, err := Load(templates.FS())
	if err != nil {
		t.Fatal(err)
	}
	w, err := b.Workload("coditect-combined")
	if err != nil {
		t.Fatal(err)
	}
	sts := w.StatefulSet
	if got := w.StoragePerPod(); got.String() != "55Gi" {
		t.Errorf("storage per pod = %s, want 55Gi", got.String())
	}
	c, err := w.Container("")
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
	if _, err := b.Workload("nope"); err == nil || !strings.Contains(err.Error(), `"nope" is not a Deployment or StatefulSet of the templates base (have: coditect-combined)`) {
		t.Errorf("missing workload: %v", err)
	}
}

func TestLoadRejectsBadBase(t *testing.T) {
	cases := map[string]struct {
		fsys fstest.MapFS
		want string
	}{
		"no kustomization": {fstest.MapFS{"base/a.yaml": {Data: []byte("kind: Service\n")}}, "base/kustomization.yaml is missing"},
		"unknown field": {fstest.MapFS{"base/kustomization.yaml": {Data: []byte("resources: [s.yaml]\n")}, "base/s.yaml": {Data: []byte("kind: StatefulSet\napiVersion: apps/v1\nmetadata: {name: x}\nspec: {bogus: 1}\n")}},
			`base/s.yaml: document 1: StatefulSet x: error unmarshaling JSON: while decoding JSON: json: unknown field "bogus"`},
		"bad yaml":  {fstest.MapFS{"base/kustomization.yaml": {Data: []byte("resources: [s.yaml]\n")}, "base/s.yaml": {Data: []byte("kind: [\n")}}, "base/s.yaml: document 1: yaml:"},
		"too large": {fstest.MapFS{"base/kustomization.yaml": {Data: make([]byte, MaxFileSize+1)}}, "base/kustomization.yaml: larger than 1048576 bytes"},
	}
	for name, c := range cases {
		if _, err := Load(c.fsys); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", name, err, c.want)
		}
	}
}
