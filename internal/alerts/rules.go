package alerts

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/coditect/phasegen/internal/base"
	"github.com/coditect/phasegen/internal/config"
	"github.com/coditect/phasegen/internal/podquery"
)

// rateWindow is the range CPU usage is averaged over.
const rateWindow = "5m"

// Groups returns the rule groups of the workload's alerts for env at phase.
func Groups(env *config.Environment, phase *config.Phase, w Workload) (RuleGroups, error) {
	t, err := newTarget(env, phase, w)
	if err != nil {
		return RuleGroups{}, err
	}
	return RuleGroups{Groups: []Group{{Name: t.workload + ".alerts", Rules: t.rules()}}}, nil
}

// deployment reports whether the workload is a Deployment, whose pods are
// found through their owners rather than by name.
func (t *target) deployment() bool { return t.w.Kind == base.KindDeployment }

// pods selects the workload's pods and container (package podquery).
func (t *target) pods() podquery.Workload {
	return podquery.Workload{Namespace: t.ns, Name: t.workload, Deployment: t.deployment(), Container: t.w.Container}
}

func (t *target) podSel(extra ...string) string       { return t.pods().PodSel(extra...) }
func (t *target) containerSel(extra ...string) string { return t.pods().ContainerSel(extra...) }
func (t *target) owned(expr string) string            { return t.pods().Owned(expr) }

func (t *target) hpaName() string { return t.workload + "-hpa" }

func (t *target) hpaSel() string {
	return fmt.Sprintf("{namespace=%q, horizontalpodautoscaler=%q}", t.ns, t.hpaName())
}

func (t *target) pvcSel() string {
	claims := ".*"
	if t.w.ExactClaims {
		quoted := make([]string, len(t.w.Claims))
		for i, c := range t.w.Claims {
			quoted[i] = regexp.QuoteMeta(c)
		}
		claims = "(" + strings.Join(quoted, "|") + ")"
	}
	return fmt.Sprintf("{namespace=%q, persistentvolumeclaim=~%q}", t.ns, claims+"-"+regexp.QuoteMeta(t.workload)+"-[0-9]+")
}

func (t *target) rules() []Rule {
	a := t.alerts
	var rules []Rule
	if t.cpuBasis != basisNone {
		rules = append(rules, t.cpuRule(a.CPUPercent))
	}
	if t.memoryBasis != basisNone {
		rules = append(rules, t.memoryRule(a.MemoryPercent))
	}
	if t.autoscaling != nil {
		rules = append(rules, t.hpaRule())
	}
	if len(t.w.Claims) > 0 {
		rules = append(rules, t.pvcRule(a.PVCUsagePercent))
	}
	if t.sessionMetric != "" {
		rules = append(rules, t.sessionsRule(a.SessionsPerPod))
	}
	rules = append(rules, t.unavailableRule(), t.restartsRule(a.Restarts))
	if t.autoscaling != nil {
		rules = append(rules, t.hpaMetricRule())
	}
	return rules
}

func severity(percent, urgent int32) string {
	if percent >= urgent {
		return SeverityCritical
	}
	return SeverityWarning
}

func (t *target) where() string {
	return fmt.Sprintf("%s in namespace %s (environment %s)", t.workload, t.ns, t.env)
}

// morePods says how to give the workload more pods than its phase allows,
// naming no phase: promote to the next one, or raise the last one's
// ceiling.
func (t *target) morePods() string {
	field := t.field("replicas")
	if t.autoscaling != nil {
		field = t.field("autoscaling.maxReplicas")
	}
	return fmt.Sprintf("promote to the next phase (`phasegen status %s` names it: `phasegen promote %s --to <next>`), or at the last phase raise %s in its Phase file, then `phasegen render %s` and commit the overlay", t.env, t.env, field, t.env)
}

func (t *target) cpuRule(percent int32) Rule {
	expr := fmt.Sprintf("sum by (namespace, pod) (%s)\n"+
		"  / sum by (namespace, pod) (%s)\n  * 100 > %d",
		t.owned(fmt.Sprintf("rate(container_cpu_usage_seconds_total%s[%s])", t.containerSel(), rateWindow)),
		t.owned(resourceSeries(t.cpuBasis)+t.containerSel(`resource="cpu"`, `unit="core"`)), percent)
	return Rule{
		Alert:  AlertCPUHigh,
		Expr:   expr,
		For:    t.alerts.For,
		Labels: t.labels(AlertCPUHigh, severity(percent, urgentCPUPercent)),
		Annotations: map[string]string{
			"summary":     fmt.Sprintf("%s CPU above %d%% of its %s", t.workload, percent, t.cpuBasis),
			"description": fmt.Sprintf("Pod {{ $labels.pod }} of %s has used {{ printf \"%%.0f\" $value }}%% of its CPU %s for more than %s (threshold %d%%)%s.", t.where(), t.cpuBasis, t.alerts.For, percent, noLimit(t.cpuBasis, "it has no CPU limit, so it may use more while the node has spare CPU")),
			"runbook":     t.scaleRunbook("CPU", "cpu"),
		},
	}
}

func (t *target) memoryRule(percent int32) Rule {
	expr := fmt.Sprintf("sum by (namespace, pod) (%s)\n"+
		"  / sum by (namespace, pod) (%s)\n  * 100 > %d",
		t.owned("container_memory_working_set_bytes"+t.containerSel()),
		t.owned(resourceSeries(t.memoryBasis)+t.containerSel(`resource="memory"`, `unit="byte"`)), percent)
	return Rule{
		Alert:  AlertMemoryHigh,
		Expr:   expr,
		For:    t.alerts.For,
		Labels: t.labels(AlertMemoryHigh, severity(percent, urgentMemoryPercent)),
		Annotations: map[string]string{
			"summary":     fmt.Sprintf("%s memory above %d%% of its %s", t.workload, percent, t.memoryBasis),
			"description": fmt.Sprintf("Pod {{ $labels.pod }} of %s has used {{ printf \"%%.0f\" $value }}%% of its memory %s for more than %s (threshold %d%%)%s.", t.where(), t.memoryBasis, t.alerts.For, percent, memoryRisk(t.memoryBasis)),
			"runbook":     t.scaleRunbook("memory", "memory"),
		},
	}
}

// noLimit is the note a usage alert against a request adds.
func noLimit(b, note string) string {
	if b == basisRequest {
		return "; " + note
	}
	return ""
}

func memoryRisk(b string) string {
	if b == basisRequest {
		return "; it has no memory limit, and a node under memory pressure evicts first the pods using most over their requests"
	}
	return "; at the limit it is OOM-killed"
}

func (t *target) scaleRunbook(what, field string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Find the busy pods: `kubectl top pods -n %s -l %s --sort-by=%s`. ", t.ns, t.w.Selector, field)
	if t.autoscaling != nil {
		fmt.Fprintf(&b, "The HPA %s should be adding pods (`kubectl get hpa %s -n %s`); if it is at its maximum, %s. ", t.hpaName(), t.hpaName(), t.ns, t.morePods())
	} else {
		fmt.Fprintf(&b, "The phase runs a fixed number of pods: to add pods, %s. ", t.morePods())
	}
	sticky := ""
	if t.w.Sticky {
		sticky = " (sessions are sticky)"
	}
	fmt.Fprintf(&b, "If one pod is hot while the others idle%s, raise the %s limit instead: set %s in the environment's Phase file, then `phasegen render %s`.", sticky, what, t.field("resources.limits."+field), t.env)
	return b.String()
}

func (t *target) hpaRule() Rule {
	expr := fmt.Sprintf("max by (namespace, horizontalpodautoscaler) (kube_horizontalpodautoscaler_status_current_replicas%s)\n"+
		"  >= max by (namespace, horizontalpodautoscaler) (kube_horizontalpodautoscaler_spec_max_replicas%s)",
		t.hpaSel(), t.hpaSel())
	return Rule{
		Alert:  AlertHPAAtMax,
		Expr:   expr,
		For:    t.alerts.For,
		Labels: t.labels(AlertHPAAtMax, SeverityWarning),
		Annotations: map[string]string{
			"summary":     fmt.Sprintf("HPA %s is at its maximum of %d replicas", t.hpaName(), t.autoscaling.MaxReplicas),
			"description": fmt.Sprintf("HPA {{ $labels.horizontalpodautoscaler }} of %s has run {{ $value }} replicas, its maximum, for more than %s: it cannot add pods if load grows.", t.where(), t.alerts.For),
			"runbook":     fmt.Sprintf("Raise the HPA maximum: %s. Check first that the cluster can hold the extra pods (`kubectl describe hpa %s -n %s`).", t.morePods(), t.hpaName(), t.ns),
		},
	}
}

func (t *target) pvcRule(percent int32) Rule {
	expr := fmt.Sprintf("max by (namespace, persistentvolumeclaim) (kubelet_volume_stats_used_bytes%s)\n"+
		"  / max by (namespace, persistentvolumeclaim) (kubelet_volume_stats_capacity_bytes%s)\n  * 100 > %d",
		t.pvcSel(), t.pvcSel(), percent)
	return Rule{
		Alert:  AlertPVCAlmostFull,
		Expr:   expr,
		For:    t.alerts.For,
		Labels: t.labels(AlertPVCAlmostFull, SeverityWarning),
		Annotations: map[string]string{
			"summary":     fmt.Sprintf("a %s volume is over %d%% full", t.workload, percent),
			"description": fmt.Sprintf("PVC {{ $labels.persistentvolumeclaim }} of %s is {{ printf \"%%.0f\" $value }}%% full (threshold %d%%)%s.", t.where(), percent, t.volumeFull()),
			"runbook": fmt.Sprintf("%s is pod-local, so scaling out does not help this pod. Free space or expand the volume: "+
				"`kubectl patch pvc <claim> -n %s -p '{\"spec\":{\"resources\":{\"requests\":{\"storage\":\"<bigger>\"}}}}'` (needs a StorageClass with allowVolumeExpansion), "+
				"then raise the claim's storage in the base's volumeClaimTemplates so new pods get the larger size.", t.volumeData(), t.ns),
		},
	}
}

func (t *target) sessionsRule(perPod int32) Rule {
	expr := fmt.Sprintf("sum by (namespace) (%s%s)\n"+
		"  > sum by (namespace) (%s) * %d",
		t.sessionMetric, config.SessionSelector(t.ns, t.w.SessionLabels), t.owned("kube_pod_status_ready"+t.podSel(`condition="true"`)), perPod)
	return Rule{
		Alert:  AlertSessionsOverCapacity,
		Expr:   expr,
		For:    t.alerts.For,
		Labels: t.labels(AlertSessionsOverCapacity, SeverityCritical),
		Annotations: map[string]string{
			"summary":     fmt.Sprintf("%s has more sessions than its ready pods can hold", t.workload),
			"description": fmt.Sprintf("%s holds {{ $value }} active sessions (%s), more than its ready pods × %d sessions per pod, for more than %s.", t.where(), t.sessionMetric, perPod, t.alerts.For),
			"runbook":     fmt.Sprintf("Check for pods that are not ready: `kubectl get pods -n %s -l %s`. If all are ready, the phase is too small for its users: %s.", t.ns, t.w.Selector, t.morePods()),
		},
	}
}

// volumeFull ends the volume alert's description: what users lose, in the
// capacity model's words (impact.volumeFull), when there are any.
func (t *target) volumeFull() string {
	if t.w.Impact.VolumeFull == "" {
		return ""
	}
	return "; " + t.w.Impact.VolumeFull
}

// volumeData names what the volumes hold (impact.volumeData).
func (t *target) volumeData() string {
	if t.w.Impact.VolumeData == "" {
		return "The data on a StatefulSet pod's volumes"
	}
	return t.w.Impact.VolumeData
}

// parseDuration reads a Prometheus duration such as 5m or 1h30m.
func parseDuration(s string) (time.Duration, error) {
	units := []struct {
		suffix string
		d      time.Duration
	}{{"y", 365 * 24 * time.Hour}, {"w", 7 * 24 * time.Hour}, {"d", 24 * time.Hour}, {"h", time.Hour}, {"ms", time.Millisecond}, {"m", time.Minute}, {"s", time.Second}}
	if s == "" {
		return 0, fmt.Errorf("empty duration")
	}
	var total time.Duration
	rest := s
	last := -1
	for rest != "" {
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 0 {
			return 0, fmt.Errorf("%q is not a Prometheus duration", s)
		}
		n, err := strconv.ParseInt(rest[:i], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%q is not a Prometheus duration: %w", s, err)
		}
		rest = rest[i:]
		found := false
		for k, u := range units {
			if strings.HasPrefix(rest, u.suffix) && !(u.suffix == "m" && strings.HasPrefix(rest, "ms")) {
				if k <= last {
					return 0, fmt.Errorf("%q is not a Prometheus duration: units out of order", s)
				}
				last = k
				total += time.Duration(n) * u.d
				rest = rest[len(u.suffix):]
				found = true
				break
			}
		}
		if !found {
			return 0, fmt.Errorf("%q is not a Prometheus duration", s)
		}
	}
	return total, nil
}
