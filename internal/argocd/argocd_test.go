package argocd

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// TestShippedApplications: every shipped environment has exactly one
// Application, matching its config, and golden files hold them.
func TestShippedApplications(t *testing.T) {
	names := map[string]string{}
	for _, it := range shipped(t) {
		e := it.Env
		out, err := Application(e, it.Phase, it.HPAOwned)
		if err != nil {
			t.Fatalf("Application(%s): %v", e.Metadata.Name, err)
		}
		golden(t, "applications/"+e.Metadata.Name+".yaml", out)

		var app App
		if err := yaml.UnmarshalStrict(out, &app); err != nil {
			t.Fatalf("%s: reading back: %v", e.Metadata.Name, err)
		}
		if prev, dup := names[app.Metadata.Name]; dup {
			t.Errorf("environments %s and %s both make Application %s", prev, e.Metadata.Name, app.Metadata.Name)
		}
		names[app.Metadata.Name] = e.Metadata.Name
		g := e.Spec.GitOps
		for _, c := range []struct{ field, got, want string }{
			{"apiVersion", app.APIVersion, "argoproj.io/v1alpha1"},
			{"kind", app.Kind, "Application"},
			{"metadata.name", app.Metadata.Name, e.App + "-" + e.Metadata.Name},
			{"metadata.namespace", app.Metadata.Namespace, "argocd"},
			{"phase annotation", app.Metadata.Annotations["phasegen.dev/phase"], e.Spec.Phase},
			{"spec.project", app.Spec.Project, e.Spec.ArgoCD.Project},
			{"source.repoURL", app.Spec.Source.RepoURL, "https://github.com/" + g.Repo + ".git"},
			{"source.targetRevision", app.Spec.Source.TargetRevision, g.Branch},
			{"source.path", app.Spec.Source.Path, g.Path + "/" + e.Metadata.Name + "/overlays/" + e.Metadata.Name},
			{"destination.server", app.Spec.Destination.Server, e.Spec.ArgoCD.Server},
			{"destination.name", app.Spec.Destination.Name, e.Spec.ArgoCD.Name},
			{"destination.namespace", app.Spec.Destination.Namespace, e.Spec.Namespace},
		} {
			if c.got != c.want {
				t.Errorf("%s: %s = %q, want %q", e.Metadata.Name, c.field, c.got, c.want)
			}
		}
		if !slices.Equal(app.Metadata.Finalizers, []string{"resources-finalizer.argocd.argoproj.io"}) {
			t.Errorf("%s: finalizers = %v", e.Metadata.Name, app.Metadata.Finalizers)
		}
		sp := app.Spec.SyncPolicy
		if sp == nil || sp.Automated == nil || !sp.Automated.Prune || !sp.Automated.SelfHeal {
			t.Errorf("%s: shipped environments sync automatically with prune and self-heal, got %+v", e.Metadata.Name, sp)
		}
		if sp == nil || !slices.Contains(sp.SyncOptions, "CreateNamespace=true") {
			t.Errorf("%s: no CreateNamespace=true", e.Metadata.Name)
		}
	}
	if len(names) != len(shipped(t)) {
		t.Errorf("%d Applications for %d environments", len(names), len(shipped(t)))
	}
}

func TestApplicationDeterministic(t *testing.T) {
	for _, it := range fleet(t) {
		a, err := Application(it.Env, it.Phase, it.HPAOwned)
		if err != nil {
			t.Fatal(err)
		}
		b, err := Application(it.Env, it.Phase, it.HPAOwned)
		if err != nil {
			t.Fatal(err)
		}
		if string(a) != string(b) {
			t.Errorf("%s: two renderings differ", it.Env.Metadata.Name)
		}
	}
}

// TestAutoscalingPair: autoscaling phases carry ignoreDifferences on the
// StatefulSet's replicas and RespectIgnoreDifferences=true; fixed-replica
// phases carry neither.
func TestAutoscalingPair(t *testing.T) {
	items := append(shipped(t), fleet(t)...)
	var scaled, fixed int
	for _, it := range items {
		app, err := NewApp(it.Env, it.Phase, it.HPAOwned)
		if err != nil {
			t.Fatal(err)
		}
		name := app.Metadata.Name
		respects := slices.Contains(app.Spec.SyncPolicy.SyncOptions, "RespectIgnoreDifferences=true")
		if it.Phase.Spec.Autoscaling == nil {
			fixed++
			if len(app.Spec.IgnoreDifferences) > 0 || respects {
				t.Errorf("%s: fixed-replica phase has ignoreDifferences %v, RespectIgnoreDifferences %v", name, app.Spec.IgnoreDifferences, respects)
			}
			continue
		}
		scaled++
		want := []ResourceIgnoreDifferences{{
			Group: "apps", Kind: "StatefulSet", Name: it.Env.Spec.Workload,
			Namespace: it.Env.Spec.Namespace, JSONPointers: []string{"/spec/replicas"},
		}}
		if !reflect.DeepEqual(app.Spec.IgnoreDifferences, want) {
			t.Errorf("%s: ignoreDifferences = %+v, want %+v", name, app.Spec.IgnoreDifferences, want)
		}
		if !respects {
			t.Errorf("%s: autoscaling phase without RespectIgnoreDifferences=true: a sync would reset the HPA's replicas", name)
		}
	}
	if scaled == 0 || fixed == 0 {
		t.Fatalf("fixtures cover %d autoscaling and %d fixed phases; want both", scaled, fixed)
	}
}

// TestSyncPolicyFromConfig: prune, self-heal, manual sync, sync waves, cluster
// names and clone URLs come from the environment.
func TestSyncPolicyFromConfig(t *testing.T) {
	got := map[string]*App{}
	for _, it := range fleet(t) {
		app, err := NewApp(it.Env, it.Phase, it.HPAOwned)
		if err != nil {
			t.Fatal(err)
		}
		got[it.Env.Metadata.Name] = app
	}
	auto := func(env string) *Automated { return got[env].Spec.SyncPolicy.Automated }
	if a := auto("eu-2"); a == nil || a.Prune || !a.SelfHeal {
		t.Errorf("eu-2 (prune: false): automated = %+v", a)
	}
	if a := auto("us-1"); a == nil || !a.Prune || a.SelfHeal {
		t.Errorf("us-1 (selfHeal: false): automated = %+v", a)
	}
	if a := auto("lab"); a != nil {
		t.Errorf("lab (manual): automated = %+v, want none", a)
	}
	if w := got["eu-1"].Metadata.Annotations["argocd.argoproj.io/sync-wave"]; w != "-2" {
		t.Errorf("eu-1 sync wave = %q, want -2", w)
	}
	if _, ok := got["eu-2"].Metadata.Annotations["argocd.argoproj.io/sync-wave"]; ok {
		t.Error("eu-2 has a sync wave it did not ask for")
	}
	if d := got["eu-1"].Spec.Destination; d.Name != "eu-cluster-1" || d.Server != "" {
		t.Errorf("eu-1 destination = %+v, want name eu-cluster-1 only", d)
	}
	if u := got["lab"].Spec.Source.RepoURL; u != "git@github.com:coditect/argocd-apps.git" {
		t.Errorf("lab repoURL = %q", u)
	}
	if r := got["dev"].Spec.Source.TargetRevision; r != "dev" {
		t.Errorf("dev targetRevision = %q", r)
	}
}

func TestApplicationRefusesIncompleteInput(t *testing.T) {
	it := fleet(t)[0]
	if _, err := Application(nil, it.Phase, it.HPAOwned); err == nil || err.Error() != "argocd application: no environment" {
		t.Errorf("no environment: %v", err)
	}
	if _, err := Application(it.Env, nil, it.HPAOwned); err == nil || err.Error() != "argocd application for environment eu-1: no phase" {
		t.Errorf("no phase: %v", err)
	}
	e := *it.Env
	e.Spec.ArgoCD.Server = "https://x"
	if _, err := Application(&e, it.Phase, it.HPAOwned); err == nil || !strings.Contains(err.Error(), "not both") {
		t.Errorf("server and name: err = %v", err)
	}
	e = *it.Env
	e.Spec.ArgoCD.Project = ""
	if _, err := Application(&e, it.Phase, it.HPAOwned); err == nil || !strings.Contains(err.Error(), "spec.argocd.project") {
		t.Errorf("no project: err = %v", err)
	}
}

// TestApplicationNamespace: spec.argocd.namespace is the Application's
// metadata.namespace; the destination stays spec.namespace.
func TestApplicationNamespace(t *testing.T) {
	for _, c := range []struct {
		items []Item
		want  string
	}{{fleet(t), "argocd"}, {teamFleet(t), "coditect-apps"}} {
		for _, it := range c.items {
			app, err := NewApp(it.Env, it.Phase, it.HPAOwned)
			if err != nil {
				t.Fatal(err)
			}
			if app.Metadata.Namespace != c.want || app.Spec.Destination.Namespace != it.Env.Spec.Namespace {
				t.Errorf("%s: metadata.namespace %q, destination %q; want %q and %q", app.Metadata.Name,
					app.Metadata.Namespace, app.Spec.Destination.Namespace, c.want, it.Env.Spec.Namespace)
			}
		}
	}
}
