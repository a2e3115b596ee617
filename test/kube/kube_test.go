// Package kube proves phasegen's output with Kubernetes' own code: a real
// kube-apiserver (k8s.io/kubernetes' test server over embedded etcd, in
// this test binary) receives every object phasegen builds for the shipped
// examples, every promotion between their phases, the changes the gates
// judge, and the Argo CD Applications it writes, with the CRDs of Argo CD
// and the Prometheus Operator installed as those projects publish them.
//
// It is a module of its own so that Kubernetes' dependency graph stays out
// of phasegen's; it drives phasegen through its command, built from the
// repository.
package kube

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestKubeAPIServer(t *testing.T) {
	c := startCluster(t)
	bin := buildPhasegen(t)
	exs := examples(t)
	t.Run("EveryObjectAccepted", func(t *testing.T) { everyObjectAccepted(t, c, bin, exs) })
	t.Run("PromotionsAreValidUpdates", func(t *testing.T) { promotionsAreValidUpdates(t, c, bin, exs) })
	t.Run("BrokenObjectsRefused", func(t *testing.T) { brokenObjectsRefused(t, c, bin, exs[1]) })
	t.Run("GatesAgreeWithTheServer", func(t *testing.T) { gatesAgreeWithTheServer(t, c, bin) })
	t.Run("ArgoCDObjects", func(t *testing.T) { argoCDObjects(t, c) })
	t.Run("HPAControllerAgreesWithPlan", func(t *testing.T) { hpaControllerAgreesWithPlan(t, c, bin) })
}

// everyObjectAccepted: every object of every environment of both examples,
// built at every phase, passes a dry-run server-side apply with strict
// field validation into its namespace.
func everyObjectAccepted(t *testing.T, c *cluster, bin string, exs []example) {
	total, builds, warned := 0, 0, 0
	for _, ex := range exs {
		for _, env := range ex.envs {
			for _, phase := range ex.phases {
				builds++
				for _, obj := range build(t, bin, ex.dir, env, phase) {
					total++
					c.namespace(t, obj.GetNamespace())
					if err := c.apply(obj, true); err != nil {
						t.Errorf("%s %s at %s: %s refused: %v", ex.dir, env, phase, describe(obj), err)
					}
					for _, w := range c.warnings.take() {
						warned++
						t.Logf("warning: %s %s at %s: %s: %s", ex.dir, env, phase, describe(obj), w)
					}
				}
			}
		}
	}
	t.Logf("%d objects of %d builds (every environment at every phase of both examples) accepted; %d warnings", total, builds, warned)
	if total == 0 {
		t.Fatal("no objects built")
	}
}

// promotionsAreValidUpdates: for each environment, its objects at the
// first phase are created for real, then each next phase's are applied
// over them as updates. No forward promotion of the shipped examples
// fires a gate, so the server must accept every one.
func promotionsAreValidUpdates(t *testing.T, c *cluster, bin string, exs []example) {
	updates := 0
	for i, ex := range exs {
		for _, env := range ex.envs {
			ns := fmt.Sprintf("promote-%d-%s", i, env)
			c.namespace(t, ns)
			for j, phase := range ex.phases {
				for _, obj := range build(t, bin, ex.dir, env, phase) {
					obj.SetNamespace(ns)
					if err := c.apply(obj, false); err != nil {
						t.Errorf("%s %s: %s at %s refused: %v", ex.dir, env, describe(obj), step(ex.phases, j), err)
					}
					if j > 0 {
						updates++
					}
				}
				c.warnings.take()
			}
		}
	}
	t.Logf("%d objects updated by forward promotions, all accepted", updates)
}

func step(phases []string, j int) string {
	if j == 0 {
		return "creation at " + phases[0]
	}
	return "promotion " + phases[j-1] + " → " + phases[j]
}

func describe(obj *unstructured.Unstructured) string {
	return obj.GetKind() + "/" + obj.GetName()
}

// brokenObjectsRefused proves the check can fail: objects phasegen must
// never write, made from a real build, are refused by the server with its
// own messages.
func brokenObjectsRefused(t *testing.T, c *cluster, bin string, ex example) {
	built := build(t, bin, ex.dir, ex.envs[0], ex.phases[len(ex.phases)-1])
	find := func(kind string) *unstructured.Unstructured {
		for _, o := range built {
			if o.GetKind() == kind {
				return o.DeepCopy()
			}
		}
		t.Fatalf("%s: no %s in the build", ex.dir, kind)
		return nil
	}
	cases := []struct {
		name  string
		obj   func() *unstructured.Unstructured
		wants string
	}{
		{"an HPA with minReplicas above maxReplicas", func() *unstructured.Unstructured {
			o := find("HorizontalPodAutoscaler")
			max, _, _ := unstructured.NestedFieldNoCopy(o.Object, "spec", "maxReplicas")
			n, ok := max.(float64) // as JSON decodes numbers
			if !ok || n < 1 {
				t.Fatalf("the HPA's maxReplicas is %v", max)
			}
			must(t, unstructured.SetNestedField(o.Object, int64(n)+1, "spec", "minReplicas"))
			return o
		}, "must be greater than or equal to `minReplicas`"},
		{"a PodDisruptionBudget with both budgets", func() *unstructured.Unstructured {
			o := find("PodDisruptionBudget")
			must(t, unstructured.SetNestedField(o.Object, int64(1), "spec", "minAvailable"))
			must(t, unstructured.SetNestedField(o.Object, int64(1), "spec", "maxUnavailable"))
			return o
		}, "minAvailable and maxUnavailable cannot be both set"},
		{"a StatefulSet whose selector does not match its template", func() *unstructured.Unstructured {
			o := find("StatefulSet")
			must(t, unstructured.SetNestedStringMap(o.Object, map[string]string{"app.kubernetes.io/name": "elsewhere"}, "spec", "selector", "matchLabels"))
			return o
		}, "`selector` does not match template `labels`"},
		{"a Deployment with a field its schema lacks", func() *unstructured.Unstructured {
			o := find("Deployment")
			must(t, unstructured.SetNestedField(o.Object, int64(3), "spec", "replica"))
			return o
		}, ".spec.replica: field not declared in schema"},
		{"a PrometheusRule whose rule has no expression", func() *unstructured.Unstructured {
			o := find("PrometheusRule")
			groups, _, _ := unstructured.NestedSlice(o.Object, "spec", "groups")
			rules := groups[0].(map[string]any)["rules"].([]any)
			delete(rules[0].(map[string]any), "expr")
			must(t, unstructured.SetNestedSlice(o.Object, groups, "spec", "groups"))
			return o
		}, "expr"},
	}
	for _, tc := range cases {
		o := tc.obj()
		c.namespace(t, o.GetNamespace())
		refusedFor(t, c, tc.name, tc.wants, o)
	}
}

// refusedFor applies o as a dry run and checks that the server refuses it
// with a message containing wants.
func refusedFor(t *testing.T, c *cluster, name, wants string, o *unstructured.Unstructured) {
	t.Helper()
	err := c.apply(o, true)
	switch {
	case err == nil:
		t.Errorf("%s: accepted", name)
	case !strings.Contains(err.Error(), wants):
		t.Errorf("%s: refused for another reason (want %q): %v", name, wants, err)
	default:
		t.Logf("%s: refused: %v", name, err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// argoCDObjects: every Argo CD Application and ApplicationSet phasegen
// writes is accepted against Argo CD's CRDs: the shipped examples'
// rendered Applications, and every Application and ApplicationSet of the
// renderer's and the fake Argo CD's test corpora (their goldens).
func argoCDObjects(t *testing.T, c *cluster) {
	files := []string{
		filepath.Join(repoRoot, "overlays", "argocd", "*.yaml"),
		filepath.Join(repoRoot, "examples", "store", "overlays", "argocd", "*.yaml"),
		filepath.Join(repoRoot, "internal", "argocd", "testdata", "crd-corpus.yaml"),
		filepath.Join(repoRoot, "internal", "argocdfake", "testdata", "answers.yaml"),
	}
	n := 0
	for _, g := range files {
		matches, err := filepath.Glob(g)
		if err != nil || len(matches) == 0 {
			t.Fatalf("%s: no files (%v)", g, err)
		}
		for _, f := range matches {
			for _, obj := range objects(t, readFile(t, f)) {
				n++
				c.namespace(t, obj.GetNamespace())
				if err := c.apply(obj, true); err != nil {
					t.Errorf("%s: %s refused: %v", f, describe(obj), err)
				}
			}
		}
	}
	t.Logf("%d Argo CD objects accepted", n)

	// The CRDs' schemas can refuse: an Application with a field Argo CD's
	// schema lacks, and one whose field has the wrong type.
	app := objects(t, readFile(t, filepath.Join(repoRoot, "overlays", "argocd", "production.yaml")))[0]
	for _, tc := range []struct {
		name, wants string
		edit        func(o *unstructured.Unstructured)
	}{
		{"an Application with a field its CRD lacks", ".spec.sourcePath: field not declared in schema", func(o *unstructured.Unstructured) {
			must(t, unstructured.SetNestedField(o.Object, "apps", "spec", "sourcePath"))
		}},
		{"an Application whose prune is a string", ".spec.syncPolicy.automated.prune: expected boolean", func(o *unstructured.Unstructured) {
			must(t, unstructured.SetNestedField(o.Object, "yes", "spec", "syncPolicy", "automated", "prune"))
		}},
	} {
		o := app.DeepCopy()
		tc.edit(o)
		refusedFor(t, c, tc.name, tc.wants, o)
	}
}
