package overlay

import (
	"fmt"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/coditect/phasegen/internal/base"
	"github.com/coditect/phasegen/internal/config"
	"github.com/coditect/phasegen/internal/kbuild"
	"github.com/coditect/phasegen/templates"
)

// FuzzRender drives arbitrary phase values through loading, rendering and a
// kustomize build: no panic, no hang; what loads renders, what renders builds,
// and the build is YAML that carries the phase's replicas.
func FuzzRender(f *testing.F) {
	f.Add(int32(10), int32(10), int32(30), int32(70), int32(75), "500m", "512Mi", "2", "2Gi", "5m", int32(80), true)
	f.Add(int32(3), int32(0), int32(0), int32(0), int32(0), "", "", "", "", "", int32(0), false)
	f.Add(int32(1), int32(1), int32(1), int32(1), int32(100), "1m", "1", "1m", "1", "0s", int32(100), true)
	f.Add(int32(2147483647), int32(2147483647), int32(2147483647), int32(100), int32(1), "1e3", "1Ei", "1e3", "1Ei", "1y2w3d4h5m6s7ms", int32(1), true)
	b, err := base.Load(templates.FS())
	if err != nil {
		f.Fatal(err)
	}
	envDoc, ps := config.Parse("production.yaml", []byte(`apiVersion: phasegen.dev/v1alpha1
kind: Environment
metadata: {name: production}
spec:
  phase: fuzz
  namespace: coditect-app
  workload: coditect-combined
  gitops: {repo: coditect/argocd-apps, branch: main, path: apps/coditect}
`), config.KindEnvironment)
	if len(ps) > 0 {
		f.Fatal(ps)
	}
	capDoc, ps := config.Parse("capacity.yaml", []byte(`apiVersion: phasegen.dev/v1alpha1
kind: CapacityModel
metadata: {name: coditect}
spec:
  usersPerPod: {conservative: 1.5, optimistic: 2}
  pricing: {cpuCoreHour: 0.031, storageGBMonth: 0.1, hoursPerMonth: 720}
  sessionMetric: coditect_active_sessions
`), config.KindCapacityModel)
	if len(ps) > 0 {
		f.Fatal(ps)
	}
	f.Fuzz(func(t *testing.T, replicas, hpaMin, hpaMax, cpuTarget, memTarget int32, cpuReq, memReq, cpuLim, memLim, forDur string, cpuAlert int32, autoscale bool) {
		var doc strings.Builder
		fmt.Fprintf(&doc, "apiVersion: phasegen.dev/v1alpha1\nkind: Phase\nmetadata: {name: fuzz}\nspec:\n  order: 1\n  users: {min: 1, max: 2}\n  replicas: %d\n", replicas)
		if autoscale {
			fmt.Fprintf(&doc, "  autoscaling: {minReplicas: %d, maxReplicas: %d, targetCPUUtilizationPercentage: %d, targetMemoryUtilizationPercentage: %d}\n", hpaMin, hpaMax, cpuTarget, memTarget)
		}
		res := map[string]string{"requests.cpu": cpuReq, "requests.memory": memReq, "limits.cpu": cpuLim, "limits.memory": memLim}
		var lines []string
		for _, k := range []string{"requests.cpu", "requests.memory", "limits.cpu", "limits.memory"} {
			if v := res[k]; v != "" {
				kind, name, _ := strings.Cut(k, ".")
				lines = append(lines, fmt.Sprintf("    %s:\n      %s: %q", kind, name, v))
			}
		}
		if len(lines) > 0 {
			// One key per kind: merge requests and limits blocks.
			doc.WriteString("  resources:\n")
			seen := map[string]bool{}
			for _, k := range []string{"requests", "limits"} {
				for _, n := range []string{"cpu", "memory"} {
					v := res[k+"."+n]
					if v == "" {
						continue
					}
					if !seen[k] {
						fmt.Fprintf(&doc, "    %s:\n", k)
						seen[k] = true
					}
					fmt.Fprintf(&doc, "      %s: %q\n", n, v)
				}
			}
		}
		fmt.Fprintf(&doc, "  alerts: {cpuPercent: %d, for: %q}\n", cpuAlert, forDur)
		phaseDoc, ps := config.Parse("phases/fuzz.yaml", []byte(doc.String()), config.KindPhase)
		if len(ps) > 0 {
			return // rejected with problems: fine
		}
		phase := phaseDoc.(*config.Phase)
		env := envDoc.(*config.Environment)
		cfg := &config.Set{Phases: []*config.Phase{phase}, Environments: []*config.Environment{env}, Capacity: capDoc.(*config.CapacityModel)}
		files, err := Render(Input{Config: cfg, Base: b, Env: env, Phase: phase})
		if err != nil {
			return // a clear error (e.g. requests above the base's limits) is fine
		}
		out, err := kbuild.Build(files, EnvDir("production"))
		if err != nil {
			t.Fatalf("rendered but does not build: %v\n%s", err, doc.String())
		}
		dec := yaml.NewDecoder(strings.NewReader(string(out)))
		found := false
		for {
			var obj struct {
				Kind string `yaml:"kind"`
				Spec struct {
					Replicas *int32 `yaml:"replicas"`
				} `yaml:"spec"`
			}
			if err := dec.Decode(&obj); err != nil {
				break
			}
			if obj.Kind == "StatefulSet" {
				found = true
				if obj.Spec.Replicas == nil || *obj.Spec.Replicas != phase.MinReplicas() {
					t.Fatalf("StatefulSet replicas %v, want %d", obj.Spec.Replicas, phase.MinReplicas())
				}
			}
		}
		if !found {
			t.Fatalf("no StatefulSet in the build:\n%s", out)
		}
	})
}
