package gate_test

import (
	"strings"
	"testing"

	"github.com/coditect/phasegen/internal/base"
	"github.com/coditect/phasegen/internal/config"
	"github.com/coditect/phasegen/internal/gate"
	"github.com/coditect/phasegen/internal/kbuild"
	"github.com/coditect/phasegen/internal/manifest"
	"github.com/coditect/phasegen/internal/overlay"
	"github.com/coditect/phasegen/templates"
)

type fixture struct {
	cfg *config.Set
	b   *base.Base
	env *config.Environment
}

func shipped(t *testing.T) fixture {
	t.Helper()
	cfg, err := config.Load("../testdata/example/environments")
	if err != nil {
		t.Fatal(err)
	}
	b, err := base.Load(templates.FS())
	if err != nil {
		t.Fatal(err)
	}
	env, ok := cfg.Environment("production")
	if !ok {
		t.Fatal("no production environment")
	}
	return fixture{cfg, b, env}
}

func (f fixture) phase(t *testing.T, name string) *config.Phase {
	t.Helper()
	p, ok := f.cfg.Phase(name)
	if !ok {
		t.Fatalf("no phase %s", name)
	}
	return p
}

// built renders production at phase with base b and builds it.
func (f fixture) built(t *testing.T, b *base.Base, p *config.Phase) []byte {
	t.Helper()
	files, err := overlay.Render(overlay.Input{Config: f.cfg, Base: b, Env: f.env, Phase: p})
	if err != nil {
		t.Fatal(err)
	}
	out, err := kbuild.Build(files, overlay.EnvDir(f.env.Metadata.Name))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestOrder(t *testing.T) {
	f := shipped(t)
	pre, beta, mvp := f.phase(t, "pre-launch"), f.phase(t, "beta"), f.phase(t, "full-mvp")
	tests := []struct {
		name         string
		from, to     *config.Phase
		allowSkip    bool
		refusal      []string
		warning      []string
		wantRollback bool
	}{
		{name: "next", from: pre, to: beta},
		{name: "first promotion", from: nil, to: pre},
		{name: "first promotion past the first phase", from: nil, to: mvp,
			refusal: []string{"production's first promotion lands pre-launch, the first phase", "not full-mvp", "or pass --allow-skip"}},
		{name: "first promotion past the first phase allowed", from: nil, to: mvp, allowSkip: true,
			warning: []string{"first promotion goes to full-mvp, not to pre-launch", "--allow-skip"}},
		{name: "same phase", from: beta, to: beta},
		{name: "skip refused", from: pre, to: mvp,
			refusal: []string{"production is at pre-launch", "skip beta", "promote to beta first, or pass --allow-skip"}},
		{name: "skip allowed", from: pre, to: mvp, allowSkip: true, warning: []string{"skips beta", "--allow-skip"}},
		{name: "rollback", from: mvp, to: pre, warning: []string{"rollback", "full-mvp", "pre-launch"}, wantRollback: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := gate.Order("production", f.cfg.Phases, tt.from, tt.to, tt.allowSkip, flags)
			checkText(t, "refusal", r.Refusal, tt.refusal)
			checkText(t, "warning", r.Warning, tt.warning)
			if r.Rollback != tt.wantRollback {
				t.Errorf("rollback = %v, want %v", r.Rollback, tt.wantRollback)
			}
		})
	}
}

func checkText(t *testing.T, what, got string, want []string) {
	t.Helper()
	if len(want) == 0 {
		if got != "" {
			t.Errorf("unexpected %s: %s", what, got)
		}
		return
	}
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("%s %q does not contain %q", what, got, w)
		}
	}
}

func TestCheckNextPhasePasses(t *testing.T) {
	f := shipped(t)
	pre, beta := f.phase(t, "pre-launch"), f.phase(t, "beta")
	r, err := gate.Check(gate.Input{Overrides: flags, Env: f.env, Phases: f.cfg.Phases, From: pre, To: beta,
		FromBuilt: f.built(t, f.b, pre), ToBuilt: f.built(t, f.b, beta)})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Err(); err != nil || len(r.Warnings) != 0 || len(r.Changes) != 0 {
		t.Fatalf("pre-launch → beta: err %v, warnings %q, changes %v", err, r.Warnings, r.Changes)
	}
}

// grownBase is the shipped base with the workspace claim at 100Gi.
func grownBase(t *testing.T, f fixture) *base.Base {
	t.Helper()
	files := map[string][]byte{}
	for p, b := range f.b.Files {
		files[p] = b
	}
	sts := string(files["statefulset.yaml"])
	if !strings.Contains(sts, "storage: 50Gi") {
		t.Fatal("base has no 50Gi claim")
	}
	files["statefulset.yaml"] = []byte(strings.Replace(sts, "storage: 50Gi", "storage: 100Gi", 1))
	return loadBase(t, files)
}

func TestVolumeGrowthRefusedWithRunbook(t *testing.T) {
	f := shipped(t)
	pre, beta := f.phase(t, "pre-launch"), f.phase(t, "beta")
	in := gate.Input{Overrides: flags, Env: f.env, Phases: f.cfg.Phases, From: pre, To: beta,
		FromBuilt: f.built(t, f.b, pre), ToBuilt: f.built(t, grownBase(t, f), beta)}
	r, err := gate.Check(in)
	if err != nil {
		t.Fatal(err)
	}
	err = r.Err()
	if err == nil || !gate.IsRefused(err) {
		t.Fatalf("want a refusal, got %v", err)
	}
	for _, want := range []string{
		"volumeClaimTemplates", "workspace 50Gi", "workspace 100Gi", "--allow-recreate",
		"kubectl delete statefulset coditect-combined -n coditect-app --cascade=orphan",
		`kubectl patch "$pvc" -n coditect-app -p '{"spec":{"resources":{"requests":{"storage":"100Gi"}}}}'`,
		"/workspace-coditect-combined-[0-9]*$", "argocd app sync coditect-production",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal lacks %q:\n%s", want, err)
		}
	}
	if len(r.Changes) != 1 || len(r.Changes[0].Resizes) != 1 || r.Changes[0].Resizes[0] != (gate.Resize{Claim: "workspace", From: "50Gi", To: "100Gi"}) {
		t.Errorf("changes = %+v", r.Changes)
	}

	in.AllowRecreate = true
	r, err = gate.Check(in)
	if err != nil || r.Err() != nil {
		t.Fatalf("with --allow-recreate: %v %v", err, r.Err())
	}
	if r.Runbook == "" || len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0], "runbook") {
		t.Errorf("with --allow-recreate want a warning and the runbook, got %q / %q", r.Warnings, r.Runbook)
	}
}

func TestFirstPromotionComparesAgainstNothing(t *testing.T) {
	f := shipped(t)
	mvp := f.phase(t, "full-mvp")
	r, err := gate.Check(gate.Input{Overrides: flags, Env: f.env, Phases: f.cfg.Phases, To: mvp, ToBuilt: f.built(t, grownBase(t, f), mvp), AllowSkip: true})
	if err != nil || r.Err() != nil || len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0], "first promotion goes to full-mvp") {
		t.Fatalf("first promotion: %v %v %q", err, r.Err(), r.Warnings)
	}
}

func TestImmutableFields(t *testing.T) {
	sts := func(service, policy, app, size string) []byte {
		return []byte(`apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
  namespace: ns
spec:
  serviceName: ` + service + `
  podManagementPolicy: ` + policy + `
  selector:
    matchLabels:
      app: ` + app + `
  volumeClaimTemplates:
  - metadata:
      name: data
    spec:
      resources:
        requests:
          storage: ` + size + `
`)
	}
	base := sts("db-headless", "OrderedReady", "db", "10Gi")
	tests := []struct {
		name string
		to   []byte
		want []string
	}{
		{"same", sts("db-headless", "OrderedReady", "db", "10Gi"), nil},
		{"same quantity spelled differently", sts("db-headless", "OrderedReady", "db", "10240Mi"), nil},
		{"serviceName", sts("db-other", "OrderedReady", "db", "10Gi"), []string{"serviceName"}},
		{"podManagementPolicy", sts("db-headless", "Parallel", "db", "10Gi"), []string{"podManagementPolicy"}},
		{"selector", sts("db-headless", "OrderedReady", "db2", "10Gi"), []string{"selector"}},
		{"all", sts("x", "Parallel", "y", "20Gi"), []string{"volumeClaimTemplates", "serviceName", "selector", "podManagementPolicy"}},
		// The server defaults volumeMode before comparing (test/kube).
		{"volumeMode Filesystem written out", []byte(strings.Replace(string(base), "      resources:", "      volumeMode: Filesystem\n      resources:", 1)), nil},
		{"volumeMode Block", []byte(strings.Replace(string(base), "      resources:", "      volumeMode: Block\n      resources:", 1)), []string{"volumeClaimTemplates"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := manifest.Decode(base, manifest.Lenient)
			if err != nil {
				t.Fatal(err)
			}
			b, err := manifest.Decode(tt.to, manifest.Lenient)
			if err != nil {
				t.Fatal(err)
			}
			got := gate.Immutable(a, b)
			var fields []string
			for _, c := range got {
				fields = append(fields, c.Field)
			}
			if strings.Join(fields, ",") != strings.Join(tt.want, ",") {
				t.Errorf("changed fields = %v, want %v", fields, tt.want)
			}
		})
	}
}

func TestDroppingTheHPAWarns(t *testing.T) {
	f := shipped(t)
	pre := f.phase(t, "pre-launch")
	fixed := *pre
	fixed.Metadata.Name = "fixed"
	fixed.Spec.Order = 0
	fixed.Spec.Autoscaling = nil
	fixed.Spec.Replicas = 3

	r, err := gate.Check(gate.Input{Overrides: flags, Env: f.env, Phases: f.cfg.Phases, From: pre, To: &fixed,
		FromBuilt: f.built(t, f.b, pre), ToBuilt: f.built(t, f.b, &fixed)})
	if err != nil || r.Err() != nil {
		t.Fatal(err, r.Err())
	}
	all := strings.Join(r.Warnings, "\n")
	for _, want := range []string{"rollback", "HorizontalPodAutoscaler/coditect-combined-hpa", "Argo CD must prune"} {
		if !strings.Contains(all, want) {
			t.Errorf("warnings lack %q:\n%s", want, all)
		}
	}
	if strings.Contains(all, "prune is off") {
		t.Errorf("production prunes, but the warnings say it does not:\n%s", all)
	}

	noPrune := *f.env
	off := false
	noPrune.Spec.ArgoCD.Prune = &off
	r, err = gate.Check(gate.Input{Overrides: flags, Env: &noPrune, Phases: f.cfg.Phases, From: pre, To: &fixed,
		FromBuilt: f.built(t, f.b, pre), ToBuilt: f.built(t, f.b, &fixed)})
	if err != nil {
		t.Fatal(err)
	}
	if all := strings.Join(r.Warnings, "\n"); !strings.Contains(all, "prune is off") {
		t.Errorf("prune disabled: warnings lack the prune-off warning:\n%s", all)
	}
}

// The Application the target holds in argocd while the environment now
// renders it into team-apps: refused with the runbook, a warning with
// --allow-recreate; the same namespace, or nothing held, is no move.
func TestApplicationMovedRefusedWithRunbook(t *testing.T) {
	f := shipped(t)
	moved := *f.env
	moved.Spec.ArgoCD.Namespace = "team-apps"
	pre, beta := f.phase(t, "pre-launch"), f.phase(t, "beta")
	in := gate.Input{Overrides: flags, Env: &moved, Phases: f.cfg.Phases, From: pre, To: beta,
		FromBuilt: f.built(t, f.b, pre), ToBuilt: f.built(t, f.b, beta), FromAppNamespace: "argocd"}
	r, err := gate.Check(in)
	if err != nil {
		t.Fatal(err)
	}
	if r.Move == nil || r.Move.From != "argocd" || r.Move.To != "team-apps" || len(r.Refusals) != 1 || r.Runbook != "" {
		t.Fatalf("move %+v, refusals %q, immutable runbook %q", r.Move, r.Refusals, r.Runbook)
	}
	checkText(t, "refusal", r.Refusals[0], []string{"moves from namespace argocd to team-apps", "--allow-recreate", r.MoveRunbook})
	checkText(t, "runbook", r.MoveRunbook, []string{
		`kubectl -n argocd patch application coditect-production --type json -p '[{"op":"remove","path":"/metadata/finalizers"}]'`,
		"argocd app sync team-apps/coditect-production"})

	in.AllowRecreate = true
	if r, _ = gate.Check(in); len(r.Refusals) != 0 || len(r.Warnings) != 1 || r.MoveRunbook == "" {
		t.Errorf("--allow-recreate: refusals %q, warnings %q", r.Refusals, r.Warnings)
	}
	for _, held := range []string{"", "team-apps"} {
		in.FromAppNamespace, in.AllowRecreate = held, false
		if r, _ = gate.Check(in); r.Move != nil || len(r.Refusals) != 0 {
			t.Errorf("held %q: move %+v, refusals %q", held, r.Move, r.Refusals)
		}
	}
}

// flags are the command line's names of the overrides, as cli passes them.
var flags = gate.Overrides{Skip: "--allow-skip", Recreate: "--allow-recreate"}

// Without names, the messages say "the override", never a flag.
func TestOverridesUnnamed(t *testing.T) {
	f := shipped(t)
	pre, mvp := f.phase(t, "pre-launch"), f.phase(t, "full-mvp")
	r := gate.Order("production", f.cfg.Phases, pre, mvp, false, gate.Overrides{})
	if !strings.HasSuffix(r.Refusal, "promote to beta first, or pass the override to skip phases") || strings.Contains(r.Refusal, "--") {
		t.Errorf("refusal %q", r.Refusal)
	}
}
