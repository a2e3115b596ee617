package alerts

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/coditect/phasegen/internal/config"
)

// RulesFileName is the rules file the generated unit test loads.
const RulesFileName = "rules.yaml"

// maxSteps bounds the evaluations one generated test asks promtool for.
const maxSteps = 20000

// The synthetic limits and sizes the test series use.
const (
	cpuLimitCores   = 2
	memoryLimit     = 2 << 30  // 2Gi
	workspaceBytes  = 50 << 30 // the seed's 50 GB workspace per pod
	configBytes     = 5 << 30  // and 5 GB of config
	noiseSuffix     = "-other"
	kubeStateJob    = `job="kube-state-metrics"`
	cadvisorLabels  = `job="kubelet", metrics_path="/metrics/cadvisor"`
	kubeletLabels   = `job="kubelet", metrics_path="/metrics"`
	thresholdMargin = 2 // percentage points above and below each threshold
)

type unitTestFile struct {
	RuleFiles          []string   `json:"rule_files"`
	EvaluationInterval string     `json:"evaluation_interval"`
	Tests              []testCase `json:"tests"`
}

type testCase struct {
	Name          string         `json:"name"`
	Interval      string         `json:"interval"`
	InputSeries   []inputSeries  `json:"input_series"`
	AlertRuleTest []alertRuleTst `json:"alert_rule_test"`
}

type inputSeries struct {
	Series string `json:"series"`
	Values string `json:"values"`
}

type alertRuleTst struct {
	EvalTime  string     `json:"eval_time"`
	Alertname string     `json:"alertname"`
	ExpAlerts []expAlert `json:"exp_alerts"`
}

type expAlert struct {
	ExpLabels      map[string]string `json:"exp_labels"`
	ExpAnnotations map[string]string `json:"exp_annotations"`
}

// UnitTest returns a promtool unit-test file for RuleFile's output (read as
// rules.yaml beside it), generated from the same phase values. A first test
// feeds series just above each threshold (beside objects just below it and
// other workloads' objects far above it) and checks each alert is absent
// while `for` has not elapsed and fires, for the right object only, once it
// has. A second feeds series just below every threshold and checks nothing
// fires.
func UnitTest(env *config.Environment, phase *config.Phase, w Workload) ([]byte, error) {
	t, err := newTarget(env, phase, w)
	if err != nil {
		return nil, err
	}
	hold, _ := parseDuration(t.alerts.For) // checked by newTarget
	step := evalStep(hold)
	rampWindow, _ := parseDuration(restartWindow) // the longest range a rule reads
	end := hold + rampWindow + step
	if int64(end/step) > maxSteps {
		return nil, fmt.Errorf("building alert tests for %s at %s: alerts.for %s needs more than %d evaluations of %s", t.env, t.phase, t.alerts.For, maxSteps, formatDuration(step))
	}
	g := &generator{t: t, step: step, samples: int(end / step)}
	rules := map[string]Rule{}
	for _, r := range t.rules() {
		rules[r.Alert] = r
	}
	above := testCase{
		Name:     fmt.Sprintf("%s at %s: alerts fire just above their thresholds once for (%s) has elapsed", t.env, t.phase, t.alerts.For),
		Interval: formatDuration(step),
	}
	below := testCase{
		Name:     fmt.Sprintf("%s at %s: nothing fires just below the thresholds", t.env, t.phase),
		Interval: formatDuration(step),
	}
	for _, c := range g.cases() {
		r, ok := rules[c.alert]
		if !ok {
			return nil, fmt.Errorf("building alert tests for %s: no rule %s", t.env, c.alert)
		}
		above.InputSeries = append(above.InputSeries, c.above...)
		below.InputSeries = append(below.InputSeries, c.below...)
		fires := hold + c.ramp
		if hold > 0 {
			// Before `for` has elapsed since the earliest moment the
			// condition can hold, the alert is at most pending.
			before := hold - step + c.ramp
			if c.ramp > 0 {
				before = hold
			}
			above.AlertRuleTest = append(above.AlertRuleTest, alertRuleTst{EvalTime: formatDuration(before), Alertname: c.alert, ExpAlerts: []expAlert{}})
		}
		annotations := map[string]string{}
		for k, v := range r.Annotations {
			s, err := render(v, c.labels, c.value)
			if err != nil {
				return nil, fmt.Errorf("building alert tests for %s: %s annotation %s: %w", t.env, c.alert, k, err)
			}
			annotations[k] = s
		}
		labels := map[string]string{}
		for k, v := range r.Labels {
			labels[k] = v
		}
		for k, v := range c.labels {
			labels[k] = v
		}
		above.AlertRuleTest = append(above.AlertRuleTest, alertRuleTst{EvalTime: formatDuration(fires), Alertname: c.alert, ExpAlerts: []expAlert{{ExpLabels: labels, ExpAnnotations: annotations}}})
		for _, at := range []time.Duration{fires, end} {
			below.AlertRuleTest = append(below.AlertRuleTest, alertRuleTst{EvalTime: formatDuration(at), Alertname: c.alert, ExpAlerts: []expAlert{}})
		}
	}
	owners := g.owners(max(2, int(t.minReplicas)))
	above.InputSeries = append(above.InputSeries, owners...)
	below.InputSeries = append(below.InputSeries, owners...)
	sortSeries(above.InputSeries)
	sortSeries(below.InputSeries)
	out, err := yaml.Marshal(unitTestFile{
		RuleFiles:          []string{RulesFileName},
		EvaluationInterval: formatDuration(step),
		Tests:              []testCase{above, below},
	})
	if err != nil {
		return nil, fmt.Errorf("marshalling alert tests: %w", err)
	}
	return out, nil
}

func sortSeries(s []inputSeries) {
	sort.SliceStable(s, func(i, j int) bool { return s[i].Series < s[j].Series })
}

// evalStep is the evaluation and sample interval: a minute, or the largest
// divisor of a minute that divides hold.
func evalStep(hold time.Duration) time.Duration {
	a, b := time.Minute, hold
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// formatDuration writes d in Prometheus's duration syntax.
func formatDuration(d time.Duration) string {
	if d == 0 {
		return "0s"
	}
	var b strings.Builder
	for _, u := range []struct {
		suffix string
		d      time.Duration
	}{{"d", 24 * time.Hour}, {"h", time.Hour}, {"m", time.Minute}, {"s", time.Second}, {"ms", time.Millisecond}} {
		if n := d / u.d; n > 0 {
			fmt.Fprintf(&b, "%d%s", n, u.suffix)
			d -= n * u.d
		}
	}
	return b.String()
}

var (
	labelRef  = regexp.MustCompile(`\{\{ \$labels\.([a-zA-Z_][a-zA-Z0-9_]*) \}\}`)
	percentRe = regexp.MustCompile(`\{\{ printf "%\.0f" \$value \}\}`)
	valueRef  = regexp.MustCompile(`\{\{ \$value \}\}`)
)

// render expands the few template actions the annotations use, as
// Prometheus would for an alert with labels and value.
func render(tmpl string, labels map[string]string, value float64) (string, error) {
	var missing string
	s := labelRef.ReplaceAllStringFunc(tmpl, func(m string) string {
		name := labelRef.FindStringSubmatch(m)[1]
		v, ok := labels[name]
		if !ok {
			missing = name
		}
		return v
	})
	if missing != "" {
		return "", fmt.Errorf("the alert has no label %q", missing)
	}
	s = percentRe.ReplaceAllLiteralString(s, fmt.Sprintf("%.0f", value))
	s = valueRef.ReplaceAllLiteralString(s, fmt.Sprint(value))
	if strings.Contains(s, "{{") {
		return "", fmt.Errorf("template action the test generator does not know in %q", tmpl)
	}
	return s, nil
}

func num(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
