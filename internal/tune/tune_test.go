package tune

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coditect/phasegen/internal/base"
	"github.com/coditect/phasegen/internal/capacity"
	"github.com/coditect/phasegen/internal/config"
	"github.com/coditect/phasegen/internal/observe"
	"github.com/coditect/phasegen/templates"
)

func setup(t *testing.T) (*config.Set, *capacity.Planner) {
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
	return cfg, pl
}

func week() *observe.Observation {
	return &observe.Observation{Window: 7 * 24 * time.Hour, At: time.Unix(0, 0), PodsMin: 10, PodsMax: 12, PodsAvg: 10.5,
		SessionsPeak: 12, SessionsP95: 10.2, CPUP95PerPod: 0.2501, CPUMaxPerPod: 0.9, MemoryMaxPerPod: 700 << 20,
		HPA: true, DataMinutes: 7 * 24 * 60, Samples: 100000}
}

func recommend(t *testing.T, phase string, change func(*observe.Observation, *config.Phase)) (*Result, error) {
	t.Helper()
	cfg, pl := setup(t)
	p, _ := cfg.Phase(phase)
	cp := *p
	if p.Spec.Autoscaling != nil {
		a := *p.Spec.Autoscaling
		cp.Spec.Autoscaling = &a
	}
	o := week()
	change(o, &cp)
	env, _ := cfg.Environment("production")
	return Recommend(env, &cp, pl.Workloads[0], o)
}

func TestRules(t *testing.T) {
	r, err := recommend(t, "pre-launch", func(*observe.Observation, *config.Phase) {})
	if err != nil {
		t.Fatal(err)
	}
	res := r.Recommended.Resources
	// 0.2501 cores → 251m; 700Mi × 1.15 = 805Mi; 70% of 500m = 350m a pod,
	// 350/251 = 139% → clamped to 90%; ceil(ceil(10.2)/1.5) = 8 pods;
	// memory: 75% of 512Mi = 384Mi a pod, 384/805 = 47.7% → clamped to 50%.
	if res.Requests.CPU != "251m" || res.Requests.Memory != "805Mi" || res.Limits.Memory != "805Mi" || res.Limits.CPU != "2" {
		t.Errorf("resources %+v", res)
	}
	a := r.Recommended.Autoscaling
	if a.MinReplicas != 8 || a.MaxReplicas != 30 || *a.TargetCPUUtilizationPercentage != 90 || *a.TargetMemoryUtilizationPercentage != 50 {
		t.Errorf("autoscaling %+v", a)
	}
	rules := strings.Join(r.Rules, "\n")
	if !strings.Contains(rules, "would take 139.4%, so it is clamped to 50-90% and the HPA now scales at 225.9m a pod") ||
		!strings.Contains(rules, "autoscaling.targetMemoryUtilizationPercentage 50 (was 75): keeping the scale point at 384Mi a pod would take 47.7%, so it is clamped to 50-90% and the HPA now scales at 402.5Mi a pod") {
		t.Errorf("the clamp is not said:\n%s", rules)
	}
	var paths []string
	for _, e := range r.Edits {
		paths = append(paths, e.Path)
	}
	if got := strings.Join(paths, " "); got != "spec.resources.requests.cpu spec.resources.requests.memory spec.resources.limits.memory spec.autoscaling.minReplicas spec.replicas spec.autoscaling.targetCPUUtilizationPercentage spec.autoscaling.targetMemoryUtilizationPercentage" {
		t.Errorf("edits %s", got)
	}
}

func TestRulesEdges(t *testing.T) {
	// Tiny usage: the floors of 10m and 100Mi, one pod.
	r, err := recommend(t, "pre-launch", func(o *observe.Observation, _ *config.Phase) {
		o.CPUP95PerPod, o.MemoryMaxPerPod, o.SessionsP95 = 0.0001, 10<<20, 0
	})
	if err != nil || r.Recommended.Resources.Requests.CPU != "10m" || r.Recommended.Resources.Requests.Memory != "100Mi" || r.Recommended.Autoscaling.MinReplicas != 1 {
		t.Errorf("%+v %v", r, err)
	}
	// A request above the CPU limit raises the limit; a floor above the
	// ceiling raises the ceiling.
	r, err = recommend(t, "pre-launch", func(o *observe.Observation, _ *config.Phase) { o.CPUP95PerPod, o.SessionsP95 = 2.5, 50 })
	if err != nil || r.Recommended.Resources.Limits.CPU != "2500m" || r.Recommended.Autoscaling.MinReplicas != 34 || r.Recommended.Autoscaling.MaxReplicas != 34 {
		t.Errorf("%+v %v", r.Recommended, err)
	}
	// A phase without an HPA gets replicas.
	r, err = recommend(t, "pre-launch", func(o *observe.Observation, p *config.Phase) { p.Spec.Autoscaling = nil; o.HPA = false })
	if err != nil || r.Recommended.Autoscaling != nil || r.Recommended.Replicas == nil || *r.Recommended.Replicas != 8 {
		t.Errorf("%+v %v", r.Recommended, err)
	}
}

func TestRefusals(t *testing.T) {
	for name, change := range map[string]func(*observe.Observation, *config.Phase){
		"23h of data": func(o *observe.Observation, _ *config.Phase) { o.DataMinutes = 23 * 60 },
		"99 samples":  func(o *observe.Observation, _ *config.Phase) { o.Samples = 99 },
	} {
		_, err := recommend(t, "pre-launch", change)
		var re *RefusedError
		if !errors.As(err, &re) || !strings.Contains(err.Error(), "needs at least 24h and 100 samples") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestWarnings: the memory rule leaves the largest working set at 1/1.15
// of the new limit (86.96%), over pre-launch's alerts.memoryPercent of 85;
// each way out the warning names is the least that silences it.
func TestWarnings(t *testing.T) {
	r, err := recommend(t, "pre-launch", func(*observe.Observation, *config.Phase) {})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"WorkloadMemoryHigh would fire at the peak these values are sized for: the largest working set, 700 MiB, is 86.96% of the new limits.memory 805Mi, " +
		"at or over alerts.memoryPercent (85%; the alert fires after 5m above it). Either raise spec.alerts.memoryPercent to at least 87, " +
		"or set limits.memory (and requests.memory with it) to at least 824Mi."}
	if !slices.Equal(r.Warnings, want) {
		t.Errorf("warnings %q, want %q", r.Warnings, want)
	}
	// 824Mi puts 700Mi at 84.95%, 823Mi at 85.05%.
	if fires(700<<20, 824<<20, 85) || !fires(700<<20, 823<<20, 85) {
		t.Error("824Mi is not the least limit under 85%")
	}
	for percent, warns := range map[int32]bool{86: true, 87: false, 90: false} {
		r, err := recommend(t, "pre-launch", func(_ *observe.Observation, p *config.Phase) { p.Spec.Alerts.MemoryPercent = percent })
		if err != nil {
			t.Fatal(err)
		}
		if got := len(r.Warnings) == 1 && strings.Contains(r.Warnings[0], "raise spec.alerts.memoryPercent to at least 87,"); got != warns || (!warns && len(r.Warnings) != 0) {
			t.Errorf("memoryPercent %d: warnings %q, want a warning naming 87: %v", percent, r.Warnings, warns)
		}
	}
	// full-mvp alerts at 90%: no warning; its JSON says so with [].
	r, err = recommend(t, "full-mvp", func(*observe.Observation, *config.Phase) {})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := WriteJSON(&b, r); err != nil || r.Warnings == nil || len(r.Warnings) != 0 || !strings.Contains(b.String(), `"warnings": []`) {
		t.Errorf("full-mvp: warnings %q, %v\n%s", r.Warnings, err, b.String())
	}
}

func TestWarningsCPU(t *testing.T) {
	// The busiest pod peaks at 1.7 cores, 85% of the kept 2-core limit, over
	// 80%. 1.7 cores are exactly 80% of 2125m, which still fires (at or
	// over): the least limit is 2126m.
	r, err := recommend(t, "pre-launch", func(o *observe.Observation, _ *config.Phase) { o.CPUMaxPerPod = 1.7 })
	if err != nil {
		t.Fatal(err)
	}
	want := "WorkloadCPUHigh would fire at the busiest pod's peak: its maximum CPU, 1.7 cores, is 85% of limits.cpu 2 (kept), " +
		"at or over alerts.cpuPercent (80%; the alert fires after 5m above it). Either raise spec.alerts.cpuPercent to at least 86, or set limits.cpu to at least 2126m."
	if len(r.Warnings) != 2 || !strings.HasPrefix(r.Warnings[0], "WorkloadMemoryHigh ") || r.Warnings[1] != want {
		t.Errorf("warnings %q, want the memory one and %q", r.Warnings, want)
	}
	if !fires(1.7, 2.125, 80) || fires(1.7, 2.126, 80) {
		t.Error("2126m is not the least limit under 80%")
	}
	// The p95 over the limit raises it to the new request, and the maximum
	// over that is over 100%: no threshold avoids the alert, only a limit.
	r, err = recommend(t, "pre-launch", func(o *observe.Observation, _ *config.Phase) { o.CPUP95PerPod, o.CPUMaxPerPod = 2.5, 2.6 })
	if err != nil {
		t.Fatal(err)
	}
	want = "WorkloadCPUHigh would fire at the busiest pod's peak: its maximum CPU, 2.6 cores, is 104% of limits.cpu 2500m (raised to the new request), " +
		"at or over alerts.cpuPercent (80%; the alert fires after 5m above it). No spec.alerts.cpuPercent up to 100 avoids it: set limits.cpu to at least 3251m."
	if len(r.Warnings) != 2 || r.Warnings[1] != want {
		t.Errorf("warnings %q, want %q second", r.Warnings, want)
	}
	// Under the threshold: nothing.
	r, err = recommend(t, "pre-launch", func(o *observe.Observation, p *config.Phase) { o.CPUMaxPerPod = 1.59; p.Spec.Alerts.MemoryPercent = 90 })
	if err != nil || len(r.Warnings) != 0 {
		t.Errorf("1.59 cores of 2 at 80%%, memory at 90%%: warnings %q, %v", r.Warnings, err)
	}
}

// TestWarningsEnvFollowsMemory: a phase that tells the JVM its heap and
// Node its old space warns when tune moves the memory limit; a variable
// that says nothing of memory does not.
func TestWarningsEnvFollowsMemory(t *testing.T) {
	r, err := recommend(t, "full-mvp", func(_ *observe.Observation, p *config.Phase) {
		p.Spec.Env = map[string]string{"MAX_HEAP_SIZE": "1536M", "NODE_OPTIONS": "--max-old-space-size=1536", "LOG_LEVEL": "info"}
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range r.Warnings {
		if strings.Contains(w, "set it to follow") {
			got = append(got, w)
		}
	}
	want := []string{
		"the memory limit goes from 2Gi to 805Mi, and the phase sets MAX_HEAP_SIZE=1536M on the container: set it to follow (tune --write changes resources, not environment variables)",
		"the memory limit goes from 2Gi to 805Mi, and the phase sets NODE_OPTIONS=--max-old-space-size=1536 on the container: set it to follow (tune --write changes resources, not environment variables)",
	}
	if !slices.Equal(got, want) {
		t.Errorf("warnings %q, want %q", got, want)
	}
}
