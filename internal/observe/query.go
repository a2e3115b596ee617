// Package observe reads what a running phase did from a Prometheus-compatible
// API: the same metrics its alerts use (cAdvisor, kube-state-metrics, kubelet
// volume stats and the application's session gauge), scoped to the
// environment's namespace, the workload's pods (a StatefulSet's <name>-N, a
// Deployment's through their owners, as package podquery picks them) and its
// container (never cAdvisor's pod-level container="" or pause container="POD"
// series).
// Every figure is one instant query with a subquery over the window, so a
// command makes the same number of queries whatever the window, the pod count
// or the fleet. Status judges the figures against the phase; the tune package
// turns them into right-sized phase values.
package observe

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/coditect/phasegen/internal/config"
	"github.com/coditect/phasegen/internal/podquery"
)

// subStep is the resolution of every subquery over the window.
const subStep = "1m"

// rateWindow is the range CPU usage is averaged over, as in the alerts.
const rateWindow = "5m"

// Scope is what the queries select.
type Scope struct {
	Namespace, Workload, SessionMetric string
	SessionLabels                      map[string]string // pick the workload's series of SessionMetric
	Container                          string            // the workload's sized container
	HPA                                bool              // the phase autoscales: read the HPA's status
	// Deployment: the workload's pods are found through their owners, not
	// by name (package podquery).
	Deployment bool
	// NoVolumes: the workload has no volume claims; no volume figure.
	NoVolumes bool
}

// pods selects the workload's pods and container.
func (s Scope) pods() podquery.Workload {
	return podquery.Workload{Namespace: s.Namespace, Name: s.Workload, Deployment: s.Deployment, Container: s.Container}
}

// figure is one query and what it needs.
type figure struct {
	name     string // the Observation field it fills
	query    string
	metric   string // the metric it reads, for the missing-data error
	selector string
	exporter string
}

func (s Scope) podSel(extra ...string) string { return s.pods().PodSel(extra...) }

func (s Scope) containerSel() string { return s.pods().ContainerSel() }

func (s Scope) hpaSel() string {
	return fmt.Sprintf("{namespace=%q, horizontalpodautoscaler=%q}", s.Namespace, s.Workload+"-hpa")
}

func (s Scope) pvcSel() string {
	return fmt.Sprintf("{namespace=%q, persistentvolumeclaim=~%q}", s.Namespace, ".*-"+regexp.QuoteMeta(s.Workload)+"-[0-9]+")
}

func (s Scope) sessionSel() string { return config.SessionSelector(s.Namespace, s.SessionLabels) }

// promDuration writes d as a Prometheus duration in whole seconds.
func promDuration(d time.Duration) string { return strconv.FormatInt(int64(d/time.Second), 10) + "s" }

// figures are the queries of an observation over window ending at at.
func (s Scope) figures(window time.Duration, at time.Time) []figure {
	w := "[" + promDuration(window) + ":" + subStep + "]"
	const (
		cadvisor = "cAdvisor (the kubelet's /metrics/cadvisor)"
		ksm      = "kube-state-metrics"
		kubelet  = "the kubelet's volume stats (/metrics)"
	)
	ready := "sum(" + s.pods().Owned("kube_pod_status_ready"+s.podSel(`condition="true"`)) + ")"
	sessions := "sum(" + s.SessionMetric + s.sessionSel() + ")"
	cpu := "sum by (pod) (" + s.pods().Owned("rate(container_cpu_usage_seconds_total"+s.containerSel()+"["+rateWindow+"])") + ")"
	mem := "max by (pod) (" + s.pods().Owned("container_memory_working_set_bytes"+s.containerSel()) + ")"
	pvc := "max by (persistentvolumeclaim) (kubelet_volume_stats_used_bytes" + s.pvcSel() + ")" +
		" / max by (persistentvolumeclaim) (kubelet_volume_stats_capacity_bytes" + s.pvcSel() + ")"
	readyF := func(name, fn string) figure {
		return figure{name, fn + "(" + ready + w + ")", "kube_pod_status_ready", s.podSel(`condition="true"`), ksm}
	}
	sessF := func(name, q string) figure {
		return figure{name, q, s.SessionMetric, s.sessionSel(), "the application (capacity.yaml spec.sessionMetric)"}
	}
	cpuSel := "container_cpu_usage_seconds_total" + s.containerSel()
	memSel := s.pods().Owned("container_memory_working_set_bytes" + s.containerSel())
	// The raw samples of the workload's containers: a Deployment's are those
	// of pods it owned at some point of the window.
	samples := "sum(count_over_time(" + cpuSel + "[" + promDuration(window) + "]))"
	if s.Deployment {
		samples = "sum(count_over_time(" + cpuSel + "[" + promDuration(window) + "])\n    * on (namespace, pod) group_left () max_over_time(" + s.pods().OwnedPods() + w + "))"
	}
	fs := []figure{
		readyF("podsMin", "min_over_time"),
		readyF("podsMax", "max_over_time"),
		readyF("podsAvg", "avg_over_time"),
	}
	if s.SessionMetric != "" {
		fs = append(fs,
			sessF("sessionsPeak", "max_over_time("+sessions+w+")"),
			sessF("sessionsP95", "quantile_over_time(0.95, "+sessions+w+")"),
			// Sessions per ready pod at the busiest sample: the ratio where the
			// sessions equal their peak over the whole window (pinned with @).
			sessF("usersPerPod", fmt.Sprintf("max_over_time(((%s / %s) and on() (%s >= on() scalar(max_over_time(%s%s @ %d))))%s)",
				sessions, ready, sessions, sessions, w, at.Unix(), w)))
	}
	fs = append(fs, []figure{
		{"cpuP95", "max(quantile_over_time(0.95, " + cpu + w + "))", "container_cpu_usage_seconds_total", s.containerSel(), cadvisor},
		{"cpuMax", "max(max_over_time(" + cpu + w + "))", "container_cpu_usage_seconds_total", s.containerSel(), cadvisor},
		{"memMax", "max(max_over_time(" + mem + w + "))", "container_memory_working_set_bytes", s.containerSel(), cadvisor},
		{"memP95", "max(quantile_over_time(0.95, " + mem + w + "))", "container_memory_working_set_bytes", s.containerSel(), cadvisor},
		// Minutes with data and raw samples, for tune's refusal.
		{"dataMinutes", "count_over_time(max(" + memSel + ")" + w + ")", "container_memory_working_set_bytes", s.containerSel(), cadvisor},
		{"samples", samples, "container_cpu_usage_seconds_total", s.containerSel(), cadvisor},
	}...)
	if !s.NoVolumes {
		fs = append(fs, figure{"pvcMax", "max(max_over_time((" + pvc + ")" + w + ")) * 100", "kubelet_volume_stats_used_bytes", s.pvcSel(), kubelet})
	}
	if s.HPA {
		fs = append(fs, figure{"hpaAtMax",
			// Minutes at the maximum: 1 per 1m step with current >= max.
			"sum_over_time((max(kube_horizontalpodautoscaler_status_current_replicas" + s.hpaSel() + ") >= bool max(kube_horizontalpodautoscaler_spec_max_replicas" + s.hpaSel() + "))" + w + ")",
			"kube_horizontalpodautoscaler_status_current_replicas", s.hpaSel(), ksm})
	}
	return fs
}

// podFigures are the queries of the imbalance figures: each pod's p95 CPU
// and, with a session metric, each pod's peak sessions, by pod.
func (s Scope) podFigures(window time.Duration) []figure {
	w := "[" + promDuration(window) + ":" + subStep + "]"
	cpu := "sum by (pod) (" + s.pods().Owned("rate(container_cpu_usage_seconds_total"+s.containerSel()+"["+rateWindow+"])") + ")"
	fs := []figure{{"cpuP95ByPod", "quantile_over_time(0.95, " + cpu + w + ")", "container_cpu_usage_seconds_total", s.containerSel(), "cAdvisor (the kubelet's /metrics/cadvisor)"}}
	if s.SessionMetric != "" {
		sessions := "sum by (pod) (" + s.pods().Owned(s.SessionMetric+s.podSel()) + ")"
		fs = append(fs, figure{"sessionsPeakByPod", "max_over_time(" + sessions + w + ")", s.SessionMetric, s.podSel(), "the application (capacity.yaml sessionMetric)"})
	}
	return fs
}

// QueryCount is the number of queries observing scopes makes: the same for
// any window, pod count or fleet, and for any number of workloads with the
// same figures (each figure is one query for all of them).
func QueryCount(scopes []Scope) int {
	names := map[string]bool{}
	for _, s := range scopes {
		for _, f := range append(s.figures(time.Hour, time.Unix(0, 0)), s.podFigures(time.Hour)...) {
			names[f.name] = true
		}
	}
	return len(names)
}

// ParseWindow reads a Prometheus-style duration of whole units (7d, 36h,
// 1w2d, 90m) between an hour and 90 days.
func ParseWindow(v string) (time.Duration, error) {
	units := []struct {
		suffix string
		d      time.Duration
	}{{"w", 7 * 24 * time.Hour}, {"d", 24 * time.Hour}, {"h", time.Hour}, {"m", time.Minute}}
	rest, total, last := v, time.Duration(0), -1
	if rest == "" {
		return 0, fmt.Errorf("empty window")
	}
	for rest != "" {
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 0 || i > 6 {
			return 0, fmt.Errorf("window %q is not a duration such as 7d, 36h or 1w2d", v)
		}
		n, _ := strconv.Atoi(rest[:i])
		rest = rest[i:]
		found := false
		for k, u := range units {
			if strings.HasPrefix(rest, u.suffix) && k > last {
				total += time.Duration(n) * u.d
				rest, last, found = rest[len(u.suffix):], k, true
				break
			}
		}
		if !found {
			return 0, fmt.Errorf("window %q is not a duration such as 7d, 36h or 1w2d", v)
		}
	}
	if total < time.Hour || total > 90*24*time.Hour {
		return 0, fmt.Errorf("window %q must be between 1h and 90d", v)
	}
	return total, nil
}

// ParseTime reads --at: RFC 3339 or unix seconds.
func ParseTime(v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.UTC(), nil
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil && f > 0 && f < 1e11 {
		sec := int64(f)
		return time.Unix(sec, int64((f-float64(sec))*1e9)).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("%q is neither RFC 3339 (2026-01-31T12:00:00Z) nor unix seconds", v)
}
