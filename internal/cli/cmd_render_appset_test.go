package cli

import (
	"reflect"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/coditect/phasegen/internal/argocd"
)

// TestRenderAppSet: render --appset swaps the per-environment Applications for
// one ApplicationSet that expands to exactly those Applications; check agrees
// only with the same flag, and rendering one environment keeps the form.
func TestRenderAppSet(t *testing.T) {
	w := newWorkspace(t, "../testdata/example/environments")
	w.mustRun("render")
	before := w.overlays()
	w.mustRun("render", "--appset", "coditect")
	after := w.overlays()
	set, ok := after["argocd/coditect-applicationset.yaml"]
	if !ok {
		t.Fatalf("no ApplicationSet; files: %v", after.Paths())
	}
	for _, env := range []string{"production", "staging"} {
		if _, ok := after["argocd/"+env+".yaml"]; ok {
			t.Errorf("argocd/%s.yaml still written beside the ApplicationSet", env)
		}
		if string(after[env+"/kustomization.yaml"]) != string(before[env+"/kustomization.yaml"]) {
			t.Errorf("%s overlay changed", env)
		}
	}
	apps, err := argocd.Expand(set)
	if err != nil {
		t.Fatal(err)
	}
	if len(apps) != 2 {
		t.Fatalf("expanded to %d Applications, want 2", len(apps))
	}
	for _, app := range apps {
		env := strings.TrimPrefix(app.Metadata.Name, "coditect-")
		var want argocd.App
		if err := yaml.UnmarshalStrict(before["argocd/"+env+".yaml"], &want); err != nil {
			t.Fatalf("%s: %v", env, err)
		}
		if !reflect.DeepEqual(app, want) {
			t.Errorf("%s: ApplicationSet expands to\n%+v\nwant the per-environment Application\n%+v", env, app, want)
		}
	}
	if code, _, _ := w.run("check"); code != ExitStale {
		t.Errorf("check without --appset: exit %d, want 3", code)
	}
	if code, _, stderr := w.run("check", "--appset", "coditect"); code != ExitOK {
		t.Errorf("check --appset: exit %d\n%s", code, stderr)
	}
	w.mustRun("render", "production")
	if _, ok := w.overlays()["argocd/production.yaml"]; ok {
		t.Error("rendering one environment went back to Applications")
	}
	if code, _, _ := w.run("render", "--appset", "Bad_Name"); code != ExitUsage {
		t.Errorf("bad --appset name: exit %d, want 2", code)
	}
}
