package workload

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/coditect/phasegen/internal/config"
)

// checkHPARequests finds a phase that autoscales a workload on CPU or
// memory utilization while a container of its pods has no request for that
// resource. The HPA controller computes a Resource metric's utilization
// over the requests of every container and of every sidecar (an init
// container that restarts always), and with one missing it reports
// "missing request for cpu" on every sync and never scales. A limit
// without a request counts: the API server defaults the request to it.
func checkHPARequests(p *config.Phase, s *Set) config.Problems {
	var ps config.Problems
	for _, w := range s.All {
		v := p.For(w.Name)
		if v == nil || v.Spec.Autoscaling == nil || w.Container == nil {
			continue
		}
		a := v.Spec.Autoscaling
		for _, m := range []struct {
			field  string
			target *int32
			name   corev1.ResourceName
		}{
			{"autoscaling.targetCPUUtilizationPercentage", a.TargetCPUUtilizationPercentage, corev1.ResourceCPU},
			{"autoscaling.targetMemoryUtilizationPercentage", a.TargetMemoryUtilizationPercentage, corev1.ResourceMemory},
		} {
			if m.target == nil {
				continue
			}
			if missing := withoutRequest(w, v, m.name); len(missing) > 0 {
				ps = append(ps, p.Problem(v.Field(m.field),
					"%s autoscales on %s utilization, but %s no %s request, so the HPA controller reports \"missing request for %s\" and never scales: set resources.requests.%s (in the phase for %s, in the templates base for the others), or drop this target",
					w, m.name, describeMissing(missing), m.name, m.name, m.name, w.Container.Name))
			}
		}
	}
	return ps
}

// withoutRequest names the containers and sidecars of w's pods that have
// no request for r (nor a limit it defaults from) once phase v sized w's
// container; none when the pod template sets a pod-level request.
func withoutRequest(w *Workload, v *config.Phase, r corev1.ResourceName) []string {
	spec := w.Template.Spec
	if spec.Resources != nil {
		if _, ok := spec.Resources.Requests[r]; ok {
			return nil
		}
	}
	containers := append([]corev1.Container(nil), spec.Containers...)
	for _, c := range spec.InitContainers {
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			containers = append(containers, c)
		}
	}
	var out []string
	for _, c := range containers {
		if c.Name == w.Container.Name && phaseSets(v, r) {
			continue
		}
		_, req := c.Resources.Requests[r]
		_, lim := c.Resources.Limits[r]
		if !req && !lim {
			out = append(out, c.Name)
		}
	}
	return out
}

// phaseSets reports whether phase v sets a request or a limit for r on the
// sized container.
func phaseSets(v *config.Phase, r corev1.ResourceName) bool {
	res := v.Spec.Resources
	if res == nil {
		return false
	}
	if r == corev1.ResourceCPU {
		return res.Requests.CPU != nil || res.Limits.CPU != nil
	}
	return res.Requests.Memory != nil || res.Limits.Memory != nil
}

func describeMissing(names []string) string {
	if len(names) == 1 {
		return "its container " + names[0] + " has"
	}
	return fmt.Sprintf("its containers %s have", strings.Join(names, ", "))
}
