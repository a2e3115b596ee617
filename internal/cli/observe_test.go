package cli_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coditect/phasegen/internal/cli"
	"github.com/coditect/phasegen/internal/history"
)

// promRepo copies the repository's configs, templates and overlays to a
// temporary directory and returns it; extra files are added under it.
func promRepo(t *testing.T, extra map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{"environments", "templates/base", "overlays"} {
		if err := copyTree(filepath.Join("..", "testdata", "example", d), filepath.Join(dir, d)); err != nil {
			t.Fatal(err)
		}
	}
	for p, data := range extra {
		if err := os.WriteFile(filepath.Join(dir, p), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func envFile(name, ns, phase string) string {
	return fmt.Sprintf(`apiVersion: phasegen.dev/v1alpha1
kind: Environment
metadata:
  name: %s
spec:
  phase: %s
  namespace: %s
  workload: coditect-combined
  gitops: {repo: coditect/argocd-apps, branch: main, path: apps/coditect}
  argocd: {project: default, server: https://kubernetes.default.svc}
`, name, phase, ns)
}

// runIn runs phasegen against the configs under dir with env as the
// environment variables; waits return at once.
func runIn(t *testing.T, dir string, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return runAt(t, historyEnd, dir, env, args...)
}

// runAt is runIn with the clock at now.
func runAt(t *testing.T, now time.Time, dir string, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	a := cli.NewTestApp(t, env)
	a.HTTPClient, a.Now = &http.Client{Timeout: 30 * time.Second}, func() time.Time { return now }
	full := append(append([]string{}, args...), "--config", filepath.Join(dir, "environments"),
		"--templates", filepath.Join(dir, "templates"), "--overlays", filepath.Join(dir, "overlays"))
	code = a.Run(full...)
	return code, a.Out.String(), a.Err.String()
}

func at() string { return fmt.Sprint(historyEnd.Unix()) }

func near(t *testing.T, what string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > 0.01*math.Abs(want)+1e-4 {
		t.Errorf("%s = %v, want %v (within 1%%)", what, got, want)
	} else {
		t.Logf("%s = %v (from the samples: %v)", what, got, want)
	}
}

type statusJSON struct {
	Environment, Phase, Window, At string
	Pods                           struct{ Min, Max float64 }
	Sessions                       struct{ Peak, P95 float64 }
	CPUCores                       struct{ P95PerPod, MaxPerPod float64 }
	MemoryGiB                      struct{ MaxPerPod float64 }
	PVCUsedPercent                 struct{ Max *float64 }
	Imbalance                      *struct {
		CPUP95Ratio, SessionsPeakRatio float64
		Pod                            string
	}
	HPA         struct{ AtMaxFraction *float64 }
	UsersPerPod struct{ Observed, Assumed float64 }
	MonthlyCost struct {
		Observed float64
		Planned  struct{ Min, Max float64 }
	}
	Verdict struct {
		Status  string
		Reasons []string
		Command string
	}
	Soak *soakJSON
}

type soakJSON struct {
	Since          time.Time
	EndsAt         *time.Time
	Duration       *string
	Passed         bool
	Branch, Commit string
	Partial        bool
}

func decodeStrict(t *testing.T, data string, v any) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("decoding %s: %v", data, err)
	}
}

// TestStatusAgainstPrometheus is acceptance 1 for status: every figure of
// `status production -o json` against the real Prometheus is within 1% of
// the value computed from the generated samples, and the verdict is the
// one the history implies (peak sessions 13 over pre-launch's 10 users).
func TestStatusAgainstPrometheus(t *testing.T) {
	srv, h := promServer.Get(t)
	dir := promRepo(t, nil)
	env := map[string]string{"PROMETHEUS_URL": srv.URL}
	code, out, errs := runIn(t, dir, env, "status", "production", "--at", at(), "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	var s statusJSON
	decodeStrict(t, out, &s)
	e := expect(h, "coditect-app", "coditect-combined", "coditect_active_sessions", 7*24*time.Hour, historyEnd)
	near(t, "pods.min", s.Pods.Min, e.podsMin)
	near(t, "pods.max", s.Pods.Max, e.podsMax)
	near(t, "sessions.peak", s.Sessions.Peak, e.sessionsPeak)
	near(t, "sessions.p95", s.Sessions.P95, e.sessionsP95)
	near(t, "cpuCores.p95PerPod", s.CPUCores.P95PerPod, e.cpuP95)
	near(t, "cpuCores.maxPerPod", s.CPUCores.MaxPerPod, e.cpuMax)
	near(t, "memoryGiB.maxPerPod", s.MemoryGiB.MaxPerPod, e.memMax/(1<<30))
	if s.PVCUsedPercent.Max == nil {
		t.Fatal("pvcUsedPercent.max is null for a StatefulSet with claims")
	}
	near(t, "pvcUsedPercent.max", *s.PVCUsedPercent.Max, e.pvcMax)
	if s.Imbalance == nil || s.Imbalance.Pod != e.busiest {
		t.Fatalf("imbalance %+v, want the busiest pod %s", s.Imbalance, e.busiest)
	}
	near(t, "imbalance.cpuP95Ratio", s.Imbalance.CPUP95Ratio, e.cpuRatio)
	if s.HPA.AtMaxFraction == nil {
		t.Fatal("hpa.atMaxFraction is null for an autoscaling phase")
	}
	near(t, "hpa.atMaxFraction", *s.HPA.AtMaxFraction, e.hpaAtMax)
	near(t, "usersPerPod.observed", s.UsersPerPod.Observed, e.usersPerPod)
	near(t, "usersPerPod.assumed", s.UsersPerPod.Assumed, 1.5)
	// Priced as plan prices: compute on the 2-core limit for the average
	// ready pods, 55 GiB of volumes for the most pods seen (the StatefulSet
	// keeps a removed pod's volumes).
	podMonth := 2*0.031*720 + 55*0.10
	near(t, "monthlyCost.observed", s.MonthlyCost.Observed, e.podsAvg*2*0.031*720+e.podsMax*55*0.10)
	near(t, "monthlyCost.planned.min", s.MonthlyCost.Planned.Min, 10*podMonth)
	near(t, "monthlyCost.planned.max", s.MonthlyCost.Planned.Max, 30*podMonth)

	// The history's hot pod and HPA are what the figures must show: the
	// busiest pod, not the average; pods the HPA added beyond the floor.
	if e.podsMin != 10 || e.podsMax <= 10 || e.cpuMax <= e.cpuP95 || e.sessionsPeak < 10 {
		t.Fatalf("the generated history lost its shape: %+v", e)
	}
	if s.Environment != "production" || s.Phase != "pre-launch" || s.Window != "7d" || s.At != "2026-11-30T00:00:00Z" {
		t.Errorf("header: %+v", s)
	}
	if s.Verdict.Status != "promote" || s.Verdict.Command != "phasegen promote production --to beta" ||
		len(s.Verdict.Reasons) != 2 || !strings.Contains(s.Verdict.Reasons[0], "reached the phase's maximum of 10 users") {
		t.Errorf("verdict %+v, want promote to beta because sessions reached 10", s.Verdict)
	}
	// The hot pod is an imbalance, and the Service's ClientIP affinity its
	// likely cause (the base's coditect-combined Service, 3 hours).
	if len(s.Verdict.Reasons) == 2 && (!strings.Contains(s.Verdict.Reasons[1], "pod "+e.busiest+"'s p95 CPU is") ||
		!strings.Contains(s.Verdict.Reasons[1], "Likely cause: Service coditect-combined pins each client to one pod for 3h (sessionAffinity: ClientIP, timeoutSeconds 10800)")) {
		t.Errorf("imbalance reason: %q", s.Verdict.Reasons[1])
	}

	// The table and markdown say the same.
	for _, o := range []string{"table", "markdown"} {
		code, out, errs := runIn(t, dir, env, "status", "production", "--at", at(), "-o", o)
		if code != 0 || !strings.Contains(out, "phasegen promote production --to beta") {
			t.Errorf("-o %s: exit %d\n%s\n%s", o, code, out, errs)
		}
	}
}

// TestStatusHPAAtMax: the fleet history's HPA reaches its maximum of 30
// pods at the afternoon peak; the share of the window matches the samples
// and the verdict gives it as a reason.
func TestStatusHPAAtMax(t *testing.T) {
	srv, h := promServer.Get(t)
	dir := promRepo(t, map[string]string{"environments/fleet.yaml": envFile("fleet", fleetNS, "beta")})
	code, out, errs := runIn(t, dir, map[string]string{"PROMETHEUS_URL": srv.URL}, "status", "fleet", "--at", at(), "--window", "1d", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	var s statusJSON
	decodeStrict(t, out, &s)
	e := expect(h, fleetNS, "coditect-combined", "coditect_active_sessions", 24*time.Hour, historyEnd)
	if e.hpaAtMax <= 0 || e.podsMax != 30 {
		t.Fatalf("the fleet history never reaches the HPA maximum: %+v", e)
	}
	near(t, "hpa.atMaxFraction", *s.HPA.AtMaxFraction, e.hpaAtMax)
	near(t, "pods.max", s.Pods.Max, e.podsMax)
	near(t, "usersPerPod.observed", s.UsersPerPod.Observed, e.usersPerPod)
	found := false
	for _, r := range s.Verdict.Reasons {
		found = found || strings.Contains(r, "HPA ran at its maximum of 30 pods")
	}
	if s.Verdict.Status != "promote" || !found || s.Verdict.Command != "phasegen promote fleet --to full-mvp" {
		t.Errorf("verdict %+v, want promote with the HPA at its maximum among the reasons", s.Verdict)
	}
}

type tuneJSON struct {
	Environment, Phase string
	Recommended        struct {
		Resources struct {
			Requests, Limits struct{ CPU, Memory string }
		}
		Autoscaling *struct {
			MinReplicas, MaxReplicas                                          int
			TargetCPUUtilizationPercentage, TargetMemoryUtilizationPercentage *int
		}
		Replicas *int
	}
	MonthlyCost struct {
		Current, Recommended struct{ Min, Max float64 }
	}
	Rules    []string
	Warnings []string
}

// TestTuneAgainstPrometheus is acceptance 1 for tune: the recommended
// values are the rules applied to the figures computed from the
// samples; --write changes exactly those values in the phase file (comments
// intact), after which check exits 3 and render makes it 0.
func TestTuneAgainstPrometheus(t *testing.T) {
	srv, h := promServer.Get(t)
	dir := promRepo(t, nil)
	env := map[string]string{"PROMETHEUS_URL": srv.URL}
	e := expect(h, "coditect-app", "coditect-combined", "coditect_active_sessions", 7*24*time.Hour, historyEnd)
	cpuMilli := int(math.Ceil(e.cpuP95 * 1000))
	memMi := int(math.Ceil(e.memMax * 1.15 / (1 << 20)))
	// The HPA's CPU target keeps its scale point (70% of 500m) unless that
	// leaves 50-90%.
	target := min(max(int(math.Round(70*500/float64(cpuMilli))), 50), 90)
	// Its memory target likewise (75% of 512Mi).
	memTarget := min(max(int(math.Round(75*512/float64(memMi))), 50), 90)
	floor := int(math.Ceil(math.Ceil(e.sessionsP95) / 1.5))
	wantCPU, wantMem := fmt.Sprintf("%dm", cpuMilli), fmt.Sprintf("%dMi", memMi)
	t.Logf("from the samples: cpu %s, memory %s, target %d%%, floor %d", wantCPU, wantMem, target, floor)

	code, out, errs := runIn(t, dir, env, "tune", "production", "--at", at(), "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	var r tuneJSON
	decodeStrict(t, out, &r)
	// The hot pod's imbalance is what sizes the CPU request: tune says so.
	if !strings.Contains(strings.Join(r.Rules, "\n"), "the imbalance drives the CPU request: it is sized for the busiest pod, "+e.busiest) {
		t.Errorf("tune does not say the imbalance drives the request: %q", r.Rules)
	}
	res := r.Recommended.Resources
	if res.Requests.CPU != wantCPU || res.Requests.Memory != wantMem || res.Limits.Memory != wantMem || res.Limits.CPU != "2" {
		t.Errorf("resources %+v, want requests cpu %s, memory %s = limits.memory, limits.cpu 2 kept", res, wantCPU, wantMem)
	}
	a := r.Recommended.Autoscaling
	if a == nil || a.MinReplicas != floor || a.MaxReplicas != 30 || a.TargetCPUUtilizationPercentage == nil ||
		*a.TargetCPUUtilizationPercentage != target || a.TargetMemoryUtilizationPercentage == nil || *a.TargetMemoryUtilizationPercentage != memTarget {
		t.Errorf("autoscaling %+v, want %d-30, CPU target %d, memory target %d", a, floor, target, memTarget)
	}
	podMonth := func(cores float64) float64 { return cores*0.031*720 + 55*0.10 }
	near(t, "monthlyCost.current.min", r.MonthlyCost.Current.Min, 10*podMonth(2))
	near(t, "monthlyCost.recommended.min", r.MonthlyCost.Recommended.Min, float64(floor)*podMonth(2))
	if len(r.Rules) < 6 {
		t.Errorf("rules: %q", r.Rules)
	}
	// pre-launch alerts at 85% memory and 80% CPU of the limits: the
	// warnings are the peaks at or over those of the new limits (memory) and
	// the kept 2-core one (CPU), with the least threshold and limit that
	// silence each.
	var wantWarnings []string
	if memPct := e.memMax / float64(memMi<<20) * 100; memPct >= 85 {
		wantWarnings = append(wantWarnings, fmt.Sprintf("WorkloadMemoryHigh|%s%% of the new limits.memory %s|at least %d,|at least %dMi.",
			strconv.FormatFloat(math.Round(memPct*100)/100, 'f', -1, 64), wantMem, int(math.Floor(memPct))+1, int(math.Floor(e.memMax*100/85/(1<<20)))+1))
	}
	if cpuPct := e.cpuMax / 2 * 100; cpuPct >= 80 {
		wantWarnings = append(wantWarnings, fmt.Sprintf("WorkloadCPUHigh|%s%% of limits.cpu 2 (kept)|", strconv.FormatFloat(math.Round(cpuPct*100)/100, 'f', -1, 64)))
	}
	t.Logf("from the samples: largest working set %.1f MiB, busiest pod's max CPU %.4f cores: warnings %q", e.memMax/(1<<20), e.cpuMax, wantWarnings)
	if len(r.Warnings) != len(wantWarnings) {
		t.Errorf("warnings %q, want %d: %q", r.Warnings, len(wantWarnings), wantWarnings)
	}
	for i := range min(len(r.Warnings), len(wantWarnings)) {
		for _, part := range strings.Split(wantWarnings[i], "|") {
			if !strings.Contains(r.Warnings[i], part) {
				t.Errorf("warning %q has no %q", r.Warnings[i], part)
			}
		}
	}

	// --write: the phase file's only change is those values.
	file := filepath.Join(dir, "environments", "phases", "pre-launch.yaml")
	orig, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	want := string(orig)
	for _, rep := range [][2]string{
		{"  replicas: 10\n", fmt.Sprintf("  replicas: %d\n", floor)},
		{"minReplicas: 10     # minimum for 20 users", fmt.Sprintf("minReplicas: %d     # minimum for 20 users", floor)},
		{"targetCPUUtilizationPercentage: 70", fmt.Sprintf("targetCPUUtilizationPercentage: %d", target)},
		{"targetMemoryUtilizationPercentage: 75", fmt.Sprintf("targetMemoryUtilizationPercentage: %d", memTarget)},
		{"requests: {cpu: 500m, memory: 512Mi}", fmt.Sprintf("requests: {cpu: %s, memory: %s}", wantCPU, wantMem)},
		{`limits: {cpu: "2", memory: 2Gi}`, fmt.Sprintf(`limits: {cpu: "2", memory: %s}`, wantMem)},
	} {
		if strings.Count(want, rep[0]) != 1 {
			t.Fatalf("pre-launch.yaml has changed shape: %q", rep[0])
		}
		want = strings.Replace(want, rep[0], rep[1], 1)
	}
	if code, out, errs := runIn(t, dir, env, "check"); code != 0 {
		t.Fatalf("check before --write: exit %d\n%s\n%s", code, out, errs)
	}
	code, out2, errs := runIn(t, dir, env, "tune", "production", "--at", at(), "--write", "-o", "json")
	if code != 0 || out2 != out {
		t.Fatalf("tune --write: exit %d (stdout differs from tune's: %v)\n%s", code, out2 != out, errs)
	}
	got, _ := os.ReadFile(file)
	if string(got) != want {
		t.Errorf("pre-launch.yaml after --write:\n%s\nwant:\n%s", got, want)
	}
	if code, _, _ := runIn(t, dir, env, "check"); code != cli.ExitStale {
		t.Errorf("check after --write: exit %d, want 3", code)
	}
	if code, _, errs := runIn(t, dir, env, "render"); code != 0 {
		t.Fatalf("render: exit %d\n%s", code, errs)
	}
	if code, out, errs := runIn(t, dir, env, "check"); code != 0 {
		t.Errorf("check after render: exit %d\n%s\n%s", code, out, errs)
	}
	// A second --write finds nothing to change.
	code, _, errs = runIn(t, dir, env, "tune", "production", "--at", at(), "--write")
	if again, _ := os.ReadFile(file); code != 0 || string(again) != want || !strings.Contains(errs, "already holds") {
		t.Errorf("second --write: exit %d, file changed %v\n%s", code, string(again) != want, errs)
	}
}

// TestTuneRefusesShortHistory: 20 hours into the history there is less
// than a day of data, so tune refuses and writes nothing. At the end, the
// pods the HPA added and removed again have only hours of data each, and
// tune does not refuse (TestTuneAgainstPrometheus).
func TestTuneRefusesShortHistory(t *testing.T) {
	srv, h := promServer.Get(t)
	dir := promRepo(t, nil)
	before := snapshot(t, dir)
	early := h.End.Add(-72*time.Hour + 20*time.Hour)
	code, out, errs := runIn(t, dir, map[string]string{"PROMETHEUS_URL": srv.URL}, "tune", "production", "--at", fmt.Sprint(early.Unix()), "--write")
	if code != 1 || !strings.Contains(errs, "refusing to recommend") || !strings.Contains(errs, "at least 24h") || out != "" {
		t.Errorf("exit %d, want 1 with a refusal\nstdout: %s\nstderr: %s", code, out, errs)
	}
	sameFiles(t, before, snapshot(t, dir))
	// status still reports what there is.
	if code, _, errs := runIn(t, dir, map[string]string{"PROMETHEUS_URL": srv.URL}, "status", "production", "--at", fmt.Sprint(early.Unix())); code != 0 {
		t.Errorf("status on 20h of data: exit %d\n%s", code, errs)
	}
	// Every pod the HPA added and removed again has less than a day.
	short := 0
	for _, s := range h.Select("container_memory_working_set_bytes", history.Label{Name: "namespace", Value: "coditect-app"}, history.Label{Name: "container", Value: "coditect-combined"}) {
		if len(s.Samples) < 24*60 {
			short++
		}
	}
	if short == 0 {
		t.Fatal("no pod with less than a day of data: the history does not test that they never make tune refuse")
	}
}

func sameFiles(t *testing.T, before, after map[string][]byte) {
	t.Helper()
	for p, b := range after {
		if !bytes.Equal(before[p], b) {
			t.Errorf("%s was written", p)
		}
	}
	for p := range before {
		if _, ok := after[p]; !ok {
			t.Errorf("%s was removed", p)
		}
	}
}

// TestObserveMissingData: staging's namespace has no series; the error
// names the metric, its selector and the exporter.
func TestObserveMissingData(t *testing.T) {
	srv, _ := promServer.Get(t)
	dir := promRepo(t, nil)
	for _, cmd := range []string{"status", "tune"} {
		code, out, errs := runIn(t, dir, map[string]string{"PROMETHEUS_URL": srv.URL}, cmd, "staging", "--at", at())
		want := `no data for kube_pod_status_ready{namespace="coditect-staging", pod=~"coditect-combined-[0-9]+", condition="true"}`
		if code != 1 || out != "" || !strings.Contains(errs, want) || !strings.Contains(errs, "kube-state-metrics") {
			t.Errorf("%s staging: exit %d\nstdout: %s\nstderr: %s", cmd, code, out, errs)
		}
	}
}

// countingProxy forwards to target and counts the queries.
func countingProxy(t *testing.T, target string) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int64
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/v1/") {
			n.Add(1)
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// TestQueryCountConstant is acceptance 2: status and tune make the same
// number of queries for one pod (solo), for 30 (fleet) and for production
// (10-15), over a 1-day and a 30-day window. tune refuses solo and fleet
// (less than a day of data) after the same queries.
func TestQueryCountConstant(t *testing.T) {
	srv, _ := promServer.Get(t)
	proxy, n := countingProxy(t, srv.URL)
	dir := promRepo(t, map[string]string{
		"environments/fleet.yaml": envFile("fleet", fleetNS, "beta"),
		"environments/solo.yaml":  envFile("solo", soloNS, "pre-launch"),
	})
	const want = 16 // the figures of an autoscaling phase and the two by pod (imbalance), one query each
	for _, cmd := range []string{"status", "tune"} {
		for _, env := range []string{"solo", "fleet", "production"} {
			for _, window := range []string{"1d", "30d"} {
				n.Store(0)
				code, _, errs := runIn(t, dir, map[string]string{"PROMETHEUS_URL": proxy.URL}, cmd, env, "--at", at(), "--window", window)
				if (cmd == "status" || env == "production") && code != 0 {
					t.Fatalf("%s %s --window %s: exit %d\n%s", cmd, env, window, code, errs)
				}
				if got := n.Load(); got != want {
					t.Errorf("%s %s --window %s: %d queries, want %d", cmd, env, window, got, want)
				} else {
					t.Logf("%s %s --window %s: %d queries (exit %d)", cmd, env, window, got, code)
				}
			}
		}
	}
}
