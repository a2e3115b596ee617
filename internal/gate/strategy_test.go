package gate_test

import (
	"strings"
	"testing"

	"github.com/coditect/phasegen/internal/gate"
	"github.com/coditect/phasegen/internal/manifest"
)

// TestStrategies: a rollout strategy leaving RollingUpdate (written or by
// default) is a change; staying, or going back to RollingUpdate, is not.
// The kube-apiserver module (test/kube) shows the server refusing exactly
// these, and accepting the sync after the runbook's patch.
func TestStrategies(t *testing.T) {
	dep := func(strategy string) string {
		return "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: ns}\nspec:\n  selector: {matchLabels: {app: api}}\n" + strategy
	}
	sts := func(strategy string) string {
		return "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db, namespace: ns}\nspec:\n  selector: {matchLabels: {app: db}}\n" + strategy
	}
	for _, tc := range []struct {
		name, from, to string
		want           string
	}{
		{"Deployment default to Recreate", dep(""), dep("  strategy: {type: Recreate}\n"), "Deployment api: spec.strategy.type changes from RollingUpdate to Recreate"},
		{"Deployment RollingUpdate to Recreate, rollingUpdate: null", dep("  strategy: {type: RollingUpdate}\n"), dep("  strategy: {type: Recreate, rollingUpdate: null}\n"), "Deployment api: spec.strategy.type changes from RollingUpdate to Recreate"},
		{"Deployment stays Recreate", dep("  strategy: {type: Recreate}\n"), dep("  strategy: {type: Recreate}\n"), ""},
		{"Deployment back to RollingUpdate", dep("  strategy: {type: Recreate}\n"), dep(""), ""},
		{"StatefulSet default to OnDelete", sts(""), sts("  updateStrategy: {type: OnDelete}\n"), "StatefulSet db: spec.updateStrategy.type changes from RollingUpdate to OnDelete"},
		{"StatefulSet stays OnDelete", sts("  updateStrategy: {type: OnDelete}\n"), sts("  updateStrategy: {type: OnDelete}\n"), ""},
	} {
		from, err := manifest.Decode([]byte(tc.from), manifest.Lenient)
		if err != nil {
			t.Fatal(err)
		}
		to, err := manifest.Decode([]byte(tc.to), manifest.Lenient)
		if err != nil {
			t.Fatal(err)
		}
		got := gate.Strategies(from, to)
		switch {
		case tc.want == "" && len(got) != 0:
			t.Errorf("%s: %v, want none", tc.name, got)
		case tc.want != "" && (len(got) != 1 || !strings.HasPrefix(got[0].String(), tc.want)):
			t.Errorf("%s: %v, want %q", tc.name, got, tc.want)
		}
	}
}

// TestStrategyChangeRefusedWithRunbook: promote refuses a StatefulSet
// going to OnDelete with the runbook's one JSON patch (the patch test/kube
// sends to the real server), and lets it through with --allow-recreate as
// a warning, the runbook kept for the PR.
func TestStrategyChangeRefusedWithRunbook(t *testing.T) {
	f := shipped(t)
	files := map[string][]byte{}
	for p, b := range f.b.Files {
		files[p] = b
	}
	sts := string(files["statefulset.yaml"])
	files["statefulset.yaml"] = []byte(strings.Replace(sts, "\nspec:\n", "\nspec:\n  updateStrategy:\n    type: OnDelete\n", 1))
	pre, beta := f.phase(t, "pre-launch"), f.phase(t, "beta")
	in := gate.Input{Overrides: flags, Env: f.env, Phases: f.cfg.Phases, From: pre, To: beta,
		FromBuilt: f.built(t, f.b, pre), ToBuilt: f.built(t, loadBase(t, files), beta)}
	r, err := gate.Check(in)
	if err != nil {
		t.Fatal(err)
	}
	err = r.Err()
	if err == nil || !gate.IsRefused(err) {
		t.Fatalf("want a refusal, got %v", err)
	}
	for _, want := range []string{
		"StatefulSet coditect-combined: spec.updateStrategy.type changes from RollingUpdate to OnDelete", "--allow-recreate",
		`kubectl patch statefulset coditect-combined -n coditect-app --type=json -p '[{"op":"remove","path":"/spec/updateStrategy/rollingUpdate"},{"op":"replace","path":"/spec/updateStrategy/type","value":"OnDelete"}]'`,
		"argocd app set coditect-production --sync-policy none",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal lacks %q:\n%s", want, err)
		}
	}
	in.AllowRecreate = true
	r, err = gate.Check(in)
	if err != nil || r.Err() != nil {
		t.Fatalf("with --allow-recreate: %v %v", err, r.Err())
	}
	if r.StrategyRunbook == "" || r.Runbook != "" || len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0], "follow the runbook") {
		t.Errorf("with --allow-recreate want a warning and the strategy runbook, got %q / %q / %q", r.Warnings, r.StrategyRunbook, r.Runbook)
	}
}
