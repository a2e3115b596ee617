package observe

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/coditect/phasegen/internal/base"
	"github.com/coditect/phasegen/internal/capacity"
	"github.com/coditect/phasegen/internal/config"
	"github.com/coditect/phasegen/internal/promapi"
	"github.com/coditect/phasegen/templates"
)

func judge(t *testing.T, phase string) Judge {
	t.Helper()
	cfg, err := config.Load("../testdata/example/environments")
	if err != nil {
		t.Fatal(err)
	}
	b, err := base.Load(templates.FS())
	if err != nil {
		t.Fatal(err)
	}
	pl, err := capacity.NewPlanner(cfg, b)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := cfg.Phase(phase)
	env, _ := cfg.Environment("production")
	plan, err := pl.Workloads[0].PlanPhase(p)
	if err != nil {
		t.Fatal(err)
	}
	next, ok := cfg.Next(p)
	if !ok {
		next = nil
	}
	return Judge{Env: env, Phase: p, Next: next, Model: pl.Workloads[0].Model, Plan: plan}
}

// quiet is a pre-launch week under every threshold with 9 peak sessions.
func quiet() *Observation {
	return &Observation{Window: 7 * 24 * time.Hour, At: time.Unix(0, 0), PodsMin: 10, PodsMax: 10, PodsAvg: 10,
		SessionsPeak: 9, SessionsP95: 7, UsersPerPod: 0.9, CPUP95PerPod: 0.4, CPUMaxPerPod: 0.8,
		MemoryMaxPerPod: 1 << 30, MemoryP95PerPod: 0.8 * (1 << 30), HPA: true, Volumes: true}
}

func TestVerdicts(t *testing.T) {
	cases := []struct {
		name, phase string
		change      func(o *Observation)
		status      string
		reason      string
		command     string
	}{
		{"hold", "pre-launch", func(o *Observation) {}, VerdictHold, "under the phase's maximum of 10 users", ""},
		{"sessions", "pre-launch", func(o *Observation) { o.SessionsPeak = 10 }, VerdictPromote, "reached the phase's maximum of 10 users", "phasegen promote production --to beta"},
		{"HPA at max for 1h", "pre-launch", func(o *Observation) { o.HPAAtMaxMinutes, o.HPAAtMaxFraction = 60, 1.0/168 }, VerdictPromote, "ran at its maximum of 30 pods for 0.6% of the window (1h)", "phasegen promote production --to beta"},
		{"HPA at max for 1m is not sitting there", "pre-launch", func(o *Observation) { o.HPAAtMaxMinutes, o.HPAAtMaxFraction = 1, 1.0/10080 }, VerdictHold, "ran at its maximum for 0%", ""},
		{"CPU p95 over 80% of 2 cores", "pre-launch", func(o *Observation) { o.CPUP95PerPod = 1.7 }, VerdictPromote, "p95 CPU (1.7 cores) is 85% of its 2-core limit, over the 80% alert threshold", "phasegen promote production --to beta"},
		{"memory p95 over 85% of 2Gi", "pre-launch", func(o *Observation) { o.MemoryP95PerPod = 1.8 * (1 << 30) }, VerdictPromote, "p95 memory (1.8 GiB) is 90% of its 2 GiB limit", "phasegen promote production --to beta"},
		{"oversized", "pre-launch", func(o *Observation) { o.SessionsPeak = 7 }, VerdictOversized, "under half of the 15 users the floor of 10 pods serves", "phasegen tune production"},
		{"last phase", "scale-out", func(o *Observation) { o.SessionsPeak = 100 }, VerdictPromote, "scale-out is the last phase", "phasegen tune production"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := quiet()
			c.change(o)
			v := judge(t, c.phase).Status(o, "7d").Verdict
			if v.Status != c.status || v.Command != c.command || !strings.Contains(strings.Join(v.Reasons, " "), c.reason) {
				t.Errorf("verdict %+v, want %s %q with %q", v, c.status, c.command, c.reason)
			}
		})
	}
}

func TestFixedReplicasHaveNoHPAFigure(t *testing.T) {
	o := quiet()
	o.HPA = false
	s := judge(t, "pre-launch").Status(o, "7d")
	if s.HPA.AtMaxFraction != nil {
		t.Errorf("atMaxFraction %v without an HPA, want null", *s.HPA.AtMaxFraction)
	}
	if got := s.MonthlyCost.Observed; got != 501.4 {
		t.Errorf("observed cost of 10 pods %v, want plan's 501.40", got)
	}
}

func TestParseWindowAndTime(t *testing.T) {
	for in, want := range map[string]time.Duration{"7d": 7 * 24 * time.Hour, "36h": 36 * time.Hour, "1w2d": 9 * 24 * time.Hour, "90m": 90 * time.Minute, "90d": 90 * 24 * time.Hour} {
		if got, err := ParseWindow(in); err != nil || got != want {
			t.Errorf("ParseWindow(%q) = %v, %v", in, got, err)
		}
	}
	for bad, want := range map[string]string{"": "empty window", "7": "is not a duration such as 7d, 36h or 1w2d", "d": "is not a duration such as 7d, 36h or 1w2d", "5m": "must be between 1h and 90d", "91d": "must be between 1h and 90d",
		"1d1w": "is not a duration such as 7d, 36h or 1w2d", "7x": "is not a duration such as 7d, 36h or 1w2d", "-1d": "is not a duration such as 7d, 36h or 1w2d", "1.5d": "is not a duration such as 7d, 36h or 1w2d", "9999999d": "is not a duration such as 7d, 36h or 1w2d"} {
		if _, err := ParseWindow(bad); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseWindow(%q): %v, want %q", bad, err, want)
		}
	}
	if got, err := ParseTime("2026-11-30T01:00:00+01:00"); err != nil || !got.Equal(time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("RFC 3339: %v %v", got, err)
	}
	if got, err := ParseTime("1796000400.5"); err != nil || got.UnixMilli() != 1796000400500 || got.Location() != time.UTC {
		t.Errorf("unix: %v %v", got, err)
	}
	for _, bad := range []string{"yesterday", "-5", "2026-11-30"} {
		if _, err := ParseTime(bad); err == nil || err.Error() != fmt.Sprintf("%q is neither RFC 3339 (2026-01-31T12:00:00Z) nor unix seconds", bad) {
			t.Errorf("ParseTime(%q): %v", bad, err)
		}
	}
	if FormatWindow(36*time.Hour+5*time.Minute) != "1d12h5m" {
		t.Errorf("FormatWindow: %s", FormatWindow(36*time.Hour+5*time.Minute))
	}
}

// TestQueriesSelectTheContainer: every cAdvisor query selects the
// workload's container by name, so the pod-level container="" and the
// pause container="POD" series never count.
func TestQueriesSelectTheContainer(t *testing.T) {
	s := Scope{Namespace: "ns", Workload: "w", Container: "w", SessionMetric: "m", HPA: true}
	fs := append(s.figures(7*24*time.Hour, time.Unix(0, 0)), s.podFigures(7*24*time.Hour)...)
	if len(fs) != QueryCount([]Scope{s}) || len(fs) != 16 {
		t.Fatalf("%d figures", len(fs))
	}
	for _, f := range fs {
		if strings.Contains(f.query, "container_") && !strings.Contains(f.query, `container="w"`) {
			t.Errorf("%s: %s", f.name, f.query)
		}
		if !strings.Contains(f.query, `namespace="ns"`) {
			t.Errorf("%s is not scoped to the namespace: %s", f.name, f.query)
		}
	}
}

// countingQuerier answers every query with one series per workload the
// query names (label_replace(…, "workload", "NAME", …)), or one unlabelled
// series for one workload, and counts the queries.
type countingQuerier struct{ n int }

func (c *countingQuerier) URL() string { return "http://prometheus.test" }

func (c *countingQuerier) Query(_ context.Context, expr string, _ time.Time) (promapi.Result, error) {
	c.n++
	r := promapi.Result{Type: "vector"}
	names := regexp.MustCompile(`"workload", "([^"]+)"`).FindAllStringSubmatch(expr, -1)
	if len(names) == 0 {
		names = [][]string{{"", ""}}
	}
	for _, m := range names {
		r.Vector = append(r.Vector, promapi.Sample{Metric: map[string]string{"workload": m[1], "pod": "p-0"}, Value: 1})
	}
	return r, nil
}

// TestQueryCountIsConstant: one query per figure, whatever the number of
// workloads (1 or 3, of both kinds, with the same figures between them)
// and the window (1 or 30 days); every workload gets every figure.
func TestQueryCountIsConstant(t *testing.T) {
	one := []Scope{{Namespace: "ns", Workload: "db", Container: "mysql", SessionMetric: "m", HPA: true}}
	three := append(append([]Scope(nil), one...),
		Scope{Namespace: "ns", Workload: "api", Container: "server", Deployment: true, NoVolumes: true, HPA: true},
		Scope{Namespace: "ns", Workload: "cache", Container: "redis", NoVolumes: true})
	counts := map[string]int{}
	for _, c := range []struct {
		name   string
		scopes []Scope
		window time.Duration
	}{{"1 workload, 1 day", one, 24 * time.Hour}, {"1 workload, 30 days", one, 30 * 24 * time.Hour},
		{"3 workloads, 1 day", three, 24 * time.Hour}, {"3 workloads, 30 days", three, 30 * 24 * time.Hour}} {
		q := &countingQuerier{}
		obs, missing, err := ObserveAll(context.Background(), q, c.scopes, c.window, time.Unix(1e9, 0))
		if err != nil || len(missing) != 0 {
			t.Fatalf("%s: %v %v", c.name, err, missing)
		}
		if len(obs) != len(c.scopes) || obs[c.scopes[0].Workload].CPUP95PerPod != 1 {
			t.Fatalf("%s: observations %v", c.name, obs)
		}
		counts[c.name] = q.n
	}
	want := QueryCount(one)
	for name, n := range counts {
		if n != want {
			t.Errorf("%s: %d queries, want %d (%v)", name, n, want, counts)
		}
	}
	if want != 16 {
		t.Errorf("%d queries, pinned at 16", want)
	}
}

// TestVerdictHeldBySoak: a promote verdict whose soak has not passed says
// when promote will let it through; a passed soak, a hold verdict and a
// tune command are left as they are.
func TestVerdictHeldBySoak(t *testing.T) {
	since := time.Date(2026, 11, 29, 23, 0, 0, 0, time.UTC)
	pending := NewSoak("pre-launch", "24h", 24*time.Hour, "main", "abc", since, false, since.Add(time.Hour))
	passed := NewSoak("pre-launch", "24h", 24*time.Hour, "main", "abc", since, false, since.Add(30*time.Hour))
	const held = "The 24h soak of pre-launch ends at 2026-11-30 23:00 UTC: promote holds the promotion until then (--allow-early overrides)."
	for _, c := range []struct {
		name     string
		sessions float64
		soak     *Soak
		want     bool
	}{
		{"promote, soak pending", 10, pending, true},
		{"promote, soak passed", 10, passed, false},
		{"promote, soak not read", 10, nil, false},
		{"hold, soak pending", 9, pending, false},
	} {
		o := quiet()
		o.SessionsPeak = c.sessions
		s := judge(t, "pre-launch").Status(o, "7d")
		n := len(s.Verdict.Reasons)
		s.WithSoak(c.soak, "--allow-early")
		got := len(s.Verdict.Reasons) == n+1 && s.Verdict.Reasons[n] == held
		if got != c.want || (!c.want && len(s.Verdict.Reasons) != n) || s.Soak != c.soak {
			t.Errorf("%s: reasons %q", c.name, s.Verdict.Reasons)
		}
	}
}

// TestSidecarNotInTheLimit: the busiest pod's CPU (the sized container's)
// is judged against that container's limit, not the pod's with a sidecar's
// beside it, which would hide a container at its limit.
func TestSidecarNotInTheLimit(t *testing.T) {
	j := judge(t, "pre-launch")
	sidecar, err := capacity.PodOf("exporter", corev1.ResourceRequirements{Limits: corev1.ResourceList{
		corev1.ResourceCPU: resource.MustParse("2"), corev1.ResourceMemory: resource.MustParse("2Gi")}})
	if err != nil {
		t.Fatal(err)
	}
	j.Model.Sidecars = sidecar
	if j.Plan, err = j.Model.PlanPhase(j.Phase, "coditect-combined", corev1.ResourceRequirements{Limits: corev1.ResourceList{
		corev1.ResourceCPU: resource.MustParse("2"), corev1.ResourceMemory: resource.MustParse("2Gi")}}); err != nil {
		t.Fatal(err)
	}
	o := quiet()
	o.CPUP95PerPod = 1.7
	v := j.Status(o, "7d").Verdict
	if v.Status != VerdictPromote || !strings.Contains(strings.Join(v.Reasons, " "), "is 85% of its 2-core limit") {
		t.Errorf("verdict %+v: want the container's 85%% of its own 2 cores, not 42.5%% of the pod's 4", v)
	}
}
