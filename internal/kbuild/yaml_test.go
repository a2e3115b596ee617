package kbuild

import (
	"bytes"
	"testing"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// The fast printer agrees with kustomize's own on awkward scalars.
func TestAsYAMLMatchesKustomize(t *testing.T) {
	doc := `apiVersion: v1
kind: ConfigMap
metadata:
  name: edge
  annotations:
    quoted-int: "10800"
    yes-word: "yes"
    on: "off"
    empty: ""
    multi: |
      line one
      line two
    html: "<a & b>"
    unicode: "caf\u00e9 \u2028 \U0001F600"
    long: "` + string(bytes.Repeat([]byte("word "), 40)) + `"
data:
  k: v
spec:
  float: 1.5
  bigfloat: 1e6
  tiny: 1.0e-7
  whole: 2.0
  int: 42
  negative: -3
  wide: 9223372036854775807
  wider: 18446744073709551615
  nothing: null
  bool: true
  list: [1, "2", 3.25, {a: b}, []]
  emptymap: {}
  date: 2001-12-14
  octal: 0o17
  hex: 0x1F
  nested: {z: 1, a: {y: 2, b: 3}, "10": x, "9": y}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: second
spec:
  replicas: 3
`
	fs := filesys.MakeFsInMemory()
	if err := fs.WriteFile("/k/kustomization.yaml", []byte("resources:\n- r.yaml\n")); err != nil {
		t.Fatal(err)
	}
	if err := fs.WriteFile("/k/r.yaml", []byte(doc)); err != nil {
		t.Fatal(err)
	}
	m, err := krusty.MakeKustomizer(Options()).Run(fs, "/k")
	if err != nil {
		t.Fatal(err)
	}
	want, err := m.AsYaml()
	if err != nil {
		t.Fatal(err)
	}
	got, err := asYAML(m)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("asYAML differs from ResMap.AsYaml:\n--- fast\n%s\n--- kustomize\n%s", got, want)
	}
}
