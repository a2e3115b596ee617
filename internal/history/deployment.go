package history

import (
	"fmt"
	"time"
)

// The template hashes of a Deployment's ReplicaSets: before the rollout,
// and after it.
const (
	hashBefore = "7c9d8f6b5"
	hashAfter  = "5f4d3c2b1"
)

// deploymentSeries are a Deployment's series that belong to no pod of it:
// its ReplicaSets' owners, and the decoys.
type deploymentSeries struct {
	rsOwners []*Series
	decoys   []decoyPod
}

// decoyPod is a busy pod in the namespace that is not the workload's.
type decoyPod struct {
	cpu, mem, ready, owner, limCPU, limMem *Series
	counter                                float64
}

// podName is pod i's name at since: <workload>-i for a StatefulSet,
// <workload>-<hash>-p<i> for a Deployment (the hash its ReplicaSet's).
func (g *generator) podName(i int, since time.Duration) string {
	if !g.o.Deployment {
		return fmt.Sprintf("%s-%d", g.o.Workload, i)
	}
	return fmt.Sprintf("%s-p%04d", g.replicaSet(since), i)
}

// replicaSet is the ReplicaSet whose pods run at since.
func (g *generator) replicaSet(since time.Duration) string {
	if g.o.RolloutAt > 0 && since >= g.o.RolloutAt {
		return g.o.Workload + "-" + hashAfter
	}
	return g.o.Workload + "-" + hashBefore
}

// podOwner is kube_pod_owner of pod, owned by ReplicaSet rs.
func (g *generator) podOwner(pod, rs string) *Series {
	return g.add("gauge", "kube_pod_owner", lbl("namespace", g.o.Namespace, "owner_is_controller", "true", "owner_kind", "ReplicaSet", "owner_name", rs, "pod", pod)...)
}

// owner is kube_replicaset_owner of rs, owned by kind/name.
func (g *generator) rsOwner(rs, name string) *Series {
	return g.add("gauge", "kube_replicaset_owner", lbl("namespace", g.o.Namespace, "owner_is_controller", "true", "owner_kind", "Deployment", "owner_name", name, "replicaset", rs)...)
}

// deploymentSeries makes the Deployment's ReplicaSet owners and, with
// Decoys, a pod of a Deployment <workload>-v2 and a Job's pod named like
// the workload's, both with the sized container.
func (g *generator) deploymentSeries() {
	w, ns, c := g.o.Workload, g.o.Namespace, g.o.container()
	d := &g.deployment
	d.rsOwners = []*Series{g.rsOwner(w+"-"+hashBefore, w), g.rsOwner(w+"-"+hashAfter, w)}
	if !g.o.Decoys {
		return
	}
	for _, p := range []struct{ pod, kind, owner string }{
		{w + "-v2-6b5a4c3d2-q0001", "ReplicaSet", w + "-v2-6b5a4c3d2"},
		{w + "-" + hashBefore + "-job01", "Job", w + "-" + hashBefore},
	} {
		dp := decoyPod{
			cpu:    g.add("counter", "container_cpu_usage_seconds_total", lbl("container", c, "namespace", ns, "pod", p.pod)...),
			mem:    g.add("gauge", "container_memory_working_set_bytes", lbl("container", c, "namespace", ns, "pod", p.pod)...),
			ready:  g.add("gauge", "kube_pod_status_ready", lbl("condition", "true", "namespace", ns, "pod", p.pod)...),
			limCPU: g.add("gauge", "kube_pod_container_resource_limits", lbl("container", c, "namespace", ns, "pod", p.pod, "resource", "cpu", "unit", "core")...),
			limMem: g.add("gauge", "kube_pod_container_resource_limits", lbl("container", c, "namespace", ns, "pod", p.pod, "resource", "memory", "unit", "byte")...),
		}
		dp.owner = g.add("gauge", "kube_pod_owner", lbl("namespace", ns, "owner_is_controller", "true", "owner_kind", p.kind, "owner_name", p.owner, "pod", p.pod)...)
		d.decoys = append(d.decoys, dp)
	}
	d.rsOwners = append(d.rsOwners, g.rsOwner(w+"-v2-6b5a4c3d2", w+"-v2"))
}

// deploymentStep writes the Deployment's own series and decoys at ms.
func (g *generator) deploymentStep(ms int64) {
	push := func(se *Series, v float64) { se.Samples = append(se.Samples, Sample{ms, v}) }
	for _, s := range g.deployment.rsOwners {
		push(s, 1)
	}
	for i := range g.deployment.decoys {
		dp := &g.deployment.decoys[i]
		dp.counter += 1.9 * Step.Seconds()
		push(dp.cpu, dp.counter)
		push(dp.mem, 3.5*gib)
		push(dp.ready, 1)
		push(dp.owner, 1)
		push(dp.limCPU, g.o.CPULimit)
		push(dp.limMem, g.o.MemoryLimit)
	}
}

// StoreAPI is the history of examples/store's API Deployment in its
// production namespace: 3 days ending at end, 2-4 pods under an HPA, a
// rollout after 30 hours, owner series and decoys.
func StoreAPI(end time.Time) Options {
	d := 72 * time.Hour
	return Options{
		Namespace: "store", Workload: "store-api", Container: "server",
		Start: end.Add(-d + Step), Duration: d, MinPods: 2, MaxPods: 4, HPA: true,
		PeakSessions: 24, NightSessions: 4, PodsPerSession: 0.2, HotPod: 1,
		CPULimit: 1, MemoryLimit: 512 * mib, Decoys: true, Deployment: true, RolloutAt: 30 * time.Hour,
	}
}

// StoreDB is the history of examples/store's database StatefulSet: one
// pod, for only the 12 hours before end (too short for tune).
func StoreDB(end time.Time) Options {
	d := 12 * time.Hour
	return Options{
		Namespace: "store", Workload: "store-db", Container: "mysql",
		Start: end.Add(-d + Step), Duration: d, MinPods: 1, MaxPods: 1,
		PeakSessions: 24, NightSessions: 4, PodsPerSession: 0.2, HotPod: -1,
		CPULimit: 1, MemoryLimit: 2 * gib,
	}
}
