// Package history generates a workload's metric history with known answers,
// in the OpenMetrics text format `promtool tsdb create-blocks-from
// openmetrics` backfills: cAdvisor CPU and memory (the workload's container,
// the pod-level container="" series and the pause container="POD"),
// kube-state-metrics pod readiness, resource limits and HPA status, kubelet
// volume stats and the application's session gauge, at a 1-minute step, for
// pods an HPA adds and removes as a daily sessions curve rises and falls. The
// tests that read it back through a real Prometheus compute their expected
// figures from Series, and `make demo` observes it.
package history

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Step is the scrape interval of every series.
const Step = time.Minute

// slot is how long the HPA keeps a pod count (and a pod its load).
const slot = 30 * time.Minute

// terminating is how long a pod the HPA removed stays, not ready, before its
// series end.
const terminating = 6 * time.Minute

const (
	mib = 1 << 20
	gib = 1 << 30
)

// Options shape one workload's history.
type Options struct {
	Namespace, Workload string
	SessionMetric       string
	Start               time.Time     // first sample, on a minute
	Duration            time.Duration // samples from Start to Start+Duration-Step
	MinPods, MaxPods    int           // the HPA floor and ceiling (equal: fixed replicas)
	HPA                 bool          // export kube_horizontalpodautoscaler_* for <workload>-hpa
	// PeakSessions is the total sessions at the busiest half hour of the
	// last day; earlier days peak lower, nights hold NightSessions.
	PeakSessions, NightSessions float64
	// PodsPerSession is how many pods the HPA runs per session (ceil,
	// clamped to MinPods-MaxPods).
	PodsPerSession float64
	HotPod         int // the pod that carries extra CPU and memory
	CPULimit       float64
	MemoryLimit    float64 // bytes
	// Decoys adds series the workload's selectors must not pick up: another
	// StatefulSet's PVC in the namespace, a busy sidecar in every pod; for a
	// Deployment also a Deployment <workload>-v2's pod and a Job's pod
	// named like the workload's, busier than any of its pods.
	Decoys bool
	// Deployment makes the workload a Deployment: its pods are
	// <workload>-<template hash>-<suffix>, kube-state-metrics' owner series
	// tie them to their ReplicaSets and those to the Deployment, and it has
	// no volumes. RolloutAt (after Start; 0: none) is when a rollout
	// replaces every pod with one of a new ReplicaSet.
	Deployment bool
	RolloutAt  time.Duration
	// Container is the sized container's name; default Workload.
	Container string
	// SkewPod, with SkewFor > 0, carries twice its CPU from SkewFrom
	// (after Start) for SkewFor: a pod a sticky client keeps busy.
	SkewPod           int
	SkewFrom, SkewFor time.Duration
}

// container is the sized container's name.
func (o Options) container() string {
	if o.Container != "" {
		return o.Container
	}
	return o.Workload
}

// Production is the shipped production environment's history as the tests
// and the demo use it: 3 days ending at end, pods 10-15 under an HPA of
// 10-30, sessions peaking at 13 on the last afternoon (more than pre-launch's
// 10 users), pod 1 hot, pod 0's workspace filling.
func Production(end time.Time) Options {
	d := 72 * time.Hour
	return Options{
		Namespace: "coditect-app", Workload: "coditect-combined", SessionMetric: "coditect_active_sessions",
		Start: end.Add(-d + Step), Duration: d, MinPods: 10, MaxPods: 30, HPA: true,
		PeakSessions: 13, NightSessions: 2, PodsPerSession: 1.1, HotPod: 1,
		CPULimit: 2, MemoryLimit: 2 * gib, Decoys: true,
	}
}

// Label is one name="value" pair.
type Label struct{ Name, Value string }

// Sample is one value at a time (milliseconds since the epoch).
type Sample struct {
	T int64
	V float64
}

// Series is one time series.
type Series struct {
	Metric  string
	Labels  []Label
	Samples []Sample
}

// Label returns the value of label name, or "".
func (s *Series) Label(name string) string {
	for _, l := range s.Labels {
		if l.Name == name {
			return l.Value
		}
	}
	return ""
}

// History is the generated series.
type History struct {
	Options
	End    time.Time // the last sample's time
	Series []*Series
	types  map[string]string
}

// Select returns the series of metric whose labels include every pair of match.
func (h *History) Select(metric string, match ...Label) []*Series {
	var out []*Series
	for _, s := range h.Series {
		if s.Metric != metric {
			continue
		}
		ok := true
		for _, m := range match {
			if s.Label(m.Name) != m.Value {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, s)
		}
	}
	return out
}

// podState is one pod in one minute.
type podState struct {
	alive, ready bool
	sessions     float64
	cpu          float64 // cores
	memory       float64 // bytes
}

// Merge returns one history holding the series of all of hs (for one
// Prometheus serving several namespaces).
func Merge(hs ...*History) *History {
	out := &History{types: map[string]string{}}
	for _, h := range hs {
		out.Series = append(out.Series, h.Series...)
		for k, v := range h.types {
			out.types[k] = v
		}
		if h.End.After(out.End) {
			out.End = h.End
		}
	}
	return out
}

// sessionsAt is the total sessions of the half hour starting at t.
func (o Options) sessionsAt(t time.Time) float64 {
	hour := float64(t.UTC().Hour()) + float64(t.UTC().Minute())/60
	days := o.Duration.Hours() / 24
	day := math.Floor(t.Sub(o.Start).Hours() / 24)
	growth := 1.0
	if days > 1 {
		growth = 0.7 + 0.3*math.Min(day/(math.Ceil(days)-1), 1)
	}
	bell := math.Exp(-math.Pow((hour-14.25)/3, 2))
	return math.Round(o.NightSessions + (o.PeakSessions-o.NightSessions)*growth*bell)
}

func (o Options) podsFor(sessions float64) int {
	n := int(math.Ceil(sessions*o.PodsPerSession - 1e-9))
	return min(max(n, o.MinPods), o.MaxPods)
}

// Generate builds the history o describes.
func Generate(o Options) *History {
	steps := int(o.Duration / Step)
	g := &generator{o: o, steps: steps, pods: map[string]*podSeries{},
		h: &History{Options: o, End: o.Start.Add(time.Duration(steps-1) * Step), types: map[string]string{}}}
	w, ns := o.Workload, o.Namespace
	if o.HPA {
		hl := lbl("horizontalpodautoscaler", w+"-hpa", "namespace", ns)
		g.hpaCur = g.add("gauge", "kube_horizontalpodautoscaler_status_current_replicas", hl...)
		g.hpaMax = g.add("gauge", "kube_horizontalpodautoscaler_spec_max_replicas", hl...)
	}
	if o.Decoys {
		g.decoyUsed = g.add("gauge", "kubelet_volume_stats_used_bytes", lbl("namespace", ns, "persistentvolumeclaim", "data-postgres-0")...)
		g.decoyCap = g.add("gauge", "kubelet_volume_stats_capacity_bytes", lbl("namespace", ns, "persistentvolumeclaim", "data-postgres-0")...)
	}
	if o.Deployment {
		g.deploymentSeries()
	}
	for s := 0; s < steps; s++ {
		g.step(s)
	}
	return g.h
}

// generator writes the series of a History, one step at a time.
type generator struct {
	o     Options
	h     *History
	steps int
	pods  map[string]*podSeries // by pod name

	deployment deploymentSeries

	hpaCur, hpaMax, decoyUsed, decoyCap *Series
}

// podSeries are the series of one pod (by ordinal).
type podSeries struct {
	cpu, cpuPod, cpuAll, mem, memPod, memAll *Series
	sideCPU, sideMem                         *Series // the log-shipper sidecar (with Decoys)
	ready                                    [3]*Series
	limCPU, limMem, sessions                 *Series
	wsUsed, wsCap, cfgUsed, cfgCap           *Series
	owner                                    *Series // a Deployment's pod: kube_pod_owner
	counter, counterPod, counterSide         float64
}

func (g *generator) add(typ, metric string, labels ...Label) *Series {
	s := &Series{Metric: metric, Labels: labels}
	g.h.Series = append(g.h.Series, s)
	g.h.types[metric] = typ
	return s
}

func lbl(kv ...string) []Label {
	out := make([]Label, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, Label{kv[i], kv[i+1]})
	}
	return out
}

// series returns pod i's series, made the first time the pod runs.
func (g *generator) series(i int, since time.Duration) *podSeries {
	pod := g.podName(i, since)
	if g.pods[pod] != nil {
		return g.pods[pod]
	}
	w, ns := g.o.container(), g.o.Namespace
	cad := func(metric, container string) *Series {
		return g.add(map[bool]string{true: "counter", false: "gauge"}[strings.HasSuffix(metric, "_total")], metric,
			lbl("container", container, "namespace", ns, "pod", pod)...)
	}
	ps := &podSeries{
		cpu: cad("container_cpu_usage_seconds_total", w), cpuPod: cad("container_cpu_usage_seconds_total", "POD"),
		cpuAll: cad("container_cpu_usage_seconds_total", ""),
		mem:    cad("container_memory_working_set_bytes", w), memPod: cad("container_memory_working_set_bytes", "POD"),
		memAll: cad("container_memory_working_set_bytes", ""),
	}
	if g.o.Decoys {
		// A sidecar in every pod, busy: a selector that loses the
		// container would count it.
		ps.sideCPU, ps.sideMem = cad("container_cpu_usage_seconds_total", "log-shipper"), cad("container_memory_working_set_bytes", "log-shipper")
	}
	for j, c := range []string{"true", "false", "unknown"} {
		ps.ready[j] = g.add("gauge", "kube_pod_status_ready", lbl("condition", c, "namespace", ns, "pod", pod, "uid", fmt.Sprintf("uid-%s-%d", ns, i))...)
	}
	ps.limCPU = g.add("gauge", "kube_pod_container_resource_limits", lbl("container", w, "namespace", ns, "pod", pod, "resource", "cpu", "unit", "core")...)
	ps.limMem = g.add("gauge", "kube_pod_container_resource_limits", lbl("container", w, "namespace", ns, "pod", pod, "resource", "memory", "unit", "byte")...)
	if g.o.SessionMetric != "" {
		ps.sessions = g.add("gauge", g.o.SessionMetric, lbl("namespace", ns, "pod", pod)...)
	}
	if g.o.Deployment {
		ps.owner = g.podOwner(pod, g.replicaSet(since))
		g.pods[pod] = ps
		return ps
	}
	vol := func(metric, claim string) *Series {
		return g.add("gauge", metric, lbl("namespace", ns, "persistentvolumeclaim", claim+"-"+pod)...)
	}
	ps.wsUsed, ps.wsCap = vol("kubelet_volume_stats_used_bytes", "workspace"), vol("kubelet_volume_stats_capacity_bytes", "workspace")
	ps.cfgUsed, ps.cfgCap = vol("kubelet_volume_stats_used_bytes", "config"), vol("kubelet_volume_stats_capacity_bytes", "config")
	g.pods[pod] = ps
	return ps
}

// step writes the samples of step s.
func (g *generator) step(s int) {
	o := g.o
	t := o.Start.Add(time.Duration(s) * Step)
	ms := t.UnixMilli()
	since := t.Sub(o.Start)
	slotStart := o.Start.Add(since / slot * slot)
	sessions := o.sessionsAt(slotStart)
	n := o.podsFor(sessions)
	prev := n
	if slotStart.After(o.Start) {
		prev = o.podsFor(o.sessionsAt(slotStart.Add(-slot)))
	}
	inTerm := t.Sub(slotStart) < terminating
	for i := 0; i < o.MaxPods; i++ {
		st := g.state(s, i, n, sessions, since)
		if i >= n && i < prev && inTerm {
			st.alive = true
			st.cpu, st.memory = 0.01, 400*mib
		}
		if !st.alive {
			if ps := g.pods[g.podName(i, since)]; ps != nil {
				// A pod that left and comes back starts a new container.
				ps.counter, ps.counterPod, ps.counterSide = 0, 0, 0
			}
			continue
		}
		g.record(g.series(i, since), st, i, ms, since)
	}
	if o.HPA {
		g.hpaCur.Samples = append(g.hpaCur.Samples, Sample{ms, float64(n)})
		g.hpaMax.Samples = append(g.hpaMax.Samples, Sample{ms, float64(o.MaxPods)})
	}
	if o.Deployment {
		g.deploymentStep(ms)
	}
	if o.Decoys {
		g.decoyUsed.Samples = append(g.decoyUsed.Samples, Sample{ms, 47.5 * gib})
		g.decoyCap.Samples = append(g.decoyCap.Samples, Sample{ms, 50 * gib})
	}
}

// state is pod i at step s when n pods serve sessions (a pod past n is not
// alive here; step keeps a terminating one alive).
func (g *generator) state(s, i, n int, sessions float64, since time.Duration) podState {
	o := g.o
	st := podState{}
	if i >= n {
		return st
	}
	st.alive, st.ready = true, true
	st.sessions = math.Floor(sessions / float64(n))
	if float64(i) < sessions-st.sessions*float64(n) {
		st.sessions++
	}
	load := sessions / o.PeakSessions
	st.cpu = 0.05 + 0.12*st.sessions + 0.2*load + 0.01*float64(i%3)
	st.memory = 400*mib + 180*mib*st.sessions + 8*mib*float64(i%4) + float64((s*7919+i*104729)%997)*4096
	if o.SkewFor > 0 && i == o.SkewPod && since >= o.SkewFrom && since < o.SkewFrom+o.SkewFor {
		st.cpu *= 2
	}
	if i == o.HotPod {
		// The hot pod: a heavy user's builds, and one half hour of a
		// runaway job in the middle of the history.
		st.cpu += 0.3 + 0.4*load
		st.memory += 300 * mib
		if since/slot == time.Duration(g.steps)*Step/slot/2 {
			st.cpu = 1.45
		}
	}
	return st
}

// record appends pod i's samples at ms.
func (g *generator) record(ps *podSeries, st podState, i int, ms int64, since time.Duration) {
	o := g.o
	ps.counter += st.cpu * Step.Seconds()
	ps.counterPod += 0.001 * Step.Seconds()
	push := func(se *Series, v float64) { se.Samples = append(se.Samples, Sample{ms, v}) }
	push(ps.cpu, ps.counter)
	if ps.sideCPU != nil {
		ps.counterSide += 1.5 * Step.Seconds()
		push(ps.sideCPU, ps.counterSide)
		push(ps.sideMem, 900*mib)
	}
	push(ps.cpuPod, ps.counterPod)
	push(ps.cpuAll, ps.counter+ps.counterPod)
	push(ps.mem, st.memory)
	push(ps.memPod, 1*mib)
	push(ps.memAll, st.memory+1*mib)
	push(ps.ready[0], b2f(st.ready))
	push(ps.ready[1], b2f(!st.ready))
	push(ps.ready[2], 0)
	push(ps.limCPU, o.CPULimit)
	push(ps.limMem, o.MemoryLimit)
	if ps.sessions != nil {
		push(ps.sessions, st.sessions)
	}
	if o.Deployment {
		push(ps.owner, 1)
		return
	}
	used := 5*gib + 0.5*gib*float64(i)
	if i == 0 {
		used = 20*gib + 21*gib*since.Seconds()/o.Duration.Seconds()
	}
	push(ps.wsUsed, math.Round(used))
	push(ps.wsCap, 50*gib)
	push(ps.cfgUsed, 200*mib)
	push(ps.cfgCap, 5*gib)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// WriteOpenMetrics writes the history as OpenMetrics text: each metric family
// once, its series one after another, timestamps in seconds, then # EOF.
func (h *History) WriteOpenMetrics(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	byMetric := map[string][]*Series{}
	var names []string
	for _, s := range h.Series {
		if len(s.Samples) == 0 {
			continue
		}
		if _, ok := byMetric[s.Metric]; !ok {
			names = append(names, s.Metric)
		}
		byMetric[s.Metric] = append(byMetric[s.Metric], s)
	}
	sort.Strings(names)
	buf := make([]byte, 0, 256)
	for _, name := range names {
		family, typ := name, h.types[name]
		if typ == "counter" {
			family = strings.TrimSuffix(name, "_total")
		}
		fmt.Fprintf(bw, "# TYPE %s %s\n", family, typ)
		for _, s := range byMetric[name] {
			prefix := []byte(name + "{")
			for i, l := range s.Labels {
				if i > 0 {
					prefix = append(prefix, ',')
				}
				prefix = append(prefix, l.Name...)
				prefix = append(prefix, '=')
				prefix = strconv.AppendQuote(prefix, l.Value)
			}
			prefix = append(prefix, "} "...)
			for _, sm := range s.Samples {
				buf = append(buf[:0], prefix...)
				buf = strconv.AppendFloat(buf, sm.V, 'g', -1, 64)
				buf = append(buf, ' ')
				buf = strconv.AppendInt(buf, sm.T/1000, 10)
				buf = append(buf, '\n')
				if _, err := bw.Write(buf); err != nil {
					return err
				}
			}
		}
	}
	if _, err := bw.WriteString("# EOF\n"); err != nil {
		return err
	}
	return bw.Flush()
}

// Alert is one series of Prometheus's ALERTS metric as its rule evaluation
// writes it: value 1 at every evaluation from From to To (inclusive) while
// the alert is in State ("pending" or "firing"), labelled with the alert's
// name and state, the labels its expression's result carries (namespace,
// pod, …) and the rule's own (severity).
type Alert struct {
	Name, State string
	Labels      []Label
	From, To    time.Time // on a minute
}

// Alerts returns the history of the ALERTS series of as, at Step. An alert
// that resolved simply ends: Prometheus would write a stale marker, which
// OpenMetrics cannot carry, so a query within 5 minutes of To still sees
// it; tests keep resolved alerts further from the time they query.
func Alerts(as ...Alert) *History {
	h := &History{types: map[string]string{"ALERTS": "gauge"}}
	for _, a := range as {
		s := &Series{Metric: "ALERTS", Labels: append([]Label{{"alertname", a.Name}, {"alertstate", a.State}}, a.Labels...)}
		for t := a.From; !t.After(a.To); t = t.Add(Step) {
			s.Samples = append(s.Samples, Sample{t.UnixMilli(), 1})
		}
		if a.To.After(h.End) {
			h.End = a.To
		}
		h.Series = append(h.Series, s)
	}
	return h
}
