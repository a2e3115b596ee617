package overlay

import (
	"bytes"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/coditect/phasegen/internal/config"
)

// The kustomization with the namespace put into the phase's body is what
// marshalling the whole kustomization gives, for every kind of namespace
// (the ones YAML would quote take the long way).
func TestKustomizationNamespaceSplice(t *testing.T) {
	body, err := yaml.Marshal(kustomization("", []string{baseFromOverlay, PDBFile}, nil, []string{StatefulSetPatch}, "a: b\n"))
	if err != nil {
		t.Fatal(err)
	}
	parts := &phaseParts{kustomization: body, resources: []string{baseFromOverlay, PDBFile}, patches: []string{StatefulSetPatch}, annotations: "a: b\n"}
	for _, ns := range []string{"", "a", "coditect-app", "ns-00001", "y", "n", "yes", "no", "on", "off", "true", "false", "null",
		"123", "1e3", "0x1f", "a-", "-a", "Upper", "a.b", "a b", "a:b", "nan", "inf", "x1"} {
		rr := &renderer{env: &config.Environment{}, header: "# h\n"}
		rr.env.Spec.Namespace = ns
		got, err := rr.kustomizationFile(parts)
		if err != nil {
			t.Fatal(err)
		}
		want, err := rr.marshal(kustomization(ns, parts.resources, parts.components, parts.patches, parts.annotations))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("namespace %q:\n--- spliced\n%s\n--- marshalled\n%s", ns, got, want)
		}
	}
}
