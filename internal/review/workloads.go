package review

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/coditect/phasegen/internal/argocd"
	"github.com/coditect/phasegen/internal/fileset"
	"github.com/coditect/phasegen/internal/manifest"
	"github.com/coditect/phasegen/internal/overlay"
)

// WorkloadChange is one workload of an environment under review.
type WorkloadChange struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
	// Changed: one of its objects (itself, its HPA, PDB or
	// PrometheusRule) differs.
	Changed     bool      `json:"changed"`
	MonthlyCost CostDelta `json:"monthlyCost"`
}

// owns reports whether the built object o is w's own or one phasegen
// writes for it.
func (w WorkloadChange) owns(o Object) bool {
	switch o.Kind {
	case "Deployment", "StatefulSet":
		return o.Name == w.Name
	case "HorizontalPodAutoscaler":
		return o.Name == w.Name+"-hpa"
	case "PodDisruptionBudget":
		return o.Name == w.Name+"-pdb"
	case "PrometheusRule":
		return o.Name == w.Name+"-alerts"
	}
	return false
}

// workloads decodes the Deployments and StatefulSets among objs (built
// objects keyed "Kind/name"), for the gates.
func workloads(objs fileset.Set) (manifest.Manifests, error) {
	var stream []byte
	for _, k := range slices.Sorted(maps.Keys(objs)) {
		if strings.HasPrefix(k, "StatefulSet/") || strings.HasPrefix(k, "Deployment/") {
			stream = append(append(stream, "---\n"...), objs[k]...)
		}
	}
	m, err := manifest.Decode(stream, manifest.Lenient)
	if err != nil {
		return m, fmt.Errorf("decoding its workloads: %w", err)
	}
	return m, nil
}

// setHPAOwned gives each side of each job the workloads its phase
// autoscales, for its Application.
func setHPAOwned(jobs []job, renderers [2]*overlay.Renderer) error {
	for _, j := range jobs {
		ws, err := renderers[j.side].Workloads()
		if err != nil {
			return sideError(j.side, err)
		}
		j.es.hpaOwned = argocd.HPAOwned(ws, j.es.phase)
	}
	return nil
}
