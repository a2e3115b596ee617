package alerts

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coditect/phasegen/internal/config"
)

// promtool finds promtool, skipping the test where it is absent unless CI
// is "true".
func promtool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("promtool is required when CI=true: %v", err)
		}
		t.Skipf("promtool not found (install Debian's prometheus package); skipping: %v", err)
	}
	return p
}

type ruleCase struct {
	name  string
	env   *config.Environment
	phase *config.Phase
}

// writeCase writes name/rules.yaml built from rulesPhase and name/rules_test.yaml
// built from testPhase under dir.
func writeCase(t *testing.T, dir string, c ruleCase, capacity Workload, rulesPhase *config.Phase) string {
	t.Helper()
	d := filepath.Join(dir, c.name)
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	rules, err := RuleFile(c.env, rulesPhase, capacity)
	if err != nil {
		t.Fatal(err)
	}
	test, err := UnitTest(c.env, c.phase, capacity)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(d, RulesFileName), rules, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(d, "rules_test.yaml"), test, 0o644); err != nil {
		t.Fatal(err)
	}
	return d
}

func runPromtool(bin, dir string, args ...string) (string, error) {
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestPromtool checks and unit-tests, with two promtool runs, the rules of
// every shipped environment at every shipped phase, plus variants the
// shipped configs do not cover: a phase without autoscaling, other `for`
// durations and extreme thresholds.
func TestPromtool(t *testing.T) {
	bin := promtool(t)
	s := loadSet(t)
	var cases []ruleCase
	for _, e := range s.Environments {
		for _, p := range s.Phases {
			cases = append(cases, ruleCase{e.Metadata.Name + "-" + p.Metadata.Name, e, p})
		}
	}
	e, _ := s.Environment("production")
	first := s.Phases[0]
	cases = append(cases, ruleCase{"production-fixed", e, fixedPhase(first)})
	for name, tweak := range map[string]func(*config.Alerts){
		"for-90s": func(a *config.Alerts) { a.For = "90s" },
		"for-0s":  func(a *config.Alerts) { a.For = "0s" },
		"for-1h":  func(a *config.Alerts) { a.For = "1h" },
		"extremes": func(a *config.Alerts) {
			a.CPUPercent, a.MemoryPercent, a.PVCUsagePercent, a.SessionsPerPod = 1, 100, 3, 7
		},
	} {
		p := *first
		tweak(&p.Spec.Alerts)
		cases = append(cases, ruleCase{"production-" + name, e, &p})
	}
	dir := t.TempDir()
	var rules, tests []string
	for _, c := range cases {
		writeCase(t, dir, c, seed(t, s), c.phase)
		rules = append(rules, filepath.Join(c.name, RulesFileName))
		tests = append(tests, filepath.Join(c.name, "rules_test.yaml"))
	}
	if out, err := runPromtool(bin, dir, append([]string{"check", "rules"}, rules...)...); err != nil {
		t.Fatalf("promtool check rules: %v\n%s", err, out)
	}
	out, err := runPromtool(bin, dir, append([]string{"test", "rules"}, tests...)...)
	if err != nil {
		t.Fatalf("promtool test rules: %v\n%s", err, out)
	}
	if n := strings.Count(out, "SUCCESS"); n != len(cases) {
		t.Errorf("promtool reported %d successes for %d test files:\n%s", n, len(cases), out)
	}
}

// TestPromtoolCatchesMutations proves the generated tests are real: rules
// built with a threshold moved make the test generated from the original
// values fail, naming the alert whose threshold moved.
func TestPromtoolCatchesMutations(t *testing.T) {
	bin := promtool(t)
	s := loadSet(t)
	e, _ := s.Environment("production")
	p, _ := s.Phase(e.Spec.Phase)
	mutations := map[string]struct {
		alert  string
		mutate func(*config.Alerts)
	}{
		"cpu-up-10":      {AlertCPUHigh, func(a *config.Alerts) { a.CPUPercent += 10 }},
		"cpu-down-10":    {AlertCPUHigh, func(a *config.Alerts) { a.CPUPercent -= 10 }},
		"memory-up-10":   {AlertMemoryHigh, func(a *config.Alerts) { a.MemoryPercent += 10 }},
		"memory-down-10": {AlertMemoryHigh, func(a *config.Alerts) { a.MemoryPercent -= 10 }},
		"pvc-up-10":      {AlertPVCAlmostFull, func(a *config.Alerts) { a.PVCUsagePercent = min(a.PVCUsagePercent+10, 100) }},
		"pvc-down-10":    {AlertPVCAlmostFull, func(a *config.Alerts) { a.PVCUsagePercent -= 10 }},
		"sessions-up-1":  {AlertSessionsOverCapacity, func(a *config.Alerts) { a.SessionsPerPod++ }},
		"restarts-up-2":  {AlertPodRestarting, func(a *config.Alerts) { a.Restarts += 2 }},
		"restarts-to-1":  {AlertPodRestarting, func(a *config.Alerts) { a.Restarts = 1 }},
		"for-longer":     {"", func(a *config.Alerts) { a.For = "10m" }},
		"for-shorter":    {"", func(a *config.Alerts) { a.For = "1m" }},
	}
	dir := t.TempDir()
	for name, m := range mutations {
		mutated := *p
		m.mutate(&mutated.Spec.Alerts)
		d := writeCase(t, dir, ruleCase{name, e, p}, seed(t, s), &mutated)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			out, err := runPromtool(bin, d, "test", "rules", "rules_test.yaml")
			if err == nil {
				t.Fatalf("the generated test passed against rules with %s:\n%s", name, out)
			}
			if !strings.Contains(out, "FAILED") || (m.alert != "" && !strings.Contains(out, "alertname: "+m.alert)) {
				t.Errorf("promtool failed, but not on %s:\n%s", m.alert, out)
			}
		})
	}
}
