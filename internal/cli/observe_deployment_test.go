package cli_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/coditect/phasegen/internal/history"
)

// shopNS is the namespace of a Deployment's history: API pods named
// api-<template hash>-<suffix>, a rollout half way that replaces them all,
// kube-state-metrics' owner series, and busier decoys (a pod of a
// Deployment api-v2, a Job's pod named like api's) and a sidecar.
const shopNS = "shop"

func shopOptions() history.Options {
	d := 72 * time.Hour
	return history.Options{
		Namespace: shopNS, Workload: "api", Container: "server", SessionMetric: "shop_sessions",
		Start: historyEnd.Add(-d + history.Step), Duration: d, MinPods: 2, MaxPods: 8, HPA: true,
		PeakSessions: 24, NightSessions: 4, PodsPerSession: 0.25, HotPod: 1,
		CPULimit: 2, MemoryLimit: 2 << 30, Decoys: true, Deployment: true, RolloutAt: 36 * time.Hour,
	}
}

// shopRepo is a configuration of that Deployment, one workload.
func shopRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"templates/base/kustomization.yaml": "resources: [api.yaml]\n",
		"templates/base/api.yaml": `apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
      - {name: server, image: example/api:1, resources: {requests: {cpu: 500m, memory: 1Gi}, limits: {cpu: "2", memory: 2Gi}}}
      - {name: log-shipper, image: example/shipper:1, resources: {requests: {cpu: 50m, memory: 64Mi}}}
`,
		"environments/capacity.yaml": `apiVersion: phasegen.dev/v1alpha1
kind: CapacityModel
metadata: {name: shop}
spec:
  container: server
  usersPerPod: {conservative: 4, optimistic: 5}
  sessionMetric: shop_sessions
  pricing: {cpuCoreHour: 0.031, storageGBMonth: 0.1, hoursPerMonth: 720}
`,
		"environments/phases/pilot.yaml": `apiVersion: phasegen.dev/v1alpha1
kind: Phase
metadata: {name: pilot}
spec:
  order: 1
  users: {min: 10, max: 30}
  autoscaling: {minReplicas: 2, maxReplicas: 8, targetCPUUtilizationPercentage: 70}
`,
		"environments/production.yaml": `apiVersion: phasegen.dev/v1alpha1
kind: Environment
metadata: {name: production}
spec:
  phase: pilot
  namespace: shop
  workload: api
  gitops: {repo: example/gitops, branch: main, path: apps/shop}
`,
	}
	for p, data := range files {
		f := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestStatusOfADeploymentAgainstPrometheus: status of an app whose
// workload is a Deployment finds its pods through their owners. Every
// figure is within 1% of the value computed from the samples of the pods
// its ReplicaSets own, across a rollout; the decoys, which are busier, are
// not counted (the figures computed with them differ, and status must not
// match those); the app has no volumes, and says so.
func TestStatusOfADeploymentAgainstPrometheus(t *testing.T) {
	srv, h := promServer.Get(t)
	dir := shopRepo(t)
	env := map[string]string{"PROMETHEUS_URL": srv.URL}
	code, out, errs := runIn(t, dir, env, "status", "production", "--at", at(), "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	var s statusJSON
	decodeStrict(t, out, &s)
	e := expectOf(h, shopNS, ownedBy(h, shopNS, "api"), "server", "shop_sessions", nil, 7*24*time.Hour, historyEnd)
	near(t, "pods.min", s.Pods.Min, e.podsMin)
	near(t, "pods.max", s.Pods.Max, e.podsMax)
	near(t, "sessions.peak", s.Sessions.Peak, e.sessionsPeak)
	near(t, "cpuCores.p95PerPod", s.CPUCores.P95PerPod, e.cpuP95)
	near(t, "cpuCores.maxPerPod", s.CPUCores.MaxPerPod, e.cpuMax)
	near(t, "memoryGiB.maxPerPod", s.MemoryGiB.MaxPerPod, e.memMax/(1<<30))
	near(t, "usersPerPod.observed", s.UsersPerPod.Observed, e.usersPerPod)
	if s.HPA.AtMaxFraction == nil {
		t.Fatal("hpa.atMaxFraction is null for an HPA")
	}
	near(t, "hpa.atMaxFraction", *s.HPA.AtMaxFraction, e.hpaAtMax)
	if s.PVCUsedPercent.Max != nil {
		t.Errorf("pvcUsedPercent.max = %v for a Deployment without volumes, want null", *s.PVCUsedPercent.Max)
	}
	// With the decoys counted, the figures would differ: what the test
	// checks, it checks against the owners' pods only.
	all := expectOf(h, shopNS, func(string) bool { return true }, "server", "shop_sessions", nil, 7*24*time.Hour, historyEnd)
	if all.podsMax == e.podsMax || all.cpuMax == e.cpuMax || all.memMax == e.memMax {
		t.Fatalf("the decoys change nothing (pods max %v/%v, cpu max %v/%v, memory max %v/%v): the test would not see them counted",
			all.podsMax, e.podsMax, all.cpuMax, e.cpuMax, all.memMax, e.memMax)
	}
	// tune reads the same pods: its figures are status's.
	code, out, errs = runIn(t, dir, env, "tune", "production", "--at", at(), "-o", "json")
	if code != 0 {
		t.Fatalf("tune: exit %d\n%s\n%s", code, out, errs)
	}
	// The rollout: pods of both ReplicaSets ran in the window.
	seen := map[string]bool{}
	for _, sr := range h.Select("kube_pod_owner", history.Label{Name: "namespace", Value: shopNS}) {
		seen[sr.Label("owner_name")] = true
	}
	if !seen["api-7c9d8f6b5"] || !seen["api-5f4d3c2b1"] {
		t.Fatalf("the history has no rollout: owners %v", seen)
	}
}
