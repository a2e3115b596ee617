package promote_test

import (
	"errors"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/coditect/phasegen/internal/argocd"
	pgconfig "github.com/coditect/phasegen/internal/config"
	"github.com/coditect/phasegen/internal/fileset"
	"github.com/coditect/phasegen/internal/gate"
	"github.com/coditect/phasegen/internal/gitops"
	"github.com/coditect/phasegen/internal/overlay"
	"github.com/coditect/phasegen/internal/promote"
)

// inAppNamespace returns the shipped fixture with production's Application
// in namespace ns (spec.argocd.namespace), parsed and validated as
// environments/production.yaml would be with that line.
func inAppNamespace(t *testing.T, ns string) fixture {
	t.Helper()
	f := shipped(t)
	e, _ := f.cfg.Environment("production")
	raw := strings.Replace(string(e.Source.Raw), "    project: default\n", "    project: default\n    namespace: "+ns+"\n", 1)
	doc, ps := pgconfig.Parse(e.Source.File, []byte(raw), pgconfig.KindEnvironment)
	if len(ps) > 0 || !strings.Contains(raw, "namespace: "+ns) {
		t.Fatalf("production with spec.argocd.namespace %s: %v", ns, ps)
	}
	app := e.App
	*e = *doc.(*pgconfig.Environment)
	e.App = app
	return f
}

// The move's refusal and runbook name the Application and both namespaces.
var movedWants = []string{
	"the Argo CD Application coditect-production moves from namespace argocd to team-apps",
	"resources-finalizer.argocd.argoproj.io",
	"pass --allow-recreate, or set spec.argocd.namespace back to argocd",
	`kubectl -n argocd patch application coditect-production --type json -p '[{"op":"remove","path":"/metadata/finalizers"}]'`,
	"argocd app sync team-apps/coditect-production",
}

// The runbook in the PR body of a move allowed with --allow-recreate.
var movedBodyWants = []string{
	"### Runbook: the Argo CD Application moves to another namespace",
	"Runbook (Argo CD Application coditect-production moves from namespace argocd to team-apps):",
	`kubectl -n argocd patch application coditect-production --type json -p '[{"op":"remove","path":"/metadata/finalizers"}]'`,
	"argocd app sync team-apps/coditect-production",
	"(--allow-recreate given): follow the runbook before merging",
}

// A repository where production's Application is in argocd, then a
// promotion that puts it in team-apps: refused naming both namespaces,
// nothing written; with --allow-recreate it goes through, the committed
// Application is in team-apps and the body carries the runbook. Promoting
// again from there moves nothing and is not gated.
func TestPromoteLocalApplicationMoved(t *testing.T) {
	dir := seeded(t, shipped(t))
	team := inAppNamespace(t, "team-apps")
	before := tip(t, dir, "phasegen/coditect/production")

	out, err := promote.Promote(ctx, team.opts(openRepo(t, dir), "beta"))
	if !gate.IsRefused(err) {
		t.Fatalf("moving the Application: err = %v, want a refusal", err)
	}
	mustContain(t, "refusal", err.Error(), movedWants...)
	if m := out.Gates.Move; m == nil || m.From != "argocd" || m.To != "team-apps" || m.Application != "coditect-production" {
		t.Errorf("gates' move %+v", m)
	}
	if tip(t, dir, "phasegen/coditect/production") != before {
		t.Errorf("a refused promotion moved the branch")
	}

	o := team.opts(openRepo(t, dir), "beta")
	o.AllowRecreate = true
	out, err = promote.Promote(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "PR body", out.Body, movedBodyWants...)
	if strings.Contains(out.Body, "### Runbook: immutable fields change") {
		t.Errorf("body has the immutable-field runbook, nothing immutable changed")
	}
	var app argocd.App
	if err := yaml.Unmarshal(treeFiles(t, dir, "phasegen/coditect/production", root)[overlay.ApplicationPath("production")], &app); err != nil {
		t.Fatal(err)
	}
	if app.Metadata.Namespace != "team-apps" {
		t.Errorf("committed Application in %q, want team-apps", app.Metadata.Namespace)
	}

	merge(t, dir, "phasegen/coditect/production")
	out, err = promote.Promote(ctx, team.opts(openRepo(t, dir), "beta"))
	if err != nil || out.Gates.Move != nil || strings.Contains(out.Body, "moves to another namespace") {
		t.Errorf("promoting in team-apps again: move %+v, err %v", out.Gates.Move, err)
	}
}

// A first promotion (nothing in the target) is not gated, whatever the
// namespace.
func TestPromoteFirstInOtherNamespaceNotGated(t *testing.T) {
	out, err := promote.Promote(ctx, inAppNamespace(t, "team-apps").opts(openRepo(t, newRepo(t)), "pre-launch"))
	if err != nil || !out.First || out.Gates.Move != nil {
		t.Errorf("first promotion in team-apps: first %v, move %+v, err %v", out.First, out.Gates.Move, err)
	}
}

// With --appset, the namespace compared is that of the Application the
// repository's ApplicationSet generates for the environment: a move is
// refused by the gate, naming both namespaces, before the ApplicationSet is
// touched. --allow-recreate does not get past the ApplicationSet, which
// cannot generate Applications in two namespaces.
func TestPromoteAppSetApplicationMoved(t *testing.T) {
	dir := newRepo(t)
	o := shipped(t).opts(openRepo(t, dir), "pre-launch")
	o.AppSet = "coditect"
	if _, err := promote.Promote(ctx, o); err != nil {
		t.Fatal(err)
	}
	merge(t, dir, "phasegen/coditect/production")
	before := tip(t, dir, "phasegen/coditect/production")

	o = inAppNamespace(t, "team-apps").opts(openRepo(t, dir), "beta")
	o.AppSet = "coditect"
	_, err := promote.Promote(ctx, o)
	if !gate.IsRefused(err) {
		t.Fatalf("moving the ApplicationSet's Application: err = %v, want a refusal", err)
	}
	mustContain(t, "refusal", err.Error(), movedWants...)

	o.AllowRecreate = true
	_, err = promote.Promote(ctx, o)
	if err == nil || gate.IsRefused(err) || !strings.Contains(err.Error(), "it is in namespace argocd but this environment's Application belongs in team-apps") {
		t.Errorf("--allow-recreate into an argocd ApplicationSet: err = %v", err)
	}
	if tip(t, dir, "phasegen/coditect/production") != before {
		t.Errorf("a refused promotion moved the branch")
	}
}

// Against GitHub: the move is read from the Application's file (one
// contents read of the pinned four), refused without a write or a pull
// request, and with --allow-recreate the pull request carries the runbook
// at the promotion's usual call count.
func TestPromoteGitHubApplicationMoved(t *testing.T) {
	f := shipped(t)
	team := inAppNamespace(t, "team-apps")
	g := newGitHub(t, f, f.b, false)
	_, err := promote.Promote(ctx, team.ghOpts(g.target(t, token), "beta"))
	if !gate.IsRefused(err) {
		t.Fatalf("moving the Application: err = %v, want a refusal", err)
	}
	mustContain(t, "refusal", err.Error(), movedWants...)
	// The listing's two calls, the three reads of the current state, the
	// soak's three; no write, no pull request.
	const wantRefused = "GET commits/{sha}/pulls×1, GET commits×1, GET contents/{path...}×4, GET git/ref/heads/{branch...}×1, GET git/trees/{sha}×1"
	if n, got := calls(g.fake); n != 8 || got != wantRefused {
		t.Errorf("refused: %d calls: %s\nwant 8: %s", n, got, wantRefused)
	}
	if len(g.fake.Writes()) != 0 || len(g.fake.PullRequests()) != 0 {
		t.Errorf("a refused promotion wrote %v, opened %d pull requests", g.fake.Writes(), len(g.fake.PullRequests()))
	}

	g.fake.ResetCalls()
	o := team.ghOpts(g.target(t, token), "beta")
	o.AllowRecreate = true
	if _, err := promote.Promote(ctx, o); err != nil {
		t.Fatal(err)
	}
	prs := g.fake.PullRequests()
	if len(prs) != 1 {
		t.Fatalf("%d pull requests", len(prs))
	}
	mustContain(t, "PR body", prs[0].Body, movedBodyWants...)
	if n, _ := calls(g.fake); n != 18 {
		t.Errorf("allowed move: %d calls, want the 18 of any first run (TestPromoteGitHubCallCount)", n)
	}
}

// An Application file the move gate cannot read is an error naming it, and
// nothing is written.
func TestPromoteUnreadableApplication(t *testing.T) {
	f := shipped(t)
	dir := seeded(t, f)
	app := overlay.ApplicationPath("production")
	edit, err := openRepo(t, dir).Write(ctx, gitops.Change{
		Base: "main", Head: "edit", Root: root, Files: fileset.Set{app: []byte("kind: ConfigMap\nmetadata:\n  name: x\n")},
		Message: "hand edit\n", Author: gitops.Signature{Name: "someone", Email: "someone@example.com"},
	})
	if err != nil || !edit.Changed {
		t.Fatalf("committing the edit: %+v %v", edit, err)
	}
	merge(t, dir, "edit")
	before := tip(t, dir, "phasegen/coditect/production")
	_, err = promote.Promote(ctx, f.opts(openRepo(t, dir), "beta"))
	if err == nil || gate.IsRefused(err) {
		t.Fatalf("err = %v, want an error reading the Application", err)
	}
	if !errors.Is(err, promote.ErrNotOurs) {
		t.Errorf("err = %v, want ErrNotOurs", err)
	}
	mustContain(t, "error", err.Error(), "holds files phasegen did not write (or that were edited since): "+root+"/"+app)
	if tip(t, dir, "phasegen/coditect/production") != before {
		t.Errorf("a failed promotion moved the branch")
	}
}
