// Package alerts builds the workload's alerting rules from a phase's
// thresholds: a monitoring.coreos.com/v1 PrometheusRule for the overlay, the
// same rule groups as a plain Prometheus rules file, and a promtool unit test
// generated from the same values, which proves each alert fires just above its
// threshold once `for` has elapsed and stays silent below it.
//
// The rules name no phase: a promotion that leaves a workload's thresholds
// and sizing alone leaves its PrometheusRule as it is (the overlay's
// transformer annotates it with the phase).
package alerts

import (
	"errors"
	"fmt"
	"regexp"

	"github.com/coditect/phasegen/internal/base"
	"github.com/coditect/phasegen/internal/config"
	"github.com/coditect/phasegen/internal/printer"
	"github.com/coditect/phasegen/internal/workload"
)

// The saturation alerts a PrometheusRule holds (WorkloadHPAAtMax only when
// the phase autoscales), in this order, before the availability ones.
const (
	AlertCPUHigh              = "WorkloadCPUHigh"
	AlertMemoryHigh           = "WorkloadMemoryHigh"
	AlertHPAAtMax             = "WorkloadHPAAtMax"
	AlertPVCAlmostFull        = "WorkloadPVCAlmostFull"
	AlertSessionsOverCapacity = "WorkloadSessionsOverCapacity"
)

// Names returns the names of the alerts phase's PrometheusRule for w
// defines, in the rule's order: what `wait` asks Prometheus about.
func Names(phase *config.Phase, w Workload) []string {
	var names []string
	if basis(phase, w, true) != basisNone {
		names = append(names, AlertCPUHigh)
	}
	if basis(phase, w, false) != basisNone {
		names = append(names, AlertMemoryHigh)
	}
	if phase.Spec.Autoscaling != nil {
		names = append(names, AlertHPAAtMax)
	}
	if len(w.Claims) > 0 {
		names = append(names, AlertPVCAlmostFull)
	}
	if w.SessionMetric != "" {
		names = append(names, AlertSessionsOverCapacity)
	}
	names = append(names, AlertReplicasUnavailable, AlertPodRestarting)
	if phase.Spec.Autoscaling != nil {
		names = append(names, AlertHPAMetricUnavailable)
	}
	return names
}

// Workload is what the alerts watch: one Deployment or StatefulSet, its
// sized container, the selector of its pods, its volume claim templates,
// its session metric and the words its alerts use.
type Workload struct {
	Name, Kind string // Kind: base.KindDeployment or base.KindStatefulSet
	Container  string
	// Sidecars are the pod's other containers: the generated tests give
	// them usage the alerts must not count.
	Sidecars []string
	Selector string   // matchLabels as kubectl -l takes them
	Claims   []string // volumeClaimTemplates (StatefulSets only)
	// ExactClaims selects the claims by template name (<claim>-<name>-N),
	// not by the pod suffix alone (.*-<name>-N): set when the app has other
	// workloads whose claims could end alike.
	ExactClaims   bool
	SessionMetric string
	SessionLabels map[string]string // picks the workload's series of SessionMetric
	Impact        config.Impact
	Sticky        bool // a Service pins each client to one pod
	// Declared is what the base sets of the container's requests and
	// limits: the usage alerts compare with the limit, else the request.
	Declared Declared
}

// For describes w for its alerts; several says the app has other
// workloads beside it.
func For(w *workload.Workload, several bool) Workload {
	var sidecars []string
	for _, c := range w.ContainerNames() {
		if c != w.Container.Name {
			sidecars = append(sidecars, c)
		}
	}
	a := Workload{Name: w.Name, Kind: w.Kind, Container: w.Container.Name, Sidecars: sidecars, Selector: w.SelectorString(),
		ExactClaims: several, SessionMetric: w.Model.SessionMetric, SessionLabels: w.Model.SessionLabels, Impact: w.Model.Impact, Sticky: len(w.Sticky) > 0,
		Declared: declared(w.Container.Resources)}
	for _, c := range w.ClaimTemplates() {
		a.Claims = append(a.Claims, c.Name)
	}
	return a
}

// The severities the seed implies: CPU over 85% and memory over 90% mean
// "scale up urgently".
const (
	SeverityWarning  = "warning"
	SeverityCritical = "critical"

	urgentCPUPercent    = 85
	urgentMemoryPercent = 90
)

// Rule is one Prometheus alerting rule.
type Rule struct {
	Alert       string            `json:"alert"`
	Expr        string            `json:"expr"`
	For         string            `json:"for,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// Group is one Prometheus rule group.
type Group struct {
	Name  string `json:"name"`
	Rules []Rule `json:"rules"`
}

// RuleGroups is a Prometheus rules file.
type RuleGroups struct {
	Groups []Group `json:"groups"`
}

type objectMeta struct {
	Name        string            `json:"name"`
	Namespace   string            `json:"namespace"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

type prometheusRule struct {
	APIVersion string     `json:"apiVersion"`
	Kind       string     `json:"kind"`
	Metadata   objectMeta `json:"metadata"`
	Spec       RuleGroups `json:"spec"`
}

// PrometheusRule returns the YAML of the PrometheusRule `<workload>-alerts`
// for w in env at phase (as it sizes w).
func PrometheusRule(env *config.Environment, phase *config.Phase, w Workload) ([]byte, error) {
	groups, err := Groups(env, phase, w)
	if err != nil {
		return nil, err
	}
	obj := ruleObject(env, w.Name, groups)
	if out, ok := printer.Print(obj.object()); ok {
		return out, nil
	}
	out, err := printer.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("marshalling PrometheusRule %s: %w", obj.Metadata.Name, err)
	}
	return out, nil
}

// ruleObject is the PrometheusRule `<workload>-alerts` holding groups,
// labelled app: <workload> and with the environment's
// spec.prometheusRule.labels (for the operator's ruleSelector).
func ruleObject(env *config.Environment, w string, groups RuleGroups) prometheusRule {
	labels := map[string]string{"app": w}
	for k, v := range env.PrometheusRuleLabels() {
		labels[k] = v
	}
	return prometheusRule{
		APIVersion: "monitoring.coreos.com/v1",
		Kind:       "PrometheusRule",
		Metadata: objectMeta{
			Name:      w + "-alerts",
			Namespace: env.Spec.Namespace,
			Labels:    labels,
		},
		Spec: groups,
	}
}

// RuleFile returns the same groups as PrometheusRule as a plain
// Prometheus rules file, for promtool.
func RuleFile(env *config.Environment, phase *config.Phase, w Workload) ([]byte, error) {
	groups, err := Groups(env, phase, w)
	if err != nil {
		return nil, err
	}
	out, err := printer.Marshal(groups)
	if err != nil {
		return nil, fmt.Errorf("marshalling rules file: %w", err)
	}
	return out, nil
}

var (
	dnsLabel   = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	metricName = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)
)

// target is what the rules are about, checked once.
type target struct {
	env, ns, workload, phase, sessionMetric string
	w                                       Workload
	field                                   func(string) string // the phase's field path
	alerts                                  config.Alerts
	autoscaling                             *config.Autoscaling
	minReplicas                             int32
	cpuBasis, memoryBasis                   string // basisLimit, basisRequest or basisNone
}

func newTarget(env *config.Environment, phase *config.Phase, w Workload) (*target, error) {
	if env == nil || phase == nil {
		return nil, errors.New("building alerts: environment and phase are required")
	}
	t := &target{
		env:           env.Metadata.Name,
		ns:            env.Spec.Namespace,
		workload:      w.Name,
		w:             w,
		field:         phase.Field,
		phase:         phase.Metadata.Name,
		sessionMetric: w.SessionMetric,
		alerts:        phase.Spec.Alerts,
		autoscaling:   phase.Spec.Autoscaling,
		minReplicas:   phase.MinReplicas(),
		cpuBasis:      basis(phase, w, true),
		memoryBasis:   basis(phase, w, false),
	}
	for _, f := range []struct{ what, v string }{{"namespace", t.ns}, {"workload", t.workload}, {"container", w.Container}} {
		if !dnsLabel.MatchString(f.v) {
			return nil, fmt.Errorf("building alerts for %s: %s %q is not a DNS-1123 label", t.env, f.what, f.v)
		}
	}
	if w.Kind != base.KindDeployment && w.Kind != base.KindStatefulSet {
		return nil, fmt.Errorf("building alerts for %s: workload %s is a %q, not a Deployment or StatefulSet", t.env, t.workload, w.Kind)
	}
	if t.sessionMetric != "" && !metricName.MatchString(t.sessionMetric) {
		return nil, fmt.Errorf("building alerts for %s: session metric %q is not a Prometheus metric name", t.env, t.sessionMetric)
	}
	if _, err := parseDuration(t.alerts.For); err != nil {
		return nil, fmt.Errorf("building alerts for %s at %s: alerts.for: %w", t.env, t.phase, err)
	}
	for _, p := range []struct {
		what string
		v    int32
	}{{"cpuPercent", t.alerts.CPUPercent}, {"memoryPercent", t.alerts.MemoryPercent}, {"pvcUsagePercent", t.alerts.PVCUsagePercent}} {
		if p.v < 1 || p.v > 100 {
			return nil, fmt.Errorf("building alerts for %s at %s: alerts.%s must be between 1 and 100, not %d", t.env, t.phase, p.what, p.v)
		}
	}
	if t.alerts.Restarts < 1 {
		return nil, fmt.Errorf("building alerts for %s at %s: alerts.restarts must be at least 1", t.env, t.phase)
	}
	if t.alerts.SessionsPerPod < 1 {
		return nil, fmt.Errorf("building alerts for %s at %s: alerts.sessionsPerPod must be at least 1", t.env, t.phase)
	}
	return t, nil
}
