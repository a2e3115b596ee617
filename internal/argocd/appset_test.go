package argocd

import (
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

func TestApplicationSetGolden(t *testing.T) {
	for _, c := range []struct {
		file  string
		items []Item
	}{
		{"applicationset.yaml", shipped(t)},
		{"fleet-applicationset.yaml", fleet(t)},
		{"team-applicationset.yaml", teamFleet(t)},
	} {
		out, err := ApplicationSet("coditect-combined", c.items)
		if err != nil {
			t.Fatal(err)
		}
		golden(t, c.file, out)
		again, err := ApplicationSet("coditect-combined", c.items)
		if err != nil {
			t.Fatal(err)
		}
		if string(out) != string(again) {
			t.Errorf("%s: two renderings differ", c.file)
		}
	}
}

// TestApplicationSetExpandsToApplications: expanding the list generator gives
// the same set of Applications as the per-environment form, compared as
// parsed objects.
func TestApplicationSetExpandsToApplications(t *testing.T) {
	for name, items := range map[string][]Item{"shipped": shipped(t), "fleet": fleet(t), "team namespace": teamFleet(t)} {
		t.Run(name, func(t *testing.T) {
			set, err := ApplicationSet("coditect-combined", items)
			if err != nil {
				t.Fatal(err)
			}
			apps, err := Expand(set)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]any{}
			for _, a := range apps {
				out, err := yaml.Marshal(a)
				if err != nil {
					t.Fatal(err)
				}
				if _, dup := got[a.Metadata.Name]; dup {
					t.Errorf("Application %s generated twice", a.Metadata.Name)
				}
				got[a.Metadata.Name] = parse(t, out)
			}
			want := map[string]any{}
			for _, it := range items {
				out, err := Application(it.Env, it.Phase, it.HPAOwned)
				if err != nil {
					t.Fatal(err)
				}
				want[Name(it.Env)] = parse(t, out)
			}
			if !reflect.DeepEqual(keys(got), keys(want)) {
				t.Fatalf("ApplicationSet generates %v, per-environment form has %v", keys(got), keys(want))
			}
			for n := range want {
				if !reflect.DeepEqual(got[n], want[n]) {
					g, _ := json.MarshalIndent(got[n], "", "  ")
					w, _ := json.MarshalIndent(want[n], "", "  ")
					t.Errorf("%s differs\nfrom the ApplicationSet:\n%s\nper environment:\n%s", n, g, w)
				}
			}
		})
	}
}

func parse(t *testing.T, doc []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(doc, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestExpandSemantics pins the parts of Argo CD's behaviour Expand copies.
func TestExpandSemantics(t *testing.T) {
	base := `apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: s, namespace: argocd}
spec:
  goTemplate: true
  goTemplateOptions: [missingkey=error]
  generators:
  - list:
      elements:
      - {env: a, wave: "1"}
  template:
    metadata:
      name: 'app-{{ .env }}'
      annotations: {'x/{{ .env }}': '{{ .wave }}', keep: me}
    spec:
      project: default
      destination: {server: https://s, namespace: '{{ .env }}'}
      source: {repoURL: https://r, path: p}
      syncPolicy: {syncOptions: [A, B]}
`
	t.Run("keys, defaults and patch merge", func(t *testing.T) {
		apps, err := Expand([]byte(base + `  templatePatch: |
    metadata: {annotations: {keep: null, added: '{{ .env }}'}}
    spec: {syncPolicy: {syncOptions: [C]}}
`))
		if err != nil {
			t.Fatal(err)
		}
		if len(apps) != 1 {
			t.Fatalf("%d apps", len(apps))
		}
		a := apps[0]
		if a.Metadata.Name != "app-a" || a.Metadata.Namespace != "argocd" {
			t.Errorf("metadata = %+v: want name app-a, namespace from the ApplicationSet", a.Metadata)
		}

		wantAnn := map[string]string{"x/a": "1", "added": "a"}
		if !reflect.DeepEqual(a.Metadata.Annotations, wantAnn) {
			t.Errorf("annotations = %v, want %v (templated key, null deletes, maps merge)", a.Metadata.Annotations, wantAnn)
		}
		if got := a.Spec.SyncPolicy.SyncOptions; !reflect.DeepEqual(got, []string{"C"}) {
			t.Errorf("syncOptions = %v: a patch replaces lists", got)
		}
		if a.Spec.Destination.Namespace != "a" || a.Spec.Destination.Server != "https://s" {
			t.Errorf("destination = %+v", a.Spec.Destination)
		}
	})
	t.Run("namespace is the ApplicationSet's", func(t *testing.T) {
		// The controller overrides the template's namespace with the
		// ApplicationSet's (appsets in any namespace).
		doc := strings.Replace(base, "      name: 'app-{{ .env }}'\n", "      name: 'app-{{ .env }}'\n      namespace: 'team-{{ .env }}'\n", 1)
		apps, err := Expand([]byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		if ns := apps[0].Metadata.Namespace; ns != "argocd" {
			t.Errorf("namespace %q: the template's namespace must not win over the ApplicationSet's argocd", ns)
		}
		apps, err = Expand([]byte(strings.Replace(doc, "metadata: {name: s, namespace: argocd}", "metadata: {name: s}", 1)))
		if err != nil {
			t.Fatal(err)
		}
		if ns := apps[0].Metadata.Namespace; ns != "team-a" {
			t.Errorf("an ApplicationSet without a namespace: namespace %q, want the template's team-a", ns)
		}
	})
	for name, c := range map[string]struct{ doc, err string }{
		"missing key":  {strings.Replace(base, "'{{ .wave }}'", "'{{ .nope }}'", 1), "nope"},
		"fasttemplate": {strings.Replace(base, "goTemplate: true", "goTemplate: false", 1), "only goTemplate"},
		"bad option":   {strings.Replace(base, "missingkey=error", "missingkey=maybe", 1), "unsupported goTemplateOptions"},
		"other generator": {strings.Replace(base, "  - list:\n      elements:\n      - {env: a, wave: \"1\"}\n",
			"  - clusters: {}\n", 1), "only a list generator"},
		"unknown field":    {strings.Replace(base, "project: default", "project: default\n      bogus: 1", 1), "bogus"},
		"finalizers patch": {base + "  templatePatch: |\n    metadata: {finalizers: [x]}\n", "merge-by-key"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Expand([]byte(c.doc))
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("err = %v, want one mentioning %q", err, c.err)
			}
		})
	}
}

func TestApplicationSetRefuses(t *testing.T) {
	items := fleet(t)
	if _, err := ApplicationSet("", items); err == nil || err.Error() != "argocd applicationset: no name" {
		t.Errorf("no name: %v", err)
	}
	if _, err := ApplicationSet("s", nil); err == nil || err.Error() != "argocd applicationset s: no environments" {
		t.Errorf("no items: %v", err)
	}
	if _, err := ApplicationSet("s", []Item{items[0], items[0]}); err == nil || !strings.Contains(err.Error(), "two environments") {
		t.Errorf("duplicate Application: err = %v", err)
	}
	mixed := append(fleet(t)[:2], teamFleet(t)[2:]...)
	_, err := ApplicationSet("s", mixed)
	for _, want := range []string{"different namespaces", "argocd (eu-1, eu-2)", "coditect-apps (dev, lab, us-1)", "the ApplicationSet's own namespace"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Applications in two namespaces: err = %v, want one saying %q", err, want)
		}
	}
}

// TestApplicationSetOfSeveralWorkloads: an app of several workloads, a
// Deployment and a StatefulSet under HPAs, one of them fixed in another
// environment, expands to the per-environment Applications exactly: the
// ApplicationSet works for any app, not only one StatefulSet.
func TestApplicationSetOfSeveralWorkloads(t *testing.T) {
	items := fleet(t)[:3]
	for i := range items {
		items[i].Env.Spec.Workload = ""
	}
	items[0].HPAOwned = []Workload{{Kind: "Deployment", Name: "api"}, {Kind: "StatefulSet", Name: "db"}}
	items[1].HPAOwned = nil
	items[2].HPAOwned = []Workload{{Kind: "Deployment", Name: "api"}}
	set, err := ApplicationSet("shop", items)
	if err != nil {
		t.Fatal(err)
	}
	apps, err := Expand(set)
	if err != nil {
		t.Fatal(err)
	}
	if len(apps) != len(items) {
		t.Fatalf("%d Applications from %d elements", len(apps), len(items))
	}
	for i, it := range items {
		want, err := Application(it.Env, it.Phase, it.HPAOwned)
		if err != nil {
			t.Fatal(err)
		}
		got, err := yaml.Marshal(apps[i])
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(parse(t, got), parse(t, want)) {
			t.Errorf("%s: the ApplicationSet generates\n%s\nthe per-environment form is\n%s", Name(it.Env), got, want)
		}
	}
}
