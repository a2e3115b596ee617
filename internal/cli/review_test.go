package cli_test

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/coditect/phasegen/internal/cli"
)

// reviewJSON is `review -o json` as the README documents it.
type reviewJSON struct {
	Base         string `json:"base"`
	Skipped      int    `json:"skipped"`
	Environments []struct {
		Name  string `json:"name"`
		Phase struct {
			From *string `json:"from"`
			To   *string `json:"to"`
		} `json:"phase"`
		Changed     bool `json:"changed"`
		MonthlyCost struct {
			From, To, Delta struct{ Min, Max float64 }
		} `json:"monthlyCost"`
		Gates []struct {
			Name, Message string
		} `json:"gates"`
		Objects []struct {
			Kind, Name, Change string
		} `json:"objects"`
		// Added to the documented shape, only when they differ.
		Scaling *struct {
			From, To *scalingJSON
		} `json:"scaling"`
		Soak *struct {
			From, To *string
		} `json:"soak"`
	} `json:"environments"`
}

// scalingJSON is plan -o json's "scaling" of a phase.
type scalingJSON struct {
	SecondsToMax *int `json:"secondsToMax"`
	Peak         *struct {
		Users, Pods, Seconds, Within int
		Met                          bool
		Change                       *struct {
			Set []struct {
				Field    string
				From, To int
			}
			Seconds int
		}
	} `json:"peak"`
}

// reviewRepo lays out a configuration repository with more environments
// than the shipped two (three at beta) and commits it; it returns the
// directory, now the current one, and the repository.
func reviewRepo(t *testing.T) (string, *gogit.Repository) {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{"environments", "templates/base"} {
		if err := copyTree(filepath.Join("..", "testdata", "example", d), filepath.Join(dir, d)); err != nil {
			t.Fatal(err)
		}
	}
	for name, phase := range map[string]string{"beta-a": "beta", "beta-b": "beta", "launch-1": "pre-launch", "mvp-1": "full-mvp"} {
		writeEnv(t, dir, name, phase)
	}
	r, err := gogit.PlainInit(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	commitAll(t, r, "initial configs")
	t.Chdir(dir)
	return dir, r
}

func writeEnv(t *testing.T, dir, name, phase string) {
	t.Helper()
	doc := "apiVersion: phasegen.dev/v1alpha1\nkind: Environment\nmetadata:\n  name: " + name + "\nspec:\n  phase: " + phase +
		"\n  namespace: ns-" + name + "\n  workload: coditect-combined\n  gitops:\n    repo: coditect/argocd-apps\n    branch: main\n    path: apps/coditect\n" +
		"  argocd:\n    project: default\n    server: https://kubernetes.default.svc\n"
	if err := os.WriteFile(filepath.Join(dir, "environments", name+".yaml"), []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
}

// commitAll commits every file of the work tree (deletions included).
func commitAll(t *testing.T, r *gogit.Repository, msg string) string {
	t.Helper()
	w, err := r.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	if err := w.AddWithOptions(&gogit.AddOptions{All: true}); err != nil {
		t.Fatal(err)
	}
	sig := &object.Signature{Name: "dev", Email: "dev@example.com", When: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	h, err := w.Commit(msg, &gogit.CommitOptions{Author: sig, Committer: sig, AllowEmptyCommits: true})
	if err != nil {
		t.Fatal(err)
	}
	return h.String()
}

func editFile(t *testing.T, p, old, new string) {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(old)) {
		t.Fatalf("%s has no %q", p, old)
	}
	if err := os.WriteFile(p, bytes.Replace(b, []byte(old), []byte(new), 1), 0o644); err != nil {
		t.Fatal(err)
	}
}

// runCLI runs phasegen in process and returns its exit code, stdout and
// stderr.
func runCLI(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	a := cli.NewTestApp(t, env)
	code := a.Run(args...)
	return code, a.Out.String(), a.Err.String()
}

func reviewOf(t *testing.T, args ...string) (reviewJSON, string) {
	t.Helper()
	code, out, errOut := runCLI(t, nil, append([]string{"review", "-o", "json"}, args...)...)
	if code != cli.ExitOK {
		t.Fatalf("review: exit %d\n%s%s", code, out, errOut)
	}
	var r reviewJSON
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("review -o json: %v\n%s", err, out)
	}
	return r, errOut
}

func TestReviewPhaseChangeBuildsOnlyThatPhase(t *testing.T) {
	dir, r := reviewRepo(t)
	head, err := r.Head()
	if err != nil {
		t.Fatal(err)
	}
	editFile(t, filepath.Join(dir, "environments", "phases", "beta.yaml"), "maxReplicas: 30", "maxReplicas: 40")

	rep, stderr := reviewOf(t)
	if rep.Base != head.Hash().String() {
		t.Errorf("base %s, want HEAD %s", rep.Base, head.Hash())
	}
	var changed, unchanged []string
	for _, e := range rep.Environments {
		if !e.Changed {
			unchanged = append(unchanged, e.Name)
			if len(e.Objects) != 0 || e.MonthlyCost.Delta.Min != 0 || e.MonthlyCost.Delta.Max != 0 {
				t.Errorf("%s: unchanged but objects %v, delta %+v", e.Name, e.Objects, e.MonthlyCost.Delta)
			}
			continue
		}
		changed = append(changed, e.Name)
		if *e.Phase.From != "beta" || *e.Phase.To != "beta" {
			t.Errorf("%s: phase %s → %s, want beta → beta", e.Name, *e.Phase.From, *e.Phase.To)
		}
		if !slices.ContainsFunc(e.Objects, func(o struct{ Kind, Name, Change string }) bool {
			return o.Kind == "HorizontalPodAutoscaler" && o.Name == "coditect-combined-hpa" && o.Change == "modified"
		}) {
			t.Errorf("%s: no modified HPA in %+v", e.Name, e.Objects)
		}
		c := e.MonthlyCost
		perPod := c.From.Max / 30
		if c.Delta.Min != 0 || math.Abs(c.Delta.Max-10*perPod) > 0.005 || math.Abs(c.Delta.Max-501.40) > 0.005 {
			t.Errorf("%s: cost delta %+v (from %+v), want +0 at the floor and +10 pods ($501.40) at the ceiling", e.Name, c.Delta, c.From)
		}
		if len(e.Gates) != 0 {
			t.Errorf("%s: gates %+v", e.Name, e.Gates)
		}
	}
	if want := []string{"beta-a", "beta-b", "staging"}; !slices.Equal(changed, want) {
		t.Errorf("changed %v, want exactly the environments at beta %v", changed, want)
	}
	if want := []string{"launch-1", "mvp-1", "production"}; !slices.Equal(unchanged, want) || rep.Skipped != 3 {
		t.Errorf("unchanged %v (skipped %d), want %v all skipped", unchanged, rep.Skipped, want)
	}
	if !strings.Contains(stderr, "built 3 environment(s)") {
		t.Errorf("stderr: %s", stderr)
	}

	// The table shows the HPA diff of each.
	code, out, _ := runCLI(t, nil, "review")
	if code != cli.ExitOK || strings.Count(out, "-  maxReplicas: 30\n+  maxReplicas: 40\n") != 3 || !strings.Contains(out, "HPA range: 10–30 → 10–40") {
		t.Errorf("review table (exit %d):\n%s", code, out)
	}

	// Committed, nothing differs: nothing is built.
	commitAll(t, r, "beta: HPA up to 40")
	rep, stderr = reviewOf(t)
	if rep.Skipped != 6 || !strings.Contains(stderr, "built 0 environment(s)") {
		t.Errorf("after the commit: skipped %d, stderr %s", rep.Skipped, stderr)
	}
	// --base names the revision before.
	rep, _ = reviewOf(t, "--base", "HEAD~1", "staging", "production")
	if len(rep.Environments) != 2 || !rep.Environments[1].Changed || rep.Environments[0].Changed {
		t.Errorf("--base HEAD~1 staging production: %+v", rep.Environments)
	}
}

func TestReviewVolumeSizeGatesEveryEnvironment(t *testing.T) {
	dir, _ := reviewRepo(t)
	editFile(t, filepath.Join(dir, "templates", "base", "statefulset.yaml"), "storage: 50Gi", "storage: 100Gi")
	rep, _ := reviewOf(t)
	if len(rep.Environments) != 6 || rep.Skipped != 0 {
		t.Fatalf("%d environments, %d skipped", len(rep.Environments), rep.Skipped)
	}
	for _, e := range rep.Environments {
		if !e.Changed || len(e.Gates) != 1 || e.Gates[0].Name != "immutable-field" ||
			!strings.Contains(e.Gates[0].Message, "volumeClaimTemplates changes from [workspace 50Gi") {
			t.Errorf("%s: changed %v, gates %+v", e.Name, e.Changed, e.Gates)
		}
		// 50 GiB more a pod at $0.10: $5 a pod a month.
		if floor := e.MonthlyCost.From.Min / 50.14; math.Abs(e.MonthlyCost.Delta.Min-5*math.Round(floor)) > 0.005 {
			t.Errorf("%s: delta %+v", e.Name, e.MonthlyCost.Delta)
		}
	}
	if code, _, _ := runCLI(t, nil, "review"); code != cli.ExitOK {
		t.Errorf("review without --fail-on: exit %d, want 0", code)
	}
	code, _, stderr := runCLI(t, nil, "review", "--fail-on", "gate")
	if code != cli.ExitError || !strings.Contains(stderr, "6 gate(s) fire (--fail-on gate)") {
		t.Errorf("--fail-on gate: exit %d, stderr %s", code, stderr)
	}
	if code, _, _ := runCLI(t, nil, "review", "--fail-on", "gate", "--base", "HEAD", "no-such-env"); code != cli.ExitError {
		t.Errorf("unknown environment: exit %d", code)
	}
}

func TestReviewAddedRemovedAndPhaseMove(t *testing.T) {
	dir, _ := reviewRepo(t)
	writeEnv(t, dir, "fresh", "beta")
	if err := os.Remove(filepath.Join(dir, "environments", "mvp-1.yaml")); err != nil {
		t.Fatal(err)
	}
	editFile(t, filepath.Join(dir, "environments", "launch-1.yaml"), "phase: pre-launch", "phase: full-mvp")
	rep, _ := reviewOf(t)
	got := map[string]string{}
	for _, e := range rep.Environments {
		from, to := "nil", "nil"
		if e.Phase.From != nil {
			from = *e.Phase.From
		}
		if e.Phase.To != nil {
			to = *e.Phase.To
		}
		var gates []string
		for _, g := range e.Gates {
			gates = append(gates, g.Name)
		}
		got[e.Name] = from + ">" + to + " " + strings.Join(gates, ",")
		switch e.Name {
		case "fresh":
			if len(e.Objects) == 0 || e.Objects[0].Change != "added" || e.MonthlyCost.From.Max != 0 || e.MonthlyCost.Delta.Max != e.MonthlyCost.To.Max {
				t.Errorf("fresh: %+v", e)
			}
		case "mvp-1":
			if len(e.Objects) == 0 || e.Objects[0].Change != "removed" || e.MonthlyCost.To.Max != 0 {
				t.Errorf("mvp-1: %+v", e)
			}
		case "launch-1":
			// pre-launch soaks 24h and has no SLO; full-mvp the reverse.
			if e.Soak == nil || e.Soak.From == nil || *e.Soak.From != "24h" || e.Soak.To != nil ||
				e.Scaling == nil || e.Scaling.From.Peak != nil || e.Scaling.To.Peak == nil || e.Scaling.To.Peak.Met {
				t.Errorf("launch-1: soak %+v, scaling %+v", e.Soak, e.Scaling)
			}
		}
	}
	want := map[string]string{
		"fresh": "nil>beta ", "mvp-1": "full-mvp>nil ", "launch-1": "pre-launch>full-mvp order",
		"beta-a": "beta>beta ", "beta-b": "beta>beta ", "staging": "beta>beta ", "production": "pre-launch>pre-launch ",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %q", k, got[k], v)
		}
	}
	code, out, _ := runCLI(t, nil, "review")
	if code != cli.ExitOK || !strings.Contains(out, "fresh (added)") || !strings.Contains(out, "mvp-1 (removed)") ||
		!strings.Contains(out, "== launch-1 ==\nPhase: pre-launch → full-mvp\nPeak load test (spec.slo): none → 30 users: 20 pods in 225 s, limit 180 s: ✗ not met\n") ||
		!strings.Contains(out, "\nSoak (spec.soak): 24h → none\n") {
		t.Errorf("table (exit %d):\n%s", code, out)
	}
}

func TestReviewDroppedHPAGates(t *testing.T) {
	dir, _ := reviewRepo(t)
	beta := filepath.Join(dir, "environments", "phases", "beta.yaml")
	b, err := os.ReadFile(beta)
	if err != nil {
		t.Fatal(err)
	}
	// beta runs 10 fixed replicas: its HPA is no longer generated.
	start, end := bytes.Index(b, []byte("  autoscaling:\n")), bytes.Index(b, []byte("  alerts:\n"))
	if start < 0 || end < start {
		t.Fatal("beta.yaml has no autoscaling block before alerts")
	}
	if err := os.WriteFile(beta, append(append([]byte(nil), b[:start]...), b[end:]...), 0o644); err != nil {
		t.Fatal(err)
	}
	rep, _ := reviewOf(t)
	n := 0
	for _, e := range rep.Environments {
		if e.Phase.To == nil || *e.Phase.To != "beta" {
			if len(e.Gates) != 0 {
				t.Errorf("%s: gates %+v", e.Name, e.Gates)
			}
			continue
		}
		n++
		if len(e.Gates) != 1 || e.Gates[0].Name != "hpa-dropped" ||
			!strings.HasPrefix(e.Gates[0].Message, "HorizontalPodAutoscaler/coditect-combined-hpa is no longer generated at beta: Argo CD must prune it") ||
			!strings.Contains(e.Gates[0].Message, "the StatefulSet goes from whatever the HPA had set (10–30 at beta; the live count is not known here) to 10 replicas") {
			t.Errorf("%s: gates %+v", e.Name, e.Gates)
		}
		if e.MonthlyCost.Delta.Max >= 0 {
			t.Errorf("%s: dropping the HPA to 10 pods should lower the ceiling's cost: %+v", e.Name, e.MonthlyCost.Delta)
		}
	}
	if n != 3 {
		t.Errorf("%d environments at beta, want 3", n)
	}
	if code, _, _ := runCLI(t, nil, "review", "--fail-on", "gate"); code != cli.ExitError {
		t.Errorf("--fail-on gate with a dropped HPA: exit %d, want 1", code)
	}
}

// reviewEnv returns the review of one environment.
func reviewEnv(t *testing.T, rep reviewJSON, name string) int {
	t.Helper()
	for i, e := range rep.Environments {
		if e.Name == name {
			return i
		}
	}
	t.Fatalf("no environment %s in the review", name)
	return -1
}

// TestReviewSLOAndSoak: the planning fields of a phase (spec.slo, spec.soak,
// the HPA's speed) show in the review, also when no built manifest changes.
func TestReviewSLOAndSoak(t *testing.T) {
	dir, r := reviewRepo(t)
	phases := filepath.Join(dir, "environments", "phases")

	// full-mvp's HPA adds 4 pods a minute instead of 3: the HPA object of
	// mvp-1 changes and its 30-user peak is met — in the 165 s plan named
	// as the smallest change that meets it.
	editFile(t, filepath.Join(phases, "full-mvp.yaml"), "pods: 3, periodSeconds: 60}", "pods: 4, periodSeconds: 60}")
	rep, _ := reviewOf(t)
	e := rep.Environments[reviewEnv(t, rep, "mvp-1")]
	if !e.Changed || len(e.Objects) != 1 || e.Objects[0].Kind != "HorizontalPodAutoscaler" || e.Soak != nil || e.Scaling == nil {
		t.Fatalf("mvp-1: changed %v, objects %+v, soak %+v, scaling %+v", e.Changed, e.Objects, e.Soak, e.Scaling)
	}
	from, to := e.Scaling.From, e.Scaling.To
	if from.Peak == nil || to.Peak == nil || from.Peak.Met || !to.Peak.Met || from.Peak.Seconds != 225 || to.Peak.Seconds != 165 ||
		to.Peak.Within != 180 || to.Peak.Pods != 20 || to.Peak.Users != 30 || to.Peak.Change != nil {
		t.Errorf("mvp-1 peak %+v → %+v", from.Peak, to.Peak)
	}
	if c := from.Peak.Change; c == nil || len(c.Set) != 1 || c.Set[0].Field != "spec.autoscaling.scaleUp.pods" || c.Set[0].To != 4 || c.Seconds != to.Peak.Seconds {
		t.Errorf("the base's smallest change %+v is not what the proposed side measures (%d s)", c, to.Peak.Seconds)
	}
	if *from.SecondsToMax != 405 || *to.SecondsToMax != 285 {
		t.Errorf("mvp-1 floor to ceiling %d s → %d s, want 405 → 285", *from.SecondsToMax, *to.SecondsToMax)
	}
	for _, o := range rep.Environments {
		if o.Name != "mvp-1" && (o.Scaling != nil || o.Soak != nil || o.Changed) {
			t.Errorf("%s: changed %v, scaling %+v, soak %+v", o.Name, o.Changed, o.Scaling, o.Soak)
		}
	}
	code, out, _ := runCLI(t, nil, "review")
	for _, want := range []string{
		"\nHPA scale-up, floor to ceiling: 405 s → 285 s\n",
		"\nPeak load test (spec.slo): 30 users: 20 pods in 225 s, limit 180 s: ✗ not met → 30 users: 20 pods in 165 s, limit 180 s: ✓ met\n",
	} {
		if code != cli.ExitOK || !strings.Contains(out, want) {
			t.Errorf("review table (exit %d) has no %q:\n%s", code, want, out)
		}
	}
	commitAll(t, r, "full-mvp: 4 pods a minute")

	// Planning data only: a longer SLO limit at full-mvp and a longer soak
	// at pre-launch change no built manifest, yet the review shows both.
	editFile(t, filepath.Join(phases, "full-mvp.yaml"), "scaleUpWithin: 3m", "scaleUpWithin: 150s")
	editFile(t, filepath.Join(phases, "pre-launch.yaml"), "soak: 24h", "soak: 48h")
	rep, stderr := reviewOf(t)
	if rep.Skipped != 3 || !strings.Contains(stderr, "built 3 environment(s)") {
		t.Errorf("skipped %d (want the 3 at beta), stderr %s", rep.Skipped, stderr)
	}
	e = rep.Environments[reviewEnv(t, rep, "mvp-1")]
	if e.Changed || len(e.Objects) != 0 || e.Soak != nil || e.Scaling == nil {
		t.Fatalf("mvp-1: changed %v, objects %+v, soak %+v, scaling %+v", e.Changed, e.Objects, e.Soak, e.Scaling)
	}
	from, to = e.Scaling.From, e.Scaling.To
	if !from.Peak.Met || to.Peak.Met || to.Peak.Seconds != 165 || to.Peak.Within != 150 || *to.SecondsToMax != 285 {
		t.Errorf("mvp-1 peak %+v → %+v", from.Peak, to.Peak)
	}
	for _, name := range []string{"launch-1", "production"} {
		e := rep.Environments[reviewEnv(t, rep, name)]
		if e.Changed || len(e.Objects) != 0 || e.Scaling != nil || e.Soak == nil || *e.Soak.From != "24h" || *e.Soak.To != "48h" {
			t.Errorf("%s: changed %v, objects %+v, scaling %+v, soak %+v", name, e.Changed, e.Objects, e.Scaling, e.Soak)
		}
	}
	code, out, _ = runCLI(t, nil, "review")
	for _, want := range []string{
		"== mvp-1 ==\nPeak load test (spec.slo): 30 users: 20 pods in 165 s, limit 180 s: ✓ met → 30 users: 20 pods in 165 s, limit 150 s: ✗ not met\nBuilt manifests: unchanged.\n",
		"== production ==\nSoak (spec.soak): 24h → 48h\nBuilt manifests: unchanged.\n",
		"0 of 6 environments change their built manifests; 6 unchanged, 3 of them skipped",
	} {
		if code != cli.ExitOK || !strings.Contains(out, want) {
			t.Errorf("review table (exit %d) has no %q:\n%s", code, want, out)
		}
	}
	for _, name := range []string{"launch-1", "mvp-1", "production"} {
		if row := tableRow(out, name); strings.Join(row, " ") != name+" "+map[bool]string{true: "full-mvp", false: "pre-launch"}[name == "mvp-1"]+" no - $0.00/$0.00 -" {
			t.Errorf("%s's row: %q", name, row)
		}
	}
	code, out, _ = runCLI(t, nil, "review", "-o", "markdown")
	for _, want := range []string{
		"<summary><b>production</b>: no change to the built manifests</summary>\n\n| | base | proposed |\n|---|---|---|\n| Soak (spec.soak) | 24h | 48h |\n",
		"| Peak load test (spec.slo) | 30 users: 20 pods in 165 s, limit 180 s: ✓ met | 30 users: 20 pods in 165 s, limit 150 s: ✗ not met |\n",
	} {
		if code != cli.ExitOK || !strings.Contains(out, want) {
			t.Errorf("review markdown (exit %d) has no %q:\n%s", code, want, out)
		}
	}
}

// tableRow returns the fields of the table line that starts with name.
func tableRow(out, name string) []string {
	for line := range strings.Lines(out) {
		if f := strings.Fields(line); len(f) > 0 && f[0] == name {
			return f
		}
	}
	return nil
}

// TestReviewApplicationChange: an environment's Argo CD settings change no
// built manifest but its Application, which Argo CD applies beside them:
// the review shows the Application modified (and only it) with its diff.
func TestReviewApplicationChange(t *testing.T) {
	dir, _ := reviewRepo(t)
	editFile(t, filepath.Join(dir, "environments", "beta-a.yaml"), "project: default", "project: team-a")
	rep, _ := reviewOf(t)
	for _, e := range rep.Environments {
		switch {
		case e.Name == "beta-a":
			if !e.Changed || len(e.Objects) != 1 || e.Objects[0].Kind != "Application" ||
				e.Objects[0].Name != "coditect-beta-a" || e.Objects[0].Change != "modified" || len(e.Gates) != 0 {
				t.Errorf("beta-a: changed %v, objects %+v, gates %+v", e.Changed, e.Objects, e.Gates)
			}
		case e.Changed:
			t.Errorf("%s changed: %+v", e.Name, e.Objects)
		}
	}
	if rep.Skipped != len(rep.Environments)-1 {
		t.Errorf("skipped %d of %d, want all but beta-a", rep.Skipped, len(rep.Environments))
	}
	code, out, _ := runCLI(t, nil, "review")
	if code != cli.ExitOK || !strings.Contains(out, "--- a/Application/coditect-beta-a\n+++ b/Application/coditect-beta-a\n") ||
		!strings.Contains(out, "-  project: default\n+  project: team-a\n") {
		t.Errorf("table (exit %d):\n%s", code, out)
	}
}

// An environment whose Application moves to another namespace
// (spec.argocd.namespace) fires the application-moved gate, naming both
// namespaces, and --fail-on gate stops the pull request.
func TestReviewApplicationMoved(t *testing.T) {
	dir, _ := reviewRepo(t)
	editFile(t, filepath.Join(dir, "environments", "beta-a.yaml"), "project: default\n", "project: default\n    namespace: team-apps\n")
	rep, _ := reviewOf(t)
	var fired int
	for _, e := range rep.Environments {
		for _, g := range e.Gates {
			if e.Name != "beta-a" || g.Name != "application-moved" {
				t.Errorf("%s: unexpected gate %+v", e.Name, g)
				continue
			}
			fired++
			for _, want := range []string{"coditect-beta-a moves from namespace argocd to team-apps",
				"resources-finalizer.argocd.argoproj.io", "--allow-recreate"} {
				if !strings.Contains(g.Message, want) {
					t.Errorf("gate message lacks %q: %s", want, g.Message)
				}
			}
		}
	}
	if fired != 1 {
		t.Errorf("application-moved fired %d times, want once (beta-a)", fired)
	}
	code, out, stderr := runCLI(t, nil, "review", "--fail-on", "gate")
	if code != cli.ExitError || !strings.Contains(stderr, "1 gate(s) fire (--fail-on gate)") ||
		!strings.Contains(out, "-  namespace: argocd\n+  namespace: team-apps\n") {
		t.Errorf("--fail-on gate: exit %d\nstdout %s\nstderr %s", code, out, stderr)
	}

	// The same namespace on both sides (argocd spelled out) fires nothing.
	editFile(t, filepath.Join(dir, "environments", "beta-a.yaml"), "namespace: team-apps", "namespace: argocd")
	if code, _, stderr := runCLI(t, nil, "review", "--fail-on", "gate"); code != cli.ExitOK {
		t.Errorf("argocd spelled out: exit %d: %s", code, stderr)
	}
}
