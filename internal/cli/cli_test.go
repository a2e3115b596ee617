package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// run runs phasegen in the repository root (so environments/ and templates/
// are the shipped ones) with args, returning the exit code and outputs.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	a := NewTestApp(t, nil)
	full := args
	if len(args) > 0 && args[0] != "help" && !strings.HasPrefix(args[0], "-") {
		full = append([]string{args[0], "--config", "../testdata/example/environments", "--templates", "../testdata/example/templates", "--overlays", "../testdata/example/overlays"}, args[1:]...)
	}
	code := a.Run(full...)
	return code, a.Out.String(), a.Err.String()
}

func TestExitCodes(t *testing.T) {
	bad := t.TempDir()
	if err := os.MkdirAll(filepath.Join(bad, "phases"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bad, "phases", "x.yaml"), []byte("apiVersion: phasegen.dev/v1alpha1\nkind: Phase\nmetadata: {name: x}\nspec:\n  order: 1\n  replicas: -1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name      string
		args      []string
		code      int
		usage     bool   // usage printed on stderr
		stderrHas string // substring of stderr
	}{
		{"no command", nil, ExitUsage, true, "Commands:"},
		{"unknown command", []string{"plna"}, ExitUsage, true, `unknown command "plna"`},
		{"unknown flag", []string{"plan", "--userz", "3"}, ExitUsage, true, "unknown flag: --userz"},
		{"bad output", []string{"plan", "-o", "xml"}, ExitUsage, true, "-o must be table, json or markdown"},
		{"users with phases", []string{"plan", "beta", "--users", "3"}, ExitUsage, true, "takes no PHASE arguments"},
		{"version args", []string{"version", "x"}, ExitUsage, true, "takes no arguments"},
		{"unknown phase", []string{"plan", "gamma"}, ExitError, false, `PHASE argument "gamma": phase "gamma" does not exist (have: pre-launch, beta, full-mvp, scale-out)`},
		{"unknown --to", []string{"diff", "production", "--to", "gamma"}, ExitError, false, `--to "gamma": phase "gamma" does not exist`},
		{"unknown --phase", []string{"build", "production", "--phase", "gamma"}, ExitError, false, `--phase "gamma": phase "gamma" does not exist`},
		{"bad config", []string{"plan", "--config", bad}, ExitError, false, filepath.Join(bad, "phases", "x.yaml") + ":6: spec.replicas: must not be negative"},
		{"plan", []string{"plan"}, ExitOK, false, ""},
		{"version", []string{"version"}, ExitOK, false, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := run(t, c.args...)
			if code != c.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, c.code, stderr)
			}
			if got := strings.Contains(stderr, "Usage:"); got != c.usage {
				t.Errorf("usage printed = %v, want %v; stderr:\n%s", got, c.usage, stderr)
			}
			if !strings.Contains(stderr, c.stderrHas) {
				t.Errorf("stderr lacks %q:\n%s", c.stderrHas, stderr)
			}
		})
	}
}

func TestHelpHasExample(t *testing.T) {
	for _, cmd := range []string{"plan", "version"} {
		code, stdout, _ := run(t, cmd, "--help")
		if code != ExitOK || !strings.Contains(stdout, "Example:") || !strings.Contains(stdout, "phasegen "+cmd) {
			t.Errorf("%s --help: exit %d\n%s", cmd, code, stdout)
		}
	}
}

func TestPlanUsersJSON(t *testing.T) {
	code, stdout, stderr := run(t, "plan", "--users", "20", "-o", "json")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var out struct {
		Users     int `json:"users"`
		Estimates []struct {
			Name        string  `json:"name"`
			UsersPerPod float64 `json:"usersPerPod"`
			Pods        int     `json:"pods"`
			CPUCores    struct{ Requests, Limits float64 }
			MemoryGiB   struct{ Requests, Limits float64 }
			StorageGiB  float64 `json:"storageGiB"`
			MonthlyCost struct{ Compute, Storage, Total float64 }
			CostPerUser float64 `json:"costPerUser"`
		} `json:"estimates"`
	}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	if out.Users != 20 || len(out.Estimates) != 2 {
		t.Fatalf("%+v", out)
	}
	c, o := out.Estimates[0], out.Estimates[1]
	if c.Pods != 14 || c.CPUCores.Requests != 7 || c.CPUCores.Limits != 28 || c.MemoryGiB.Limits != 28 || c.StorageGiB != 770 {
		t.Errorf("conservative: %+v", c)
	}
	if o.Pods != 10 || o.MonthlyCost.Compute != 446.4 || o.MonthlyCost.Storage != 55 || o.MonthlyCost.Total != 501.4 || o.CostPerUser != 25.07 {
		t.Errorf("optimistic: %+v", o)
	}
}

func TestPlanPhasesJSONShape(t *testing.T) {
	code, stdout, stderr := run(t, "plan", "pre-launch", "-o", "json")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var out map[string][]map[string]any
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatal(err)
	}
	p := out["phases"][0]
	var keys []string
	for k := range p {
		keys = append(keys, k)
	}
	want := "cpuCores memoryGiB monthlyCost name order ready replicas scaling storageGiB userCapacity users"
	if got := strings.Join(sorted(keys), " "); got != want {
		t.Errorf("keys %q, want %q", got, want)
	}
	cost := p["monthlyCost"].(map[string]any)
	if p["replicas"].(map[string]any)["max"] != 30.0 || cost["min"] != 501.4 || cost["minAfterPeak"] != 611.4 {
		t.Errorf("pre-launch: %v", p)
	}
	// pre-launch has no SLO: scaling is only the floor-to-ceiling time.
	if sc := p["scaling"].(map[string]any); len(sc) != 1 || sc["secondsToMax"] != 405.0 {
		t.Errorf("pre-launch scaling: %v", sc)
	}
}

func TestPlanTableAndMarkdown(t *testing.T) {
	_, table, _ := run(t, "plan")
	for _, want := range []string{"pre-launch", "10-30", "$501.40-$1504.20", "✓", "scale-out", "34-70"} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
	_, md, _ := run(t, "plan", "-o", "markdown")
	for _, want := range []string{"| pre-launch | 5-10 | 10 | 10-30 |", "```mermaid\nxychart-beta", `x-axis ["pre-launch", "beta", "full-mvp", "scale-out"]`, "bar [501.40, 501.40, 501.40, 1704.76]"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
}

func sorted(s []string) []string {
	sort.Strings(s)
	return s
}
