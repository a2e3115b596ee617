package alerts

import (
	"fmt"
	"strings"
)

// The availability alerts every PrometheusRule holds after the saturation
// ones (WorkloadHPAMetricUnavailable only when the phase autoscales).
const (
	AlertReplicasUnavailable  = "WorkloadReplicasUnavailable"
	AlertPodRestarting        = "WorkloadPodRestarting"
	AlertHPAMetricUnavailable = "WorkloadHPAMetricUnavailable"
)

// restartWindow is the range restarts are counted over: long enough that a
// container crash-looping at the kubelet's longest back-off (5m) restarts
// a dozen times in it.
const restartWindow = "1h"

// kindLabel is the kube-state-metrics label naming the workload: deployment
// or statefulset.
func (t *target) kindLabel() string {
	if t.deployment() {
		return "deployment"
	}
	return "statefulset"
}

// replicaSeries are kube-state-metrics' series of the pods the workload
// wants and of those it has available: a Deployment's available replicas,
// a StatefulSet's ready ones (the gauge every kube-state-metrics release
// exports for it).
func (t *target) replicaSeries() (want, have string) {
	if t.deployment() {
		return "kube_deployment_spec_replicas", "kube_deployment_status_replicas_available"
	}
	return "kube_statefulset_replicas", "kube_statefulset_status_replicas_ready"
}

func (t *target) workloadSel() string {
	return fmt.Sprintf("{namespace=%q, %s=%q}", t.ns, t.kindLabel(), t.workload)
}

func (t *target) unavailableRule() Rule {
	want, have := t.replicaSeries()
	by := "namespace, " + t.kindLabel()
	expr := fmt.Sprintf("max by (%s) (%s%s)\n  - max by (%s) (%s%s)\n  > 0", by, want, t.workloadSel(), by, have, t.workloadSel())
	return Rule{
		Alert:  AlertReplicasUnavailable,
		Expr:   expr,
		For:    t.alerts.For,
		Labels: t.labels(AlertReplicasUnavailable, SeverityWarning),
		Annotations: map[string]string{
			"summary":     fmt.Sprintf("%s has replicas that are not available", t.workload),
			"description": fmt.Sprintf("%s %s has had {{ $value }} of its replicas unavailable for more than %s: fewer pods serve than it asks for.", t.w.Kind, t.where(), t.alerts.For),
			"runbook": fmt.Sprintf("See why the pods are not ready: `kubectl get pods -n %s -l %s` and `kubectl describe pod <pod> -n %s` (Pending: the cluster lacks room for the requests; CrashLoopBackOff: `kubectl logs <pod> -n %s --previous`). "+
				"A rollout that does not finish shows in `kubectl rollout status %s/%s -n %s`.", t.ns, t.w.Selector, t.ns, t.ns, strings.ToLower(t.w.Kind), t.workload, t.ns),
		},
	}
}

func (t *target) restartsRule(limit int32) Rule {
	expr := fmt.Sprintf("sum by (namespace, pod) (%s)\n  > %d",
		t.owned(fmt.Sprintf("increase(kube_pod_container_status_restarts_total%s[%s])", t.podSel(), restartWindow)), limit)
	return Rule{
		Alert:  AlertPodRestarting,
		Expr:   expr,
		For:    t.alerts.For,
		Labels: t.labels(AlertPodRestarting, SeverityWarning),
		Annotations: map[string]string{
			"summary":     fmt.Sprintf("a %s pod keeps restarting", t.workload),
			"description": fmt.Sprintf("The containers of pod {{ $labels.pod }} of %s restarted {{ printf \"%%.0f\" $value }} times in the last %s (more than %d).", t.where(), restartWindow, limit),
			"runbook": fmt.Sprintf("Read why the last run ended: `kubectl describe pod {{ $labels.pod }} -n %s` (Last State: OOMKilled means the memory limit is too small: raise %s in the environment's Phase file) "+
				"and `kubectl logs {{ $labels.pod }} -n %s --all-containers --previous`.", t.ns, t.field("resources.limits.memory"), t.ns),
		},
	}
}

func (t *target) hpaMetricRule() Rule {
	expr := fmt.Sprintf("max by (namespace, horizontalpodautoscaler) (kube_horizontalpodautoscaler_status_condition%s)\n  == 1",
		fmt.Sprintf("{namespace=%q, horizontalpodautoscaler=%q, condition=\"ScalingActive\", status=\"false\"}", t.ns, t.hpaName()))
	return Rule{
		Alert:  AlertHPAMetricUnavailable,
		Expr:   expr,
		For:    t.alerts.For,
		Labels: t.labels(AlertHPAMetricUnavailable, SeverityWarning),
		Annotations: map[string]string{
			"summary":     fmt.Sprintf("HPA %s cannot compute its metric", t.hpaName()),
			"description": fmt.Sprintf("HPA {{ $labels.horizontalpodautoscaler }} of %s has not been able to compute a replica count (ScalingActive is false) for more than %s: it does not scale.", t.where(), t.alerts.For),
			"runbook": fmt.Sprintf("Read the condition's reason: `kubectl describe hpa %s -n %s`. FailedGetResourceMetric: metrics-server is down or a container lacks the request the target is a percentage of; "+
				"FailedGetPodsMetric or FailedGetExternalMetric: the metrics adapter does not serve the metric.", t.hpaName(), t.ns),
		},
	}
}

// labels are the labels of alert: its severity, alerts.severity's when the
// phase names one.
func (t *target) labels(alert, fallback string) map[string]string {
	if s := t.alerts.Severity[alert]; s != "" {
		return map[string]string{"severity": s}
	}
	return map[string]string{"severity": fallback}
}
