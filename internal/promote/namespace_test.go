package promote_test

import (
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/coditect/phasegen/internal/argocd"
	pgconfig "github.com/coditect/phasegen/internal/config"
	"github.com/coditect/phasegen/internal/fileset"
	"github.com/coditect/phasegen/internal/overlay"
	"github.com/coditect/phasegen/internal/promote"
)

// inTeamNamespace returns the shipped fixture with production's
// Application in the team's namespace (spec.argocd.namespace), parsed and
// validated as environments/production.yaml would be with that line.
func inTeamNamespace(t *testing.T) fixture {
	t.Helper()
	f := shipped(t)
	e, _ := f.cfg.Environment("production")
	raw := strings.Replace(string(e.Source.Raw), "    project: default\n", "    project: default\n    namespace: coditect-apps\n", 1)
	doc, ps := pgconfig.Parse(e.Source.File, []byte(raw), pgconfig.KindEnvironment)
	if len(ps) > 0 || !strings.Contains(raw, "namespace: coditect-apps") {
		t.Fatalf("production with spec.argocd.namespace: %v", ps)
	}
	app := e.App
	*e = *doc.(*pgconfig.Environment)
	e.App = app
	return f
}

// A promotion of an environment whose Application lives outside argocd
// writes that namespace into the Application it commits, and the tree is
// the local render byte for byte.
func TestPromoteWritesApplicationNamespace(t *testing.T) {
	f := inTeamNamespace(t)
	dir := seeded(t, f)
	out, err := promote.Promote(ctx, f.opts(openRepo(t, dir), "beta"))
	if err != nil {
		t.Fatal(err)
	}
	got := treeFiles(t, dir, "phasegen/coditect/production", root)
	if want := f.tree(t, f.b, "production", "beta"); !fileset.Equal(got, want) {
		t.Errorf("files differ from the render:\ngot  %v\nwant %v", got.Paths(), want.Paths())
	}
	var app argocd.App
	if err := yaml.Unmarshal(got[overlay.ApplicationPath("production")], &app); err != nil {
		t.Fatal(err)
	}
	if app.Metadata.Namespace != "coditect-apps" || app.Metadata.Annotations[argocd.PhaseAnnotation] != "beta" {
		t.Errorf("committed Application metadata %+v, want namespace coditect-apps at beta", app.Metadata)
	}
	if out.From != "pre-launch" {
		t.Errorf("from %q", out.From)
	}
}

// With an ApplicationSet, the first promotion creates it in the
// environment's Application namespace; an ApplicationSet the repository
// holds in another namespace is refused, not rewritten.
func TestPromoteAppSetNamespace(t *testing.T) {
	team := inTeamNamespace(t)
	dir := newRepo(t)
	o := team.opts(openRepo(t, dir), "pre-launch")
	o.AppSet = "coditect"
	if _, err := promote.Promote(ctx, o); err != nil {
		t.Fatal(err)
	}
	merge(t, dir, "phasegen/coditect/production")
	set := treeFiles(t, dir, "main", root)[overlay.AppSetPath("coditect")]
	if !strings.Contains(string(set), "\n  name: coditect\n  namespace: coditect-apps\n") {
		t.Fatalf("ApplicationSet not in coditect-apps:\n%s", set)
	}

	// staging keeps argocd: it cannot join that ApplicationSet.
	o = shipped(t).opts(openRepo(t, dir), "pre-launch")
	o.Env, o.AppSet = "staging", "coditect"
	_, err := promote.Promote(ctx, o)
	if err == nil || !strings.Contains(err.Error(), "it is in namespace coditect-apps but this environment's Application belongs in argocd") {
		t.Errorf("staging into a coditect-apps ApplicationSet: err = %v", err)
	}
}
