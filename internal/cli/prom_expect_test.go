package cli_test

import (
	"math"
	"regexp"
	"sort"
	"time"

	"github.com/coditect/phasegen/internal/history"
	"github.com/coditect/phasegen/internal/promtest"
)

// The end of the generated history every test queries at (--at).
var historyEnd = time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)

// Namespaces of the test environments beside production (see
// promConfig): fleet has 30 pods at its peak, under an HPA that reaches its
// maximum; solo has one pod.
const (
	fleetNS = "coditect-fleet"
	soloNS  = "coditect-solo"
)

func fleetOptions() history.Options {
	o := history.Production(historyEnd)
	o.Namespace, o.Decoys = fleetNS, false
	o.Start, o.Duration = historyEnd.Add(-11*time.Hour), 11*time.Hour+time.Minute
	o.PeakSessions, o.NightSessions, o.PodsPerSession = 40, 20, 1
	return o
}

func soloOptions() history.Options {
	o := history.Production(historyEnd)
	o.Namespace, o.Decoys = soloNS, false
	o.Start, o.Duration = historyEnd.Add(-2*time.Hour), 2*time.Hour+time.Minute
	o.MinPods, o.MaxPods, o.PeakSessions, o.NightSessions = 1, 1, 2, 1
	return o
}

// promServer is the one Prometheus of this test binary, serving the
// production, fleet and solo histories and the alerts of firingAlerts.
var promServer = &promtest.Shared{Build: func() *history.History {
	return history.Merge(history.Generate(history.Production(historyEnd)),
		history.Generate(fleetOptions()), history.Generate(soloOptions()), history.Generate(shopOptions()),
		history.Generate(storeAPIOptions()), history.Generate(storeDBOptions()), history.Generate(skewOptions()),
		history.Alerts(firingAlerts()...))
}}

// firingAlerts are ALERTS series over the last 6 hours of the history:
// production's (namespace coditect-app) WorkloadCPUHigh on two pods and
// WorkloadSessionsOverCapacity firing, and decoys wait must not report:
// the same alert in another namespace, one of the phase's alerts pending,
// another rule's alert firing in the namespace, and one of the phase's
// alerts that resolved 3 hours before the end.
func firingAlerts() []history.Alert {
	from := historyEnd.Add(-6 * time.Hour)
	l := func(kv ...string) []history.Label {
		var out []history.Label
		for i := 0; i+1 < len(kv); i += 2 {
			out = append(out, history.Label{Name: kv[i], Value: kv[i+1]})
		}
		return out
	}
	return []history.Alert{
		{Name: "WorkloadCPUHigh", State: "firing", Labels: l("namespace", "coditect-app", "pod", "coditect-combined-1", "severity", "warning"), From: from, To: historyEnd},
		{Name: "WorkloadCPUHigh", State: "firing", Labels: l("namespace", "coditect-app", "pod", "coditect-combined-3", "severity", "warning"), From: from, To: historyEnd},
		{Name: "WorkloadSessionsOverCapacity", State: "firing", Labels: l("namespace", "coditect-app", "severity", "critical"), From: from, To: historyEnd},
		// Decoys.
		{Name: "WorkloadCPUHigh", State: "firing", Labels: l("namespace", fleetNS, "pod", "coditect-combined-2", "severity", "warning"), From: from, To: historyEnd},
		{Name: "WorkloadMemoryHigh", State: "pending", Labels: l("namespace", "coditect-app", "pod", "coditect-combined-1", "severity", "warning"), From: from, To: historyEnd},
		{Name: "KubePodCrashLooping", State: "firing", Labels: l("namespace", "coditect-app", "pod", "coditect-combined-4", "container", "coditect-combined", "severity", "warning"), From: from, To: historyEnd},
		{Name: "WorkloadPVCAlmostFull", State: "firing", Labels: l("namespace", "coditect-app", "persistentvolumeclaim", "workspace-coditect-combined-0", "severity", "warning"), From: from, To: historyEnd.Add(-3 * time.Hour)},
	}
}

// The expected figures, computed from the generated samples with
// Prometheus's own semantics: a 5m lookback for instant values, 1m
// subquery steps aligned to the minute, rate() extrapolated as Prometheus
// 2.x does over a closed [t-5m, t] range, quantile interpolated between ranks.

const lookback = 5 * 60 * 1000

type expected struct {
	podsMin, podsMax, podsAvg float64
	sessionsPeak, sessionsP95 float64
	usersPerPod               float64
	cpuP95, cpuMax            float64
	memMax                    float64
	pvcMax                    float64
	hpaAtMax                  float64
	dataMinutes               float64
	// The busiest pod's p95 CPU against the median pod's, and which pod.
	cpuRatio float64
	busiest  string
}

// valueAt is the series' value at t (ms), or false.
func valueAt(s *history.Series, t int64) (float64, bool) {
	i := sort.Search(len(s.Samples), func(i int) bool { return s.Samples[i].T > t }) - 1
	if i < 0 || s.Samples[i].T <= t-lookback {
		return 0, false
	}
	return s.Samples[i].V, true
}

// rateAt is rate(s[5m]) at t.
func rateAt(s *history.Series, t int64) (float64, bool) {
	lo := sort.Search(len(s.Samples), func(i int) bool { return s.Samples[i].T >= t-lookback })
	hi := sort.Search(len(s.Samples), func(i int) bool { return s.Samples[i].T > t })
	pts := s.Samples[lo:hi]
	if len(pts) < 2 {
		return 0, false
	}
	first, last := pts[0], pts[len(pts)-1]
	delta := last.V - first.V
	for i := 1; i < len(pts); i++ {
		if pts[i].V < pts[i-1].V {
			delta += pts[i-1].V
		}
	}
	rangeStart, rangeEnd := float64(t-lookback)/1000, float64(t)/1000
	toStart, toEnd := float64(first.T)/1000-rangeStart, rangeEnd-float64(last.T)/1000
	sampled := float64(last.T-first.T) / 1000
	avg := sampled / float64(len(pts)-1)
	if delta > 0 && first.V >= 0 {
		if toZero := sampled * (first.V / delta); toZero < toStart {
			toStart = toZero
		}
	}
	interval := sampled
	threshold := avg * 1.1
	if toStart < threshold {
		interval += toStart
	} else {
		interval += avg / 2
	}
	if toEnd < threshold {
		interval += toEnd
	} else {
		interval += avg / 2
	}
	return delta * (interval / sampled) / (lookback / 1000), true
}

// quantile is Prometheus's quantile over values.
func quantile(q float64, vs []float64) float64 {
	s := append([]float64(nil), vs...)
	sort.Float64s(s)
	rank := q * float64(len(s)-1)
	lo := math.Floor(rank)
	hi := math.Min(lo+1, float64(len(s)-1))
	w := rank - lo
	return s[int(lo)]*(1-w) + s[int(hi)]*w
}

// steps are the subquery's evaluation times (ms) of a window ending at at.
func steps(window time.Duration, at time.Time) []int64 {
	var out []int64
	end := at.UnixMilli() / 60000 * 60000
	for t := end; t > at.UnixMilli()-window.Milliseconds(); t -= 60000 {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// expect computes the status figures of namespace ns from h, for the
// StatefulSet workload (pods <workload>-N, container named like it).
func expect(h *history.History, ns, workload, sessionMetric string, window time.Duration, at time.Time) expected {
	podRe := regexp.MustCompile("^" + workload + "-[0-9]+$")
	pvcRe := regexp.MustCompile("^.*-" + workload + "-[0-9]+$")
	return expectOf(h, ns, podRe.MatchString, workload, sessionMetric, pvcRe, window, at)
}

// ownedBy is whether a pod of ns belongs to Deployment name, read from
// kube-state-metrics' owner series in h: owned by a ReplicaSet the
// Deployment owns.
func ownedBy(h *history.History, ns, name string) func(pod string) bool {
	nsL := history.Label{Name: "namespace", Value: ns}
	rs := map[string]bool{}
	for _, s := range h.Select("kube_replicaset_owner", nsL, history.Label{Name: "owner_kind", Value: "Deployment"}, history.Label{Name: "owner_name", Value: name}) {
		rs[s.Label("replicaset")] = true
	}
	pods := map[string]bool{}
	for _, s := range h.Select("kube_pod_owner", nsL, history.Label{Name: "owner_kind", Value: "ReplicaSet"}) {
		if rs[s.Label("owner_name")] {
			pods[s.Label("pod")] = true
		}
	}
	return func(pod string) bool { return pods[pod] }
}

// expectOf computes the status figures of the pods of ns that owns
// matches, their container, and the claims pvcRe matches (nil: none).
func expectOf(h *history.History, ns string, owns func(pod string) bool, container, sessionMetric string, pvcRe *regexp.Regexp, window time.Duration, at time.Time) expected {
	var e expected
	nsL := history.Label{Name: "namespace", Value: ns}
	mine := func(ss []*history.Series) []*history.Series {
		var out []*history.Series
		for _, s := range ss {
			if owns(s.Label("pod")) {
				out = append(out, s)
			}
		}
		return out
	}
	ready := mine(h.Select("kube_pod_status_ready", nsL, history.Label{Name: "condition", Value: "true"}))
	sessions := h.Select(sessionMetric, nsL)
	cpu := mine(h.Select("container_cpu_usage_seconds_total", nsL, history.Label{Name: "container", Value: container}))
	mem := mine(h.Select("container_memory_working_set_bytes", nsL, history.Label{Name: "container", Value: container}))
	var used, capa []*history.Series
	if pvcRe != nil {
		used = filter(h.Select("kubelet_volume_stats_used_bytes", nsL), "persistentvolumeclaim", pvcRe)
		capa = filter(h.Select("kubelet_volume_stats_capacity_bytes", nsL), "persistentvolumeclaim", pvcRe)
	}
	hpaCur := h.Select("kube_horizontalpodautoscaler_status_current_replicas", nsL)
	hpaMax := h.Select("kube_horizontalpodautoscaler_spec_max_replicas", nsL)

	var readyV, sessV []float64
	type pair struct{ s, r float64 }
	var pairs []pair
	cpuBy := map[string][]float64{}
	hpaAt := 0
	windowSteps := steps(window, at)
	e.podsMin, e.memMax = math.Inf(1), 0
	for _, t := range windowSteps {
		r, rok := sum(ready, t)
		s, sok := sum(sessions, t)
		if rok {
			readyV = append(readyV, r)
			e.podsMin, e.podsMax = math.Min(e.podsMin, r), math.Max(e.podsMax, r)
		}
		if sok {
			sessV = append(sessV, s)
		}
		if rok && sok {
			pairs = append(pairs, pair{s, r})
		}
		for _, c := range cpu {
			if v, ok := rateAt(c, t); ok {
				cpuBy[c.Label("pod")] = append(cpuBy[c.Label("pod")], v)
			}
		}
		anyMem := false
		for _, m := range mem {
			if v, ok := valueAt(m, t); ok {
				e.memMax, anyMem = math.Max(e.memMax, v), true
			}
		}
		if anyMem {
			e.dataMinutes++
		}
		for i, u := range used {
			uv, ok1 := valueAt(u, t)
			cv, ok2 := valueAt(capa[i], t)
			if ok1 && ok2 {
				e.pvcMax = math.Max(e.pvcMax, uv/cv*100)
			}
		}
		if len(hpaCur) == 1 {
			c, ok1 := valueAt(hpaCur[0], t)
			m, ok2 := valueAt(hpaMax[0], t)
			if ok1 && ok2 && c >= m {
				hpaAt++
			}
		}
	}
	for _, v := range readyV {
		e.podsAvg += v / float64(len(readyV))
	}
	for _, v := range sessV {
		e.sessionsPeak = math.Max(e.sessionsPeak, v)
	}
	if len(sessV) > 0 {
		e.sessionsP95 = quantile(0.95, sessV)
	}
	for _, p := range pairs {
		if p.s >= e.sessionsPeak {
			e.usersPerPod = math.Max(e.usersPerPod, p.s/p.r)
		}
	}
	var p95s []float64
	for pod, vs := range cpuBy {
		q := quantile(0.95, vs)
		p95s = append(p95s, q)
		if q > e.cpuP95 || (q == e.cpuP95 && pod < e.busiest) {
			e.cpuP95, e.busiest = q, pod
		}
		for _, v := range vs {
			e.cpuMax = math.Max(e.cpuMax, v)
		}
	}
	if m := quantile(0.5, p95s); len(p95s) > 1 && m > 0 {
		e.cpuRatio = e.cpuP95 / m
	}
	// The share of the window's 1m steps, whether or not the HPA had data.
	e.hpaAtMax = float64(hpaAt) / float64(len(windowSteps))
	return e
}

func filter(ss []*history.Series, label string, re *regexp.Regexp) []*history.Series {
	var out []*history.Series
	for _, s := range ss {
		if re.MatchString(s.Label(label)) {
			out = append(out, s)
		}
	}
	return out
}

func sum(ss []*history.Series, t int64) (float64, bool) {
	total, any := 0.0, false
	for _, s := range ss {
		if v, ok := valueAt(s, t); ok {
			total, any = total+v, true
		}
	}
	return total, any
}
