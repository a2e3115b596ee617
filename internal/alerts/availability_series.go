package alerts

// The generated tests' series for the availability alerts, as
// kube-state-metrics exports them.

// unavailable: the workload wants its minimum of pods (at least 2) and has
// one fewer available; below, all are. Another workload whose name extends
// this one's, and its namesake in another namespace, have none
// available.
func (g *generator) unavailable() alertCase {
	ns, w, label := g.t.ns, g.t.workload, g.t.kindLabel()
	want, have := g.t.replicaSeries()
	pods := float64(max(2, g.t.minReplicas))
	replicas := func(ns, name string, wanted, available float64) []inputSeries {
		l := []string{q("namespace", ns), q(label, name), kubeStateJob}
		return []inputSeries{
			{Series: series(want, l...), Values: g.gauge(wanted)},
			{Series: series(have, l...), Values: g.gauge(available)},
		}
	}
	noise := append(replicas(ns, w+"-v2", pods, 0), replicas(ns+noiseSuffix, w, pods, 0)...)
	return alertCase{
		alert:  AlertReplicasUnavailable,
		above:  append(replicas(ns, w, pods, pods-1), noise...),
		below:  append(replicas(ns, w, pods, pods), noise...),
		labels: map[string]string{"namespace": ns, label: w},
		value:  1,
	}
}

// restarts: pod 0's sized container restarts once an hour more than the
// threshold allows (below: half of it), its sidecars and pod 1 never; the
// look-alike pods and the same pod in another namespace restart ten times
// as often.
func (g *generator) restarts(limit int32) alertCase {
	ns, c := g.t.ns, g.t.w.Container
	perHour := func(n float64) string { return g.counter(n / 3600) }
	restarts := func(ns, pod, container string, v string) inputSeries {
		return g.container("kube_pod_container_status_restarts_total", ns, pod, container, []string{kubeStateJob}, v)
	}
	noise := []inputSeries{restarts(ns, g.pod(1), c, perHour(0)), restarts(ns+noiseSuffix, g.pod(0), c, perHour(10*float64(limit)))}
	for _, sc := range g.t.w.Sidecars {
		noise = append(noise, restarts(ns, g.pod(0), sc, perHour(0)))
	}
	for _, d := range g.decoyPods() {
		noise = append(noise, restarts(ns, d, c, perHour(10*float64(limit))))
	}
	window, _ := parseDuration(restartWindow)
	return alertCase{
		alert:  AlertPodRestarting,
		above:  append([]inputSeries{restarts(ns, g.pod(0), c, perHour(float64(limit+1)))}, noise...),
		below:  append([]inputSeries{restarts(ns, g.pod(0), c, perHour(float64(limit)/2))}, noise...),
		labels: map[string]string{"namespace": ns, "pod": g.pod(0)},
		value:  float64(limit + 1),
		ramp:   window,
	}
}

// hpaMetric: the HPA's ScalingActive condition false (below: true), beside
// its other conditions; a look-alike HPA and the same HPA in another
// namespace cannot compute theirs.
func (g *generator) hpaMetric() alertCase {
	ns, name := g.t.ns, g.t.hpaName()
	conditions := func(ns, name string, active bool) []inputSeries {
		var out []inputSeries
		for _, c := range []struct {
			condition string
			holds     bool
		}{{"AbleToScale", true}, {"ScalingActive", active}, {"ScalingLimited", true}} {
			for _, status := range []string{"true", "false", "unknown"} {
				v := 0.0
				if (status == "true" && c.holds) || (status == "false" && !c.holds) {
					v = 1
				}
				out = append(out, inputSeries{Series: series("kube_horizontalpodautoscaler_status_condition", q("namespace", ns), q("horizontalpodautoscaler", name), q("condition", c.condition), q("status", status), kubeStateJob), Values: g.gauge(v)})
			}
		}
		return out
	}
	noise := append(conditions(ns, g.t.workload+"-canary-hpa", false), conditions(ns+noiseSuffix, name, false)...)
	return alertCase{
		alert:  AlertHPAMetricUnavailable,
		above:  append(conditions(ns, name, false), noise...),
		below:  append(conditions(ns, name, true), noise...),
		labels: map[string]string{"namespace": ns, "horizontalpodautoscaler": name},
		value:  1,
	}
}
