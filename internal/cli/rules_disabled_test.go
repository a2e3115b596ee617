package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coditect/phasegen/internal/cli"
)

// TestPrometheusRuleDisabled: an environment with
// spec.prometheusRule.enabled false renders no PrometheusRule, check agrees,
// `rules` still writes the rules for a plain Prometheus and says why, and
// `wait --no-alerts` is refused: there are no alerts it could check.
func TestPrometheusRuleDisabled(t *testing.T) {
	configCopy(t)
	file := filepath.Join("environments", "production.yaml")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, append(data, "  prometheusRule: {enabled: false}\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	if a := cli.NewTestApp(t, nil); a.Run("render") != cli.ExitOK {
		t.Fatalf("render: %s", a.Output())
	}
	if _, err := os.Stat(filepath.Join("overlays", "production", "prometheusrule.yaml")); !os.IsNotExist(err) {
		t.Errorf("production's PrometheusRule is still there: %v", err)
	}
	if _, err := os.Stat(filepath.Join("overlays", "staging", "prometheusrule.yaml")); err != nil {
		t.Errorf("staging lost its PrometheusRule: %v", err)
	}
	if a := cli.NewTestApp(t, nil); a.Run("check") != cli.ExitOK {
		t.Errorf("check after render: %s", a.Output())
	}
	a := cli.NewTestApp(t, nil)
	if code := a.Run("rules", "production", "--dir", filepath.Join(t.TempDir(), "rules")); code != cli.ExitOK ||
		!strings.Contains(a.Output(), "note: production renders no PrometheusRule (spec.prometheusRule.enabled is false): load these rules into your Prometheus yourself") {
		t.Errorf("rules: exit %d\n%s", code, a.Output())
	}
	a = cli.NewTestApp(t, nil)
	if code := a.Run("wait", "production", "--no-alerts", "--prometheus", "http://127.0.0.1:9"); code != cli.ExitError ||
		!strings.Contains(a.Output(), "wait production --no-alerts: the environment renders no alerts to check (spec.prometheusRule.enabled is false in environments/production.yaml)") {
		t.Errorf("wait --no-alerts: exit %d\n%s", code, a.Output())
	}
}
