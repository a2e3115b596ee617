package argocd

import (
	"bytes"
	"testing"

	"sigs.k8s.io/yaml"
)

// TestCRDCorpus: the parent Application, every Application and ApplicationSet phasegen writes for
// the shipped, fleet and team-namespace cases, and every Application the
// ApplicationSets generate, as one YAML stream (testdata/crd-corpus.yaml,
// -update rewrites it). The kube-apiserver test module (test/kube) applies
// the file, with strict field validation, to a real API server serving
// Argo CD's CRDs: that is where it is validated.
func TestCRDCorpus(t *testing.T) {
	var out bytes.Buffer
	add := func(doc []byte) {
		out.WriteString("---\n")
		out.Write(doc)
	}
	parent, err := Parent(ParentOptions{RepoURL: "https://github.com/coditect/argocd-apps.git", Revision: "main"})
	if err != nil {
		t.Fatal(err)
	}
	add(parent)
	for _, name := range []string{"shipped", "fleet", "team namespace"} {
		items := map[string][]Item{"shipped": shipped(t), "fleet": fleet(t), "team namespace": teamFleet(t)}[name]
		for _, it := range items {
			app, err := Application(it.Env, it.Phase, it.HPAOwned)
			if err != nil {
				t.Fatal(err)
			}
			add(app)
		}
		set, err := ApplicationSet("coditect-combined", items)
		if err != nil {
			t.Fatal(err)
		}
		add(set)
		apps, err := Expand(set)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range apps {
			doc, err := yaml.Marshal(a)
			if err != nil {
				t.Fatal(err)
			}
			add(doc)
		}
	}
	golden(t, "crd-corpus.yaml", out.Bytes())
}
