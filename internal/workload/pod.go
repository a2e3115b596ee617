package workload

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/coditect/phasegen/internal/config"
)

// PodResources is what one of a workload's pods asks of its node and of a
// ResourceQuota once a phase sized its container: the requests and limits
// the scheduler and the quota count, and the containers that lack a
// limit (a quota on limits refuses their pods).
type PodResources struct {
	Requests, Limits corev1.ResourceList
	// NoLimit names, per resource, the containers without a limit for it;
	// NoRequest those with neither a request nor a limit.
	NoLimit, NoRequest map[corev1.ResourceName][]string
}

// PodAt is w's pod as phase v sizes its container. As the API server and
// the scheduler count them: a request absent beside a limit is the limit;
// the pod asks the sum of its containers and restartable init containers,
// or its largest other init container when that is more; a pod-level
// resources field wins.
func (w *Workload) PodAt(v *config.Phase) PodResources {
	spec := w.Template.Spec
	out := PodResources{Requests: corev1.ResourceList{}, Limits: corev1.ResourceList{}, NoLimit: map[corev1.ResourceName][]string{}, NoRequest: map[corev1.ResourceName][]string{}}
	var sized corev1.ResourceRequirements
	if w.Container != nil {
		sized = v.Spec.Resources.Apply(w.Container.Resources)
	}
	resourcesOf := func(c corev1.Container) corev1.ResourceRequirements {
		if w.Container != nil && c.Name == w.Container.Name {
			return sized
		}
		return c.Resources
	}
	running := append([]corev1.Container(nil), spec.Containers...)
	var inits []corev1.Container
	for _, c := range spec.InitContainers {
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			running = append(running, c)
		} else {
			inits = append(inits, c)
		}
	}
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		req, lim, initReq, initLim := zero(r), zero(r), zero(r), zero(r)
		for _, c := range running {
			cr := resourcesOf(c)
			q, hasReq := cr.Requests[r]
			l, hasLim := cr.Limits[r]
			if !hasReq && hasLim {
				q = l
			}
			if !hasReq && !hasLim {
				out.NoRequest[r] = append(out.NoRequest[r], c.Name)
			}
			req.Add(q)
			if hasLim {
				lim.Add(l)
			} else {
				out.NoLimit[r] = append(out.NoLimit[r], c.Name)
			}
		}
		for _, c := range inits {
			q, hasReq := c.Resources.Requests[r]
			l, hasLim := c.Resources.Limits[r]
			if !hasReq && hasLim {
				q = l
			}
			if q.Cmp(initReq) > 0 {
				initReq = q
			}
			if hasLim && l.Cmp(initLim) > 0 {
				initLim = l
			}
		}
		if initReq.Cmp(req) > 0 {
			req = initReq
		}
		if initLim.Cmp(lim) > 0 {
			lim = initLim
		}
		if spec.Resources != nil {
			if q, ok := spec.Resources.Requests[r]; ok {
				req = q
				delete(out.NoRequest, r)
			}
			if l, ok := spec.Resources.Limits[r]; ok {
				lim = l
				delete(out.NoLimit, r)
			}
		}
		out.Requests[r], out.Limits[r] = req, lim
	}
	return out
}

// zero is no CPU or memory, in the format quantities of r print in.
func zero(r corev1.ResourceName) resource.Quantity {
	if r == corev1.ResourceCPU {
		return *resource.NewMilliQuantity(0, resource.DecimalSI)
	}
	return *resource.NewQuantity(0, resource.BinarySI)
}

// checkEnv finds a phase variable (spec.workloads.<name>.env) the base sets
// on the container from a ConfigMap, Secret or field (valueFrom): the patch
// would leave the variable with both a value and a valueFrom, which the API
// server refuses.
func checkEnv(p *config.Phase, s *Set) config.Problems {
	var ps config.Problems
	for _, w := range s.All {
		v := p.For(w.Name)
		if v == nil || w.Container == nil {
			continue
		}
		for _, e := range w.Container.Env {
			if _, ok := v.Spec.Env[e.Name]; ok && e.ValueFrom != nil {
				ps = append(ps, p.Problem(v.Field("env."+e.Name),
					"%s: container %s sets %s from a reference (valueFrom) in the templates base: a value beside it is invalid; drop it from the base to set it per phase", w, w.Container.Name, e.Name))
			}
		}
	}
	return ps
}
