package kbuild_test

import (
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	policyv1 "k8s.io/api/policy/v1"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/coditect/phasegen/internal/argocd"
	"github.com/coditect/phasegen/internal/base"
	"github.com/coditect/phasegen/internal/config"
	"github.com/coditect/phasegen/internal/kbuild"
	"github.com/coditect/phasegen/internal/manifest"
	"github.com/coditect/phasegen/internal/overlay"
)

// storeDir is the second shipped example: a Deployment and a StatefulSet.
var storeDir = filepath.Join("..", "..", "examples", "store")

// TestStoreExample: every environment of the two-workload example builds
// byte for byte as stock kustomize builds it; each HPA targets its own
// workload with its kind; every sidecar keeps the base's resources while
// the sized container takes the phase's; every PDB selects exactly its
// workload's pods; the Application leaves /spec/replicas to the HPA of
// exactly the autoscaled workloads, each with its kind.
func TestStoreExample(t *testing.T) {
	cfg, err := config.Load(filepath.Join(storeDir, "environments"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := base.Load(os.DirFS(filepath.Join(storeDir, "templates")))
	if err != nil {
		t.Fatal(err)
	}
	files, err := overlay.RenderAll(cfg, b)
	if err != nil {
		t.Fatal(err)
	}
	for _, env := range cfg.Environments {
		t.Run(env.Metadata.Name, func(t *testing.T) {
			compareWithStock(t, files, env.Metadata.Name)
			built, err := kbuild.Build(files, overlay.EnvDir(env.Metadata.Name))
			if err != nil {
				t.Fatal(err)
			}
			phase, _ := cfg.Phase(env.Spec.Phase)
			objs := manifest.Split(built)
			checkSizing(t, cfg, b, phase, objs)
			checkApplication(t, files, env, phase, b)
		})
	}
}

func decode(t *testing.T, objs map[string][]byte, key string, into any) {
	t.Helper()
	data, ok := objs[key]
	if !ok {
		t.Fatalf("the build has no %s (has %v)", key, slices.Sorted(maps.Keys(objs)))
	}
	if err := sigsyaml.UnmarshalStrict(data, into); err != nil {
		t.Fatalf("%s: %v", key, err)
	}
}

// checkSizing checks each workload's built object, HPA and PDB against
// the phase and the base.
func checkSizing(t *testing.T, cfg *config.Set, b *base.Base, phase *config.Phase, objs map[string][]byte) {
	t.Helper()
	for _, name := range b.WorkloadNames() {
		w := b.Workloads[name]
		view := phase.For(name)
		var tmpl, baseTmpl = w.Template, w.Template
		switch w.Kind {
		case base.KindDeployment:
			var d appsv1.Deployment
			decode(t, objs, "Deployment/"+name, &d)
			tmpl = &d.Spec.Template
			if *d.Spec.Replicas != view.MinReplicas() {
				t.Errorf("%s: replicas %d, want %d", name, *d.Spec.Replicas, view.MinReplicas())
			}
		case base.KindStatefulSet:
			var s appsv1.StatefulSet
			decode(t, objs, "StatefulSet/"+name, &s)
			tmpl = &s.Spec.Template
			if *s.Spec.Replicas != view.MinReplicas() {
				t.Errorf("%s: replicas %d, want %d", name, *s.Spec.Replicas, view.MinReplicas())
			}
		}
		sized := 0
		for i, c := range tmpl.Spec.Containers {
			bc := baseTmpl.Spec.Containers[i]
			want := bc.Resources
			if view.Spec.Resources != nil && c.Name == cfg.Capacity.For(name).Container {
				want = view.Spec.Resources.Apply(bc.Resources)
				sized++
			}
			if !reflect.DeepEqual(c.Resources, want) {
				t.Errorf("%s/%s: resources %v, want %v", name, c.Name, c.Resources, want)
			}
		}
		if view.Spec.Resources != nil && sized != 1 {
			t.Errorf("%s: %d containers took the phase's resources, want exactly one", name, sized)
		}
		var pdb policyv1.PodDisruptionBudget
		decode(t, objs, "PodDisruptionBudget/"+name+"-pdb", &pdb)
		if !reflect.DeepEqual(pdb.Spec.Selector, w.Selector) {
			t.Errorf("%s: PDB selector %v, want the workload's %v", name, pdb.Spec.Selector, w.Selector)
		}
		hpaKey := "HorizontalPodAutoscaler/" + name + "-hpa"
		if view.Spec.Autoscaling == nil {
			if _, ok := objs[hpaKey]; ok {
				t.Errorf("%s: an HPA for a fixed-size workload", name)
			}
			continue
		}
		var hpa autoscalingv2.HorizontalPodAutoscaler
		decode(t, objs, hpaKey, &hpa)
		if ref := hpa.Spec.ScaleTargetRef; ref.Kind != w.Kind || ref.Name != name || ref.APIVersion != "apps/v1" {
			t.Errorf("%s: HPA targets %+v", name, ref)
		}
	}
}

// checkApplication: ignoreDifferences on /spec/replicas of exactly the
// autoscaled workloads, each with its kind.
func checkApplication(t *testing.T, files map[string][]byte, env *config.Environment, phase *config.Phase, b *base.Base) {
	t.Helper()
	var app argocd.App
	data := files[overlay.ApplicationPath(env.Metadata.Name)]
	if err := sigsyaml.UnmarshalStrict(data, &app); err != nil {
		t.Fatal(err)
	}
	var want []argocd.ResourceIgnoreDifferences
	for _, name := range b.WorkloadNames() {
		if phase.For(name).Spec.Autoscaling != nil {
			want = append(want, argocd.ResourceIgnoreDifferences{Group: "apps", Kind: b.Workloads[name].Kind, Name: name,
				Namespace: env.Spec.Namespace, JSONPointers: []string{"/spec/replicas"}})
		}
	}
	if len(want) == 0 {
		t.Fatal("the example autoscales no workload at this phase: nothing to check")
	}
	if !reflect.DeepEqual(app.Spec.IgnoreDifferences, want) {
		t.Errorf("ignoreDifferences %+v, want %+v", app.Spec.IgnoreDifferences, want)
	}
}
