package alerts

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/coditect/phasegen/internal/config"
)

// The workloads of an app of several, as For describes them: a Deployment
// whose main container is not named after it, with a session metric, and
// a StatefulSet with two volume claim templates, selected by name.
// allDeclared: the containers set requests and limits of both resources.
var allDeclared = Declared{CPURequest: true, CPULimit: true, MemoryRequest: true, MemoryLimit: true}

func apiWorkload() Workload {
	return Workload{Name: "api", Kind: "Deployment", Container: "server", Declared: allDeclared, Sidecars: []string{"shipper"}, Selector: "app.kubernetes.io/name=api",
		ExactClaims: true, SessionMetric: "shop_sessions"}
}

// labelledAPI is api sharing its session metric with another workload of
// the namespace, told apart by a label.
func labelledAPI() Workload {
	w := apiWorkload()
	w.SessionLabels = map[string]string{"app": "api"}
	return w
}

func dbWorkload() Workload {
	return Workload{Name: "db", Kind: "StatefulSet", Container: "mysql", Declared: allDeclared, Sidecars: []string{"exporter"}, Selector: "app.kubernetes.io/name=db",
		Claims: []string{"data", "binlog"}, ExactClaims: true}
}

func workloadPhase(t *testing.T, body string) *config.Phase {
	t.Helper()
	doc, ps := config.Parse("pilot.yaml", []byte(`apiVersion: phasegen.dev/v1alpha1
kind: Phase
metadata: {name: pilot}
spec:
  order: 1
  users: {min: 1, max: 10}
  workloads:
`+body), config.KindPhase)
	if len(ps) > 0 {
		t.Fatal(ps)
	}
	return doc.(*config.Phase)
}

func shopEnv(t *testing.T) *config.Environment {
	t.Helper()
	doc, ps := config.Parse("production.yaml", []byte(`apiVersion: phasegen.dev/v1alpha1
kind: Environment
metadata: {name: production}
spec:
  phase: pilot
  namespace: shop
  gitops: {repo: example/gitops, branch: main, path: apps/shop}
`), config.KindEnvironment)
	if len(ps) > 0 {
		t.Fatal(ps)
	}
	e := doc.(*config.Environment)
	e.App = "shop"
	return e
}

const shopPhase = `    api:
      autoscaling: {minReplicas: 3, maxReplicas: 6, targetCPUUtilizationPercentage: 70}
    db:
      replicas: 1
`

// TestWorkloadAlerts: only the alerts a workload can have. A Deployment
// without volume claims has no PVC alert; a workload without a session
// metric no sessions alert; a fixed-size one no HPA alert. Runbooks select
// the workload's own labels and name the per-workload fields.
func TestWorkloadAlerts(t *testing.T) {
	p, env := workloadPhase(t, shopPhase), shopEnv(t)
	for _, c := range []struct {
		w    Workload
		want []string
	}{
		{apiWorkload(), []string{AlertCPUHigh, AlertMemoryHigh, AlertHPAAtMax, AlertSessionsOverCapacity, AlertReplicasUnavailable, AlertPodRestarting, AlertHPAMetricUnavailable}},
		{dbWorkload(), []string{AlertCPUHigh, AlertMemoryHigh, AlertPVCAlmostFull, AlertReplicasUnavailable, AlertPodRestarting}},
	} {
		view := p.For(c.w.Name)
		g, err := Groups(env, view, c.w)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(alertNames(t, g), ","); got != strings.Join(c.want, ",") {
			t.Errorf("%s: alerts %s, want %s", c.w.Name, got, strings.Join(c.want, ","))
		}
		if got := strings.Join(Names(view, c.w), ","); got != strings.Join(c.want, ",") {
			t.Errorf("%s: Names %s, want %s", c.w.Name, got, strings.Join(c.want, ","))
		}
		out, err := RuleFile(env, view, c.w)
		if err != nil {
			t.Fatal(err)
		}
		text := string(out)
		for _, want := range []string{"-l " + c.w.Selector, "spec.workloads." + c.w.Name + ".resources.limits.cpu", `container="` + c.w.Container + `"`} {
			if !strings.Contains(text, want) {
				t.Errorf("%s: rules lack %q", c.w.Name, want)
			}
		}
		for _, word := range []string{"IDE", "orkspace", "save work", "sticky", "app=" + c.w.Name} {
			if strings.Contains(text, word) {
				t.Errorf("%s: rules say %q, which nothing in this app's config says", c.w.Name, word)
			}
		}
	}
}

// TestPromtoolWorkloads runs the generated tests of both workloads, whose
// input series hold the decoys (sidecars and cAdvisor's pod-level and POD
// series; for the Deployment a rollout's two ReplicaSets, a Deployment
// api-v2 and a Job's pod named like the Deployment's; for the StatefulSet
// db-v2 and another template's claim), and then proves each decoy matters:
// rules that select pods, containers or claims more loosely fail the same
// tests.
func TestPromtoolWorkloads(t *testing.T) {
	bin := promtool(t)
	p, env := workloadPhase(t, shopPhase), shopEnv(t)
	dir := t.TempDir()
	write := func(name string, w Workload, mutate func(string) string) string {
		t.Helper()
		view := p.For(w.Name)
		rules, err := RuleFile(env, view, w)
		if err != nil {
			t.Fatal(err)
		}
		test, err := UnitTest(env, view, w)
		if err != nil {
			t.Fatal(err)
		}
		mutated := mutate(string(rules))
		if mutated == string(rules) && name != "api" && name != "db" && name != "api-labelled" && name != "api-no-limits" {
			t.Fatalf("%s: the mutation changed nothing", name)
		}
		d := filepath.Join(dir, name)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		for f, data := range map[string]string{RulesFileName: mutated, "rules_test.yaml": string(test)} {
			if err := os.WriteFile(filepath.Join(d, f), []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return d
	}
	same := func(s string) string { return s }
	// The shop's API sets requests and no limits (as teams that leave CPU
	// limits off on purpose do): its usage alerts compare with the
	// requests, on series that hold no limits series at all.
	noLimits := apiWorkload()
	noLimits.Declared = Declared{CPURequest: true, MemoryRequest: true}
	for name, w := range map[string]Workload{"api": apiWorkload(), "db": dbWorkload(), "api-labelled": labelledAPI(), "api-no-limits": noLimits} {
		d := write(name, w, same)
		if name == "api-no-limits" {
			data, err := os.ReadFile(filepath.Join(d, "rules_test.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			rules, err := os.ReadFile(filepath.Join(d, RulesFileName))
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(data), "kube_pod_container_resource_limits") || strings.Contains(string(rules), "kube_pod_container_resource_limits") ||
				!strings.Contains(string(rules), "kube_pod_container_resource_requests") || !strings.Contains(string(rules), "CPU above 80% of its request") {
				t.Fatalf("api without limits: the rules or their test use limits series:\n%s", rules)
			}
		}
		if out, err := runPromtool(bin, d, "check", "rules", RulesFileName); err != nil {
			t.Fatalf("%s: promtool check rules: %v\n%s", w.Name, err, out)
		}
		if out, err := runPromtool(bin, d, "test", "rules", "rules_test.yaml"); err != nil {
			t.Fatalf("%s: promtool test rules: %v\n%s", w.Name, err, out)
		}
	}
	for name, m := range map[string]struct {
		w      Workload
		mutate func(string) string
	}{
		"api-owner-by-prefix": {apiWorkload(), func(s string) string {
			return strings.ReplaceAll(s, `owner_name="api"`, `owner_name=~"api.*"`)
		}},
		"api-any-owner-kind": {apiWorkload(), func(s string) string {
			return strings.ReplaceAll(s, `, owner_kind="ReplicaSet"`, "")
		}},
		"api-every-container": {apiWorkload(), func(s string) string {
			return strings.ReplaceAll(s, `, container="server"`, "")
		}},
		// Summed over the namespace, the other workload's sessions fire it.
		"api-sessions-of-every-app": {labelledAPI(), func(s string) string {
			return strings.ReplaceAll(s, `shop_sessions{namespace="shop", app="api"}`, `shop_sessions{namespace="shop"}`)
		}},
		// Against the limits kube-state-metrics does not export for it, the
		// alerts of the API without limits never fire.
		"api-no-limits-against-limits": {noLimits, func(s string) string {
			return strings.ReplaceAll(s, "kube_pod_container_resource_requests", "kube_pod_container_resource_limits")
		}},
		"db-pods-by-prefix": {dbWorkload(), func(s string) string {
			return strings.ReplaceAll(s, `pod=~"db-[0-9]+"`, `pod=~"db-.*"`)
		}},
		// Each availability alert on a look-alike's series: another
		// Deployment whose name extends the API's, the same StatefulSet's
		// pods in another namespace, another HPA.
		"api-unavailable-by-prefix": {apiWorkload(), func(s string) string {
			return strings.ReplaceAll(s, `deployment="api"`, `deployment=~"api.*"`)
		}},
		"db-restarts-of-every-namespace": {dbWorkload(), func(s string) string {
			return strings.ReplaceAll(s, `kube_pod_container_status_restarts_total{namespace="shop", `, `kube_pod_container_status_restarts_total{`)
		}},
		"api-hpa-metric-by-prefix": {apiWorkload(), func(s string) string {
			return strings.ReplaceAll(s, `horizontalpodautoscaler="api-hpa", condition=`, `horizontalpodautoscaler=~"api.*", condition=`)
		}},
		"db-any-claim": {dbWorkload(), func(s string) string {
			return strings.ReplaceAll(s, `(data|binlog)-db-[0-9]+`, `.*-db-[0-9]+`)
		}},
	} {
		d := write(name, m.w, m.mutate)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			out, err := runPromtool(bin, d, "test", "rules", "rules_test.yaml")
			if err == nil || !strings.Contains(out, "FAILED") {
				t.Fatalf("the generated test passed against rules that select more than the workload's own series (err %v):\n%s", err, out)
			}
		})
	}
}

// TestUsageAlertBasis: a usage alert compares with the container's limit,
// else its request, else there is none, and Unwatched says so; a phase's
// own resources count as the container's.
func TestUsageAlertBasis(t *testing.T) {
	env := shopEnv(t)
	bare := apiWorkload()
	bare.Declared = Declared{}
	availability := []string{AlertReplicasUnavailable, AlertPodRestarting, AlertHPAMetricUnavailable}
	for _, c := range []struct {
		name  string
		phase string
		w     Workload
		want  []string
		note  string
	}{
		{"nothing set", shopPhase, bare, append([]string{AlertHPAAtMax, AlertSessionsOverCapacity}, availability...),
			"Deployment api: container server sets no CPU limit or request at phase pilot, so it has no WorkloadCPUHigh alert"},
		{"the phase sets a memory request", strings.Replace(shopPhase, "targetCPUUtilizationPercentage: 70}", "targetCPUUtilizationPercentage: 70}\n      resources: {requests: {memory: 256Mi}}", 1), bare,
			append([]string{AlertMemoryHigh, AlertHPAAtMax, AlertSessionsOverCapacity}, availability...), "no WorkloadCPUHigh alert"},
		{"limits", shopPhase, apiWorkload(), append([]string{AlertCPUHigh, AlertMemoryHigh, AlertHPAAtMax, AlertSessionsOverCapacity}, availability...), ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			view := workloadPhase(t, c.phase).For("api")
			g, err := Groups(env, view, c.w)
			if err != nil {
				t.Fatal(err)
			}
			if got := alertNames(t, g); !slices.Equal(got, c.want) || !slices.Equal(Names(view, c.w), c.want) {
				t.Errorf("alerts %v (Names %v), want %v", got, Names(view, c.w), c.want)
			}
			notes := strings.Join(Unwatched(view, c.w), "\n")
			if (c.note == "") != (notes == "") || !strings.Contains(notes, c.note) {
				t.Errorf("Unwatched: %q, want %q", notes, c.note)
			}
		})
	}
}

// TestSeverityConfigured: alerts.severity sets the severity of the alerts
// it names, per workload; the others keep theirs.
func TestSeverityConfigured(t *testing.T) {
	p := workloadPhase(t, `    api:
      autoscaling: {minReplicas: 3, maxReplicas: 6, targetCPUUtilizationPercentage: 70}
    db:
      replicas: 1
      alerts:
        severity: {WorkloadReplicasUnavailable: critical, WorkloadCPUHigh: info}
`)
	env := shopEnv(t)
	want := map[string]map[string]string{
		"db":  {AlertReplicasUnavailable: SeverityCritical, AlertCPUHigh: "info", AlertMemoryHigh: SeverityWarning, AlertPodRestarting: SeverityWarning},
		"api": {AlertReplicasUnavailable: SeverityWarning, AlertCPUHigh: SeverityWarning},
	}
	for _, w := range []Workload{dbWorkload(), apiWorkload()} {
		g, err := Groups(env, p.For(w.Name), w)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, r := range g.Groups[0].Rules {
			got[r.Alert] = r.Labels["severity"]
		}
		for alert, sev := range want[w.Name] {
			if got[alert] != sev {
				t.Errorf("%s: %s has severity %q, want %q", w.Name, alert, got[alert], sev)
			}
		}
	}
}
