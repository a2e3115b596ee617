package workload

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/coditect/phasegen/internal/base"
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

// checkComponents finds a component an environment or a phase names that
// templates/components/ lacks.
func checkComponents(cfg *config.Set, b *base.Base) config.Problems {
	have := strings.Join(slices.Sorted(maps.Keys(b.Components)), ", ")
	if have == "" {
		have = "none"
	}
	var ps config.Problems
	check := func(names []string, problem func(field, format string, args ...any) config.Problem) {
		for i, n := range names {
			if _, ok := b.Components[n]; !ok {
				ps = append(ps, problem(fmt.Sprintf("spec.components[%d]", i), "%q is not a component: there is no templates/components/%s/ with a kustomization.yaml of kind: Component (have: %s)", n, n, have))
			}
		}
	}
	for _, p := range cfg.Phases {
		check(p.Spec.Components, p.Problem)
	}
	for _, e := range cfg.Environments {
		check(e.Spec.Components, e.Problem)
	}
	return ps
}
