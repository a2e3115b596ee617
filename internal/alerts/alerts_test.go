package alerts

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coditect/phasegen/internal/golden"

	"sigs.k8s.io/yaml"

	"github.com/coditect/phasegen/internal/base"
	"github.com/coditect/phasegen/internal/config"
	"github.com/coditect/phasegen/internal/workload"
)

func loadSet(t *testing.T) *config.Set {
	t.Helper()
	s, err := config.Load(filepath.Join("..", "testdata", "example", "environments"))
	if err != nil {
		t.Fatalf("loading shipped configs: %v", err)
	}
	return s
}

// seed is the example's one workload as its alerts see it.
func seed(t *testing.T, s *config.Set) Workload {
	t.Helper()
	b, err := base.Load(os.DirFS(filepath.Join("..", "testdata", "example", "templates")))
	if err != nil {
		t.Fatal(err)
	}
	ws, err := workload.Resolve(s, b)
	if err != nil {
		t.Fatal(err)
	}
	return For(ws.All[0], false)
}

// fixedPhase is p without autoscaling: a fixed replica count.
func fixedPhase(p *config.Phase) *config.Phase {
	q := *p
	q.Metadata.Name = p.Metadata.Name + "-fixed"
	q.Spec.Autoscaling = nil
	q.Spec.Replicas = 3
	return &q
}

func alertNames(t *testing.T, g RuleGroups) []string {
	t.Helper()
	if len(g.Groups) != 1 {
		t.Fatalf("got %d groups, want 1", len(g.Groups))
	}
	var names []string
	for _, r := range g.Groups[0].Rules {
		names = append(names, r.Alert)
	}
	return names
}

func TestPrometheusRuleGolden(t *testing.T) {
	s := loadSet(t)
	for _, e := range s.Environments {
		for _, p := range s.Phases {
			name := e.Metadata.Name + "-" + p.Metadata.Name
			t.Run(name, func(t *testing.T) {
				got, err := PrometheusRule(e, p, seed(t, s))
				if err != nil {
					t.Fatal(err)
				}
				again, err := PrometheusRule(e, p, seed(t, s))
				if err != nil || !bytes.Equal(got, again) {
					t.Fatalf("output is not deterministic (err %v)", err)
				}
				golden.Assert(t, filepath.Join("testdata", name+".yaml"), got)
			})
		}
	}
}

func TestPrometheusRuleShape(t *testing.T) {
	s := loadSet(t)
	e, _ := s.Environment("production")
	p := s.Phases[0]
	out, err := PrometheusRule(e, p, seed(t, s))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.HasPrefix(out, []byte("#")) {
		t.Error("output starts with a comment")
	}
	var obj prometheusRule
	if err := yaml.UnmarshalStrict(out, &obj); err != nil {
		t.Fatalf("output does not read back: %v", err)
	}
	w := e.Spec.Workload
	if obj.APIVersion != "monitoring.coreos.com/v1" || obj.Kind != "PrometheusRule" ||
		obj.Metadata.Name != w+"-alerts" || obj.Metadata.Namespace != e.Spec.Namespace ||
		obj.Metadata.Labels["app"] != w || len(obj.Metadata.Annotations) != 0 {
		t.Errorf("wrong object header: %+v %+v", obj.APIVersion, obj.Metadata)
	}
	want := []string{AlertCPUHigh, AlertMemoryHigh, AlertHPAAtMax, AlertPVCAlmostFull, AlertSessionsOverCapacity,
		AlertReplicasUnavailable, AlertPodRestarting, AlertHPAMetricUnavailable}
	if got := alertNames(t, obj.Spec); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("alerts = %v, want %v", got, want)
	}
	for _, r := range obj.Spec.Groups[0].Rules {
		if r.Labels["severity"] != SeverityWarning && r.Labels["severity"] != SeverityCritical {
			t.Errorf("%s: severity %q", r.Alert, r.Labels["severity"])
		}
		for _, k := range []string{"summary", "description", "runbook"} {
			if r.Annotations[k] == "" {
				t.Errorf("%s: no %s annotation", r.Alert, k)
			}
		}
		if r.For != p.Spec.Alerts.For {
			t.Errorf("%s: for = %q, want %q", r.Alert, r.For, p.Spec.Alerts.For)
		}
	}
	// The runbooks say how to add pods without naming a phase: promote,
	// or raise the last phase's ceiling.
	var runbooks []string
	for _, r := range obj.Spec.Groups[0].Rules {
		runbooks = append(runbooks, r.Annotations["runbook"])
	}
	for _, want := range []string{"`phasegen status production` names it: `phasegen promote production --to <next>`", "raise spec.autoscaling.maxReplicas in its Phase file"} {
		if !strings.Contains(strings.Join(runbooks, "\n"), want) {
			t.Errorf("runbooks lack %q", want)
		}
	}
	if strings.Contains(string(out), p.Metadata.Name) {
		t.Errorf("the PrometheusRule names its phase %s: every promotion would change it", p.Metadata.Name)
	}
}

func TestSeverityFollowsTheSeed(t *testing.T) {
	s := loadSet(t)
	e, _ := s.Environment("production")
	for _, c := range []struct {
		phase           string
		cpu, memoryWant string
	}{{"pre-launch", SeverityWarning, SeverityWarning}, {"full-mvp", SeverityCritical, SeverityCritical}} {
		p, _ := s.Phase(c.phase)
		g, err := Groups(e, p, seed(t, s))
		if err != nil {
			t.Fatal(err)
		}
		rules := g.Groups[0].Rules
		if rules[0].Labels["severity"] != c.cpu || rules[1].Labels["severity"] != c.memoryWant {
			t.Errorf("%s: severities %s/%s, want %s/%s", c.phase, rules[0].Labels["severity"], rules[1].Labels["severity"], c.cpu, c.memoryWant)
		}
	}
}

func TestNoHPAAlertWithoutAutoscaling(t *testing.T) {
	s := loadSet(t)
	e, _ := s.Environment("production")
	p := fixedPhase(s.Phases[0])
	g, err := Groups(e, p, seed(t, s))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{AlertCPUHigh, AlertMemoryHigh, AlertPVCAlmostFull, AlertSessionsOverCapacity, AlertReplicasUnavailable, AlertPodRestarting}
	if got := alertNames(t, g); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("alerts = %v, want %v", got, want)
	}
	for _, f := range []func(*config.Environment, *config.Phase, Workload) ([]byte, error){PrometheusRule, RuleFile, UnitTest} {
		out, err := f(e, p, seed(t, s))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(out, []byte(AlertHPAAtMax)) || bytes.Contains(out, []byte(AlertHPAMetricUnavailable)) || bytes.Contains(out, []byte("horizontalpodautoscaler")) {
			t.Errorf("output of a phase without autoscaling mentions the HPA:\n%s", out)
		}
	}
}

var (
	stringLit = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)
	selector  = regexp.MustCompile(`([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\}`)
	grouping  = regexp.MustCompile(`\b(?:by|without|on|ignoring)\s*\([^)]*\)`)
	rangeSel  = regexp.MustCompile(`\[[^\]]*\]`)
	ident     = regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*`)
)

// promqlWords are the functions, aggregations and keywords the expressions may use.
var promqlWords = map[string]bool{"sum": true, "max": true, "rate": true, "increase": true}

func TestExpressionsUseOnlyAllowedMetrics(t *testing.T) {
	s := loadSet(t)
	metric := s.Capacity.Spec.SessionMetric
	allowed := map[string]bool{
		"container_cpu_usage_seconds_total": true, "container_memory_working_set_bytes": true,
		"kube_pod_container_resource_limits": true, "kube_horizontalpodautoscaler_status_current_replicas": true,
		"kube_horizontalpodautoscaler_spec_max_replicas": true, "kube_pod_status_ready": true,
		"kubelet_volume_stats_used_bytes": true, "kubelet_volume_stats_capacity_bytes": true,
		"kube_statefulset_replicas": true, "kube_statefulset_status_replicas_ready": true,
		"kube_pod_container_status_restarts_total": true, "kube_horizontalpodautoscaler_status_condition": true,
		metric: true,
	}
	for _, e := range s.Environments {
		for _, p := range append(append([]*config.Phase{}, s.Phases...), fixedPhase(s.Phases[0])) {
			g, err := Groups(e, p, seed(t, s))
			if err != nil {
				t.Fatal(err)
			}
			ns, w := e.Spec.Namespace, e.Spec.Workload
			for _, r := range g.Groups[0].Rules {
				// Every metric is read through a selector scoped to the
				// namespace and the workload's objects.
				sels := selector.FindAllStringSubmatch(r.Expr, -1)
				if len(sels) == 0 {
					t.Errorf("%s: no selectors in %q", r.Alert, r.Expr)
				}
				for _, m := range sels {
					name, matchers := m[1], m[2]
					if !allowed[name] {
						t.Errorf("%s: metric %s is not one the README names", r.Alert, name)
					}
					if !strings.Contains(matchers, `namespace="`+ns+`"`) {
						t.Errorf("%s: %s is not scoped to namespace %s: {%s}", r.Alert, name, ns, matchers)
					}
					var scope string
					switch {
					case strings.HasPrefix(name, "container_"), name == "kube_pod_container_resource_limits":
						scope = `pod=~"` + w + `-[0-9]+", container="` + w + `"`
					case name == "kube_pod_container_status_restarts_total":
						scope = `pod=~"` + w + `-[0-9]+"`
					case strings.HasPrefix(name, "kube_statefulset_"):
						scope = `statefulset="` + w + `"`
					case name == "kube_pod_status_ready":
						scope = `pod=~"` + w + `-[0-9]+", condition="true"`
					case strings.HasPrefix(name, "kube_horizontalpodautoscaler_"):
						scope = `horizontalpodautoscaler="` + w + `-hpa"`
					case strings.HasPrefix(name, "kubelet_volume_stats_"):
						scope = `persistentvolumeclaim=~".*-` + w + `-[0-9]+"`
					}
					if !strings.Contains(matchers, scope) {
						t.Errorf("%s: %s is not scoped to the workload (%s): {%s}", r.Alert, name, scope, matchers)
					}
				}
				// What is left once strings, selectors' matchers, groupings
				// and ranges are gone must be known metrics and PromQL words.
				rest := stringLit.ReplaceAllString(r.Expr, `""`)
				rest = regexp.MustCompile(`\{[^}]*\}`).ReplaceAllString(rest, "")
				rest = grouping.ReplaceAllString(rest, "")
				rest = rangeSel.ReplaceAllString(rest, "")
				for _, id := range ident.FindAllString(rest, -1) {
					if !allowed[id] && !promqlWords[id] {
						t.Errorf("%s: unexpected identifier %q in %q", r.Alert, id, r.Expr)
					}
				}
			}
		}
	}
}

func TestErrors(t *testing.T) {
	s := loadSet(t)
	e, _ := s.Environment("production")
	p := s.Phases[0]
	bad := *e
	bad.Spec.Namespace = `app"} or vector(1) #`
	if _, err := PrometheusRule(&bad, p, seed(t, s)); err == nil || !strings.Contains(err.Error(), "DNS-1123") {
		t.Errorf("namespace with quotes: err = %v", err)
	}
	cm := seed(t, s)
	cm.SessionMetric = "sessions{x}"
	if _, err := RuleFile(e, p, cm); err == nil || !strings.Contains(err.Error(), "metric name") {
		t.Errorf("bad session metric: err = %v", err)
	}
	q := *p
	q.Spec.Alerts.For = "5 minutes"
	if _, err := UnitTest(e, &q, seed(t, s)); err == nil || !strings.Contains(err.Error(), "alerts.for") {
		t.Errorf("bad for: err = %v", err)
	}
	if _, err := PrometheusRule(nil, p, seed(t, s)); err == nil {
		t.Error("nil environment: no error")
	}
}

func TestDurations(t *testing.T) {
	for in, want := range map[string]string{"5m": "5m", "1h30m": "1h30m", "90s": "1m30s", "0s": "0s", "1d": "1d", "2w": "14d", "1500ms": "1s500ms"} {
		d, err := parseDuration(in)
		if err != nil {
			t.Errorf("parseDuration(%q): %v", in, err)
			continue
		}
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(parseDuration(%q)) = %q, want %q", in, got, want)
		}
	}
	for _, in := range []string{"", "5", "m", "5m1h", "5x", "-5m"} {
		if _, err := parseDuration(in); err == nil {
			t.Errorf("parseDuration(%q): no error", in)
		}
	}
	for _, k := range []string{"90s", "5m", "7s", "1h"} {
		d, _ := parseDuration(k)
		if step := evalStep(d); d%step != 0 || time.Minute%step != 0 {
			t.Errorf("evalStep(%s) = %s does not divide both %s and 1m", k, step, k)
		}
	}
}

// TestNames: Names lists exactly the alerts each phase's rules define, with
// and without autoscaling.
func TestNames(t *testing.T) {
	s := loadSet(t)
	e, _ := s.Environment("production")
	phases := append([]*config.Phase{fixedPhase(s.Phases[0])}, s.Phases...)
	for _, p := range phases {
		g, err := Groups(e, p, seed(t, s))
		if err != nil {
			t.Fatal(err)
		}
		got, want := strings.Join(Names(p, seed(t, s)), ","), strings.Join(alertNames(t, g), ",")
		if got != want {
			t.Errorf("%s: Names = %s, the rules define %s", p.Metadata.Name, got, want)
		}
	}
}
