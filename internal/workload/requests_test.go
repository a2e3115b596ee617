package workload

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/coditect/phasegen/internal/base"
	"github.com/coditect/phasegen/internal/config"
)

// shop is a frontend Deployment as real apps ship it: its server sets
// limits or requests per case, beside an Envoy sidecar (a restartable init
// container) without resources.
const shop = `apiVersion: apps/v1
kind: Deployment
metadata: {name: frontend}
spec:
  selector: {matchLabels: {app: frontend}}
  template:
    metadata: {labels: {app: frontend}}
    spec:
      initContainers:
      - {name: envoy, image: envoy, restartPolicy: Always SIDECAR}
      containers:
      - {name: server, image: shop/frontend SERVER}
`

func resolvePhase(t *testing.T, deployment, phase string) error {
	t.Helper()
	_, _, err := resolveApp(t, "frontend", deployment, "frontend: {container: server}", "", "    frontend:\n"+phase)
	return err
}

// resolveApp resolves a base of one workload (its manifest in file
// base/<name>.yaml) against a capacity model with entries (and extra
// spec lines) and one phase, launch, whose spec.workloads is sizing.
func resolveApp(t *testing.T, name, manifest, entries, extra, sizing string) (*Set, *config.Phase, error) {
	t.Helper()
	b, err := base.Load(fstest.MapFS{
		"base/" + name + ".yaml":  {Data: []byte(manifest)},
		"base/kustomization.yaml": {Data: []byte("resources: [" + name + ".yaml]\n")},
	})
	if err != nil {
		t.Fatal(err)
	}
	set, err := config.LoadFS(fstest.MapFS{
		"c/capacity.yaml":      {Data: []byte("apiVersion: phasegen.dev/v1alpha1\nkind: CapacityModel\nmetadata: {name: shop}\nspec:\n  pricing: {cpuCoreHour: 0, storageGBMonth: 0, hoursPerMonth: 720}\n  workloads: {" + entries + "}\n" + extra)},
		"c/phases/launch.yaml": {Data: []byte("apiVersion: phasegen.dev/v1alpha1\nkind: Phase\nmetadata: {name: launch}\nspec:\n  order: 1\n  users: {min: 1, max: 1}\n  workloads:\n" + sizing)},
	}, "c")
	if err != nil {
		t.Fatal(err)
	}
	s, err := Resolve(set, b)
	return s, set.Phases[0], err
}

// TestResolveRefusesAnHPAWithoutRequests: autoscaling on a utilization of a
// resource a container (or sidecar) of the pods does not request is
// refused at the target's line, naming the containers; a limit alone
// counts (the API server defaults the request to it), and so does the
// phase's own request for the sized container.
func TestResolveRefusesAnHPAWithoutRequests(t *testing.T) {
	const hpaCPU = "      autoscaling: {minReplicas: 2, maxReplicas: 6, targetCPUUtilizationPercentage: 70}\n"
	const hpaMem = "      autoscaling: {minReplicas: 2, maxReplicas: 6, targetMemoryUtilizationPercentage: 80}\n"
	sized := func(sidecar, server string) string {
		return strings.NewReplacer(" SIDECAR", sidecar, " SERVER", server).Replace(shop)
	}
	for _, c := range []struct {
		name, deployment, phase, want string
	}{
		{"nothing requested", sized("", ""), hpaCPU,
			`c/phases/launch.yaml:9: spec.workloads.frontend.autoscaling.targetCPUUtilizationPercentage: Deployment frontend autoscales on cpu utilization, but its containers server, envoy have no cpu request, so the HPA controller reports "missing request for cpu" and never scales`},
		{"the phase requests for the server, the sidecar does not", sized("", ""), hpaCPU + "      resources: {requests: {cpu: 250m}}\n",
			"its container envoy has no cpu request"},
		{"memory", sized(", resources: {requests: {cpu: 10m}}", ", resources: {requests: {cpu: 100m}}"), hpaMem,
			"autoscales on memory utilization, but its containers server, envoy have no memory request"},
		{"limits only", sized(", resources: {limits: {cpu: 100m}}", ", resources: {limits: {cpu: 500m}}"), hpaCPU, ""},
		{"requests everywhere", sized(", resources: {requests: {cpu: 10m, memory: 16Mi}}", ", resources: {requests: {cpu: 100m, memory: 64Mi}}"), hpaCPU + hpaMem[:0], ""},
		{"no autoscaling", sized("", ""), "      replicas: 2\n", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := resolvePhase(t, c.deployment, c.phase)
			if c.want == "" {
				if err != nil {
					t.Errorf("refused: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v\nwant …%s…", err, c.want)
			}
		})
	}
}
