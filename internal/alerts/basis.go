package alerts

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"github.com/coditect/phasegen/internal/config"
)

// Declared says which of the sized container's requests and limits the
// templates base sets.
type Declared struct {
	CPURequest, CPULimit, MemoryRequest, MemoryLimit bool
}

func declared(r corev1.ResourceRequirements) Declared {
	_, cr := r.Requests[corev1.ResourceCPU]
	_, cl := r.Limits[corev1.ResourceCPU]
	_, mr := r.Requests[corev1.ResourceMemory]
	_, ml := r.Limits[corev1.ResourceMemory]
	return Declared{CPURequest: cr, CPULimit: cl, MemoryRequest: mr, MemoryLimit: ml}
}

// The bases a usage alert compares with: kube-state-metrics exports
// kube_pod_container_resource_limits only for a container with a limit,
// and kube_pod_container_resource_requests only for one with a request (a
// limit alone makes the API server default the request to it).
const (
	basisLimit   = "limit"
	basisRequest = "request"
	basisNone    = ""
)

// basis is what the CPU (cpu) or memory alert of w at phase compares usage
// with: its limit when the container has one (in the phase or the base),
// else its request, else nothing (no alert can fire: none is rendered).
func basis(phase *config.Phase, w Workload, cpu bool) string {
	var res *config.Resources = phase.Spec.Resources
	var reqP, limP bool
	if res != nil {
		if cpu {
			reqP, limP = res.Requests.CPU != nil, res.Limits.CPU != nil
		} else {
			reqP, limP = res.Requests.Memory != nil, res.Limits.Memory != nil
		}
	}
	req, lim := w.Declared.MemoryRequest, w.Declared.MemoryLimit
	if cpu {
		req, lim = w.Declared.CPURequest, w.Declared.CPULimit
	}
	switch {
	case lim || limP:
		return basisLimit
	case req || reqP:
		return basisRequest
	}
	return basisNone
}

// Unwatched says which usage alerts w has none of at phase, and why: a
// container with neither a limit nor a request for a resource has nothing
// its usage can be compared with.
func Unwatched(phase *config.Phase, w Workload) []string {
	var out []string
	for _, r := range []struct {
		what, alert string
		cpu         bool
	}{{"CPU", AlertCPUHigh, true}, {"memory", AlertMemoryHigh, false}} {
		if basis(phase, w, r.cpu) == basisNone {
			out = append(out, fmt.Sprintf("%s %s: container %s sets no %s limit or request at phase %s, so it has no %s alert (kube-state-metrics exports neither series to compare its usage with); set resources in the phase to watch it",
				w.Kind, w.Name, w.Container, r.what, phase.Metadata.Name, r.alert))
		}
	}
	return out
}

// resourceSeries is the kube-state-metrics series of a basis.
func resourceSeries(b string) string {
	if b == basisRequest {
		return "kube_pod_container_resource_requests"
	}
	return "kube_pod_container_resource_limits"
}
