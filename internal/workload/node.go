package workload

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/coditect/phasegen/internal/config"
)

// checkNodeFit finds a phase whose pods of a workload ask more CPU or
// memory than the capacity model's node has allocatable (spec.node): the
// scheduler would leave them Pending forever.
func checkNodeFit(p *config.Phase, s *Set, node *config.Node) config.Problems {
	if node == nil || node.CPU == nil || node.Memory == nil {
		return nil
	}
	var ps config.Problems
	for _, w := range s.All {
		v := p.For(w.Name)
		if v == nil {
			continue
		}
		pod := w.PodAt(v)
		for _, r := range []struct {
			name  corev1.ResourceName
			alloc *resource.Quantity
			field string
		}{{corev1.ResourceCPU, node.CPU, "spec.node.cpu"}, {corev1.ResourceMemory, node.Memory, "spec.node.memory"}} {
			if q := pod.Requests[r.name]; q.Cmp(*r.alloc) > 0 {
				ps = append(ps, p.Problem(v.Field("resources.requests."+string(r.name)),
					"%s: a pod at phase %s requests %s %s, more than a node's allocatable %s (%s of the capacity model): the scheduler never places it; lower the requests or name a larger node",
					w, p.Metadata.Name, q.String(), r.name, r.alloc.String(), r.field))
			}
		}
	}
	return ps
}
