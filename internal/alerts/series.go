package alerts

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// generator writes the input series of the generated promtool tests.
type generator struct {
	t       *target
	step    time.Duration
	samples int // evaluation steps the series cover
}

// alertCase is one alert's part of the tests: series just above and just below the threshold,
// the labels and value of the alert the above series raise, and how long
// after the start the condition may take to hold (a rate needs a window).
type alertCase struct {
	alert        string
	above, below []inputSeries
	labels       map[string]string
	value        float64
	ramp         time.Duration
}

func (g *generator) cases() []alertCase {
	a := g.t.alerts
	var cases []alertCase
	if g.t.cpuBasis != basisNone {
		cases = append(cases, g.cpu(float64(a.CPUPercent)))
	}
	if g.t.memoryBasis != basisNone {
		cases = append(cases, g.memory(float64(a.MemoryPercent)))
	}
	if g.t.autoscaling != nil {
		cases = append(cases, g.hpa(g.t.autoscaling.MaxReplicas))
	}
	if len(g.t.w.Claims) > 0 {
		cases = append(cases, g.pvc(float64(a.PVCUsagePercent)))
	}
	if g.t.sessionMetric != "" {
		cases = append(cases, g.sessions(int(a.SessionsPerPod)))
	}
	cases = append(cases, g.unavailable(), g.restarts(a.Restarts))
	if g.t.autoscaling != nil {
		cases = append(cases, g.hpaMetric())
	}
	return cases
}

func up(p float64) float64 { return p + thresholdMargin }

func down(p float64) float64 {
	if p > 2*thresholdMargin {
		return p - thresholdMargin
	}
	return p / 2
}

func series(name string, labels ...string) string {
	return name + "{" + strings.Join(labels, ", ") + "}"
}

func q(k, v string) string { return fmt.Sprintf("%s=%q", k, v) }

// gauge holds v for the whole test.
func (g *generator) gauge(v float64) string { return fmt.Sprintf("%s+0x%d", num(v), g.samples) }

// counter grows by perSecond from zero.
func (g *generator) counter(perSecond float64) string {
	return fmt.Sprintf("0+%sx%d", num(perSecond*g.step.Seconds()), g.samples)
}

// The ReplicaSets of a Deployment in the tests: pods 0 and 1 belong to the
// current one, later pods to the one a rollout is replacing.
const (
	currentHash  = "7c9d8f6b5"
	previousHash = "5f4d3c2b1"
)

// pod is the name of the workload's i-th pod: <name>-i for a StatefulSet,
// <name>-<template hash>-<suffix> for a Deployment.
func (g *generator) pod(i int) string {
	if !g.t.deployment() {
		return fmt.Sprintf("%s-%d", g.t.workload, i)
	}
	return fmt.Sprintf("%s-%s-p%04d", g.t.workload, g.replicaSetHash(i), i)
}

func (g *generator) replicaSetHash(i int) string {
	if i < 2 {
		return currentHash
	}
	return previousHash
}

// decoyPods are pods in the workload's namespace that are not its own but
// look like them: another workload whose name extends this one's, and, for
// a Deployment, a Job's pod named like a Deployment's.
func (g *generator) decoyPods() []string {
	w := g.t.workload
	if !g.t.deployment() {
		return []string{w + "-canary-0", w + "-v2-0"}
	}
	return []string{w + "-v2-6b5a4c3d2-q0001", w + "-" + currentHash + "-job01"}
}

// owners are kube-state-metrics' owner series for a Deployment's pods
// (pods max of them), its two ReplicaSets, and the decoys': a Deployment
// <name>-v2 with its own ReplicaSet, and a Job. None for a StatefulSet.
func (g *generator) owners(pods int) []inputSeries {
	if !g.t.deployment() {
		return nil
	}
	ns, w := g.t.ns, g.t.workload
	podOwner := func(pod, kind, owner string) inputSeries {
		return inputSeries{Series: series("kube_pod_owner", q("namespace", ns), q("pod", pod), q("owner_kind", kind), q("owner_name", owner), q("owner_is_controller", "true"), kubeStateJob), Values: g.gauge(1)}
	}
	rsOwner := func(rs, owner string) inputSeries {
		return inputSeries{Series: series("kube_replicaset_owner", q("namespace", ns), q("replicaset", rs), q("owner_kind", "Deployment"), q("owner_name", owner), q("owner_is_controller", "true"), kubeStateJob), Values: g.gauge(1)}
	}
	var out []inputSeries
	for i := 0; i < pods; i++ {
		out = append(out, podOwner(g.pod(i), "ReplicaSet", w+"-"+g.replicaSetHash(i)))
	}
	decoys := g.decoyPods()
	return append(out,
		rsOwner(w+"-"+currentHash, w), rsOwner(w+"-"+previousHash, w),
		podOwner(decoys[0], "ReplicaSet", w+"-v2-6b5a4c3d2"), rsOwner(w+"-v2-6b5a4c3d2", w+"-v2"),
		podOwner(decoys[1], "Job", w+"-"+currentHash))
}

// container is one series of a per-container metric.
func (g *generator) container(name, ns, pod, container string, extra []string, v string) inputSeries {
	labels := append([]string{q("namespace", ns), q("pod", pod), q("container", container)}, extra...)
	return inputSeries{Series: series(name, labels...), Values: v}
}

// perPod builds series of a usage metric against kube_pod_container_resource_limits:
// pod 0 at pct(above), pod 1 at pct(below) beside a sidecar without a limit
// using as much again and cAdvisor's pod-level and pause ("POD") series,
// and other workloads' and namespaces' pods at 100% of the limit: only the
// workload's own container and pods may count.
//
// The series compared with is the basis's: a container without a limit has
// no kube_pod_container_resource_limits series at all, only its requests.
func (g *generator) perPod(usage string, usageLabels []string, basis string, limitLabels []string, limit float64, value func(float64) string, threshold float64) (above, below []inputSeries) {
	ns, c := g.t.ns, g.t.w.Container
	limits := func(ns, pod, container string) inputSeries {
		return g.container(resourceSeries(basis), ns, pod, container, append(append([]string{}, limitLabels...), kubeStateJob), g.gauge(limit))
	}
	noise := []inputSeries{
		g.container(usage, ns, g.pod(1), "sidecar", usageLabels, value(limit)),
		g.container(usage, ns, g.pod(1), "", usageLabels, value(2*limit)),
		g.container(usage, ns, g.pod(1), "POD", usageLabels, value(limit)),
		g.container(usage, ns+noiseSuffix, g.pod(0), c, usageLabels, value(limit)),
		limits(ns+noiseSuffix, g.pod(0), c),
	}
	for _, d := range g.decoyPods() {
		noise = append(noise, g.container(usage, ns, d, c, usageLabels, value(limit)), limits(ns, d, c))
	}
	// The pod's own sidecars, busy, with limits of their own.
	for _, sc := range g.t.w.Sidecars {
		noise = append(noise, g.container(usage, ns, g.pod(1), sc, usageLabels, value(limit)), limits(ns, g.pod(1), sc))
	}
	for _, set := range []struct {
		out *[]inputSeries
		pct float64
	}{{&above, up(threshold)}, {&below, down(threshold)}} {
		*set.out = append(*set.out,
			g.container(usage, ns, g.pod(0), c, usageLabels, value(limit*set.pct/100)),
			limits(ns, g.pod(0), c),
			g.container(usage, ns, g.pod(1), c, usageLabels, value(limit*down(threshold)/100)),
			limits(ns, g.pod(1), c),
		)
		*set.out = append(*set.out, noise...)
	}
	return above, below
}

func (g *generator) cpu(threshold float64) alertCase {
	above, below := g.perPod("container_cpu_usage_seconds_total", []string{cadvisorLabels}, g.t.cpuBasis,
		[]string{`resource="cpu"`, `unit="core"`}, cpuLimitCores, g.counter, threshold)
	window, _ := parseDuration(rateWindow)
	return alertCase{
		alert: AlertCPUHigh, above: above, below: below,
		labels: map[string]string{"namespace": g.t.ns, "pod": g.pod(0)},
		value:  up(threshold),
		ramp:   window,
	}
}

func (g *generator) memory(threshold float64) alertCase {
	above, below := g.perPod("container_memory_working_set_bytes", []string{cadvisorLabels}, g.t.memoryBasis,
		[]string{`resource="memory"`, `unit="byte"`}, memoryLimit, g.gauge, threshold)
	return alertCase{
		alert: AlertMemoryHigh, above: above, below: below,
		labels: map[string]string{"namespace": g.t.ns, "pod": g.pod(0)},
		value:  up(threshold),
	}
}

// hpa: current replicas at the maximum, and one below it.
func (g *generator) hpa(maxReplicas int32) alertCase {
	ns, name := g.t.ns, g.t.hpaName()
	max := float64(maxReplicas)
	hpa := func(ns, name string, current, max float64) []inputSeries {
		l := []string{q("namespace", ns), q("horizontalpodautoscaler", name), kubeStateJob}
		return []inputSeries{
			{Series: series("kube_horizontalpodautoscaler_status_current_replicas", l...), Values: g.gauge(current)},
			{Series: series("kube_horizontalpodautoscaler_spec_max_replicas", l...), Values: g.gauge(max)},
		}
	}
	noise := append(hpa(ns, g.t.workload+"-canary-hpa", 5, 5), hpa(ns+noiseSuffix, name, 5, 5)...)
	return alertCase{
		alert:  AlertHPAAtMax,
		above:  append(hpa(ns, name, max, max), noise...),
		below:  append(hpa(ns, name, max-1, max), noise...),
		labels: map[string]string{"namespace": ns, "horizontalpodautoscaler": name},
		value:  max,
	}
}

// pvc: the first claim of pod 0 just over the threshold; pod 1's and the
// other claims below; other workloads' claims full (another namespace's,
// a StatefulSet whose name extends this one's, and, where claims are
// selected by template, a claim of another template ending alike).
func (g *generator) pvc(threshold float64) alertCase {
	ns, w := g.t.ns, g.t.workload
	first := g.t.w.Claims[0]
	claim := func(ns, name string, capacity, pct float64) []inputSeries {
		l := []string{q("namespace", ns), q("persistentvolumeclaim", name), kubeletLabels}
		return []inputSeries{
			{Series: series("kubelet_volume_stats_used_bytes", l...), Values: g.gauge(capacity * pct / 100)},
			{Series: series("kubelet_volume_stats_capacity_bytes", l...), Values: g.gauge(capacity)},
		}
	}
	var noise []inputSeries
	noise = append(noise, claim(ns, first+"-"+w+"-canary-0", workspaceBytes, 100)...)
	noise = append(noise, claim(ns+noiseSuffix, first+"-"+w+"-0", workspaceBytes, 100)...)
	for _, other := range g.t.w.Claims[1:] {
		noise = append(noise, claim(ns, other+"-"+w+"-0", configBytes, down(threshold))...)
	}
	noise = append(noise, claim(ns, first+"-"+w+"-1", workspaceBytes, down(threshold))...)
	if g.t.w.ExactClaims {
		noise = append(noise, claim(ns, "other-"+w+"-0", workspaceBytes, 100)...)
	}
	return alertCase{
		alert:  AlertPVCAlmostFull,
		above:  append(claim(ns, first+"-"+w+"-0", workspaceBytes, up(threshold)), noise...),
		below:  append(claim(ns, first+"-"+w+"-0", workspaceBytes, down(threshold)), noise...),
		labels: map[string]string{"namespace": ns, "persistentvolumeclaim": first + "-" + w + "-0"},
		value:  up(threshold),
	}
}

// sessions: the phase's minimum of pods, the last of them not ready, so the
// capacity is (pods-1) × perPod. Each ready pod holds perPod sessions, and
// above the threshold pod 0 holds one more.
func (g *generator) sessions(perPod int) alertCase {
	ns := g.t.ns
	pods := 2
	if n := int(g.t.minReplicas); n > pods {
		pods = n
	}
	ready := func(ns, pod string, isReady bool) []inputSeries {
		var out []inputSeries
		for _, c := range []string{"true", "false", "unknown"} {
			v := 0.0
			if (c == "true" && isReady) || (c == "false" && !isReady) {
				v = 1
			}
			out = append(out, inputSeries{Series: series("kube_pod_status_ready", q("namespace", ns), q("pod", pod), q("condition", c), kubeStateJob), Values: g.gauge(v)})
		}
		return out
	}
	sessions := func(ns, pod string, n int, labels map[string]string) inputSeries {
		ls := []string{q("namespace", ns), q("pod", pod)}
		for _, k := range slices.Sorted(maps.Keys(labels)) {
			ls = append(ls, q(k, labels[k]))
		}
		return inputSeries{Series: series(g.t.sessionMetric, ls...), Values: g.gauge(float64(n))}
	}
	own := g.t.w.SessionLabels
	var base []inputSeries
	for i := 0; i < pods; i++ {
		base = append(base, ready(ns, g.pod(i), i < pods-1)...)
		if i > 0 && i < pods-1 {
			base = append(base, sessions(ns, g.pod(i), perPod, own))
		}
	}
	if len(own) > 0 {
		// Another workload's sessions in the namespace: a label of the
		// workload's, another value.
		other := maps.Clone(own)
		for _, k := range slices.Sorted(maps.Keys(own))[:1] {
			other[k] = own[k] + "-other"
		}
		base = append(base, sessions(ns, "other-0", 100*perPod, other))
	}
	for _, d := range g.decoyPods() {
		base = append(base, ready(ns, d, true)...)
	}
	base = append(base, ready(ns+noiseSuffix, g.pod(0), true)...)
	base = append(base, sessions(ns+noiseSuffix, g.pod(0), 100*perPod, own))
	capacity := (pods - 1) * perPod
	return alertCase{
		alert:  AlertSessionsOverCapacity,
		above:  append([]inputSeries{sessions(ns, g.pod(0), perPod+1, own)}, base...),
		below:  append([]inputSeries{sessions(ns, g.pod(0), perPod, own)}, base...),
		labels: map[string]string{"namespace": ns},
		value:  float64(capacity + 1),
	}
}
