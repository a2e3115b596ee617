// Package capacity plans how many pods each phase runs, how many users they
// serve, what they cost a month (at the floor after a peak too, with the
// volumes a StatefulSet keeps) and how fast the HPA reaches a peak's pods
// (with package autoscaler), from the phase configs, the capacity model and
// the workload's base.
package capacity

import (
	"fmt"
	"math"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/coditect/phasegen/internal/config"
	"github.com/coditect/phasegen/internal/workload"
)

const gib = 1 << 30

// Model is what one pod of a workload is and costs.
type Model struct {
	Conservative, Optimistic float64 // users per pod; 0 when not sized by users
	CPUCoreHour              float64 // price of a core (at the limit) for an hour
	MemoryGiBHour            float64 // price of a GiB of memory (at the limit) for an hour
	StorageGBMonth           float64 // price of a GiB of volume for a month
	HoursPerMonth            float64
	StorageGiBPerPod         float64 // from the base's volumeClaimTemplates
	// KeepsVolumes is true when the workload is a StatefulSet with volume
	// claims whose persistentVolumeClaimRetentionPolicy.whenScaled is not
	// Delete: then the volumes of a scale-down's pods stay.
	KeepsVolumes bool
	// Sidecars are the pod's other containers, at the base's resources:
	// they run, and are paid for, beside the sized container.
	Sidecars Pod
	// ExamplePrices: the prices are examples (spec.pricing.example).
	ExamplePrices bool
}

// NewModel combines the capacity config with the workload's base: its
// storage per pod and the resources of its other containers.
func NewModel(c *config.CapacityModel, w *workload.Workload) (Model, error) {
	s := c.Spec
	m := Model{
		CPUCoreHour: s.Pricing.CPUCoreHour, MemoryGiBHour: s.Pricing.MemoryGiBHour, StorageGBMonth: s.Pricing.StorageGBMonth,
		HoursPerMonth: s.Pricing.HoursPerMonth, StorageGiBPerPod: toGiB(w.StoragePerPod()),
		KeepsVolumes: w.KeepsVolumesOnScaleDown(), ExamplePrices: s.Pricing.Example,
	}
	if u := w.Model.UsersPerPod; u != nil {
		m.Conservative, m.Optimistic = u.Conservative, u.Optimistic
	}
	for _, c := range w.Template.Spec.Containers {
		if c.Name == w.Container.Name {
			continue
		}
		pod, err := PodOf(c.Name, c.Resources)
		if err != nil {
			return m, fmt.Errorf("%s: %w", w, err)
		}
		m.Sidecars = m.Sidecars.Plus(pod)
	}
	return m, nil
}

// Pod is one pod's resources, in cores and GiB: requests, limits, and what
// is billed (the limit, or the request of a container without one).
type Pod struct {
	CPURequest, CPULimit       float64
	MemoryRequest, MemoryLimit float64
	CPUBilled, MemoryBilled    float64
	// OnRequests names what is billed on its request for want of a limit
	// ("server cpu").
	OnRequests []string
	// Unpriced names what has neither a request nor a limit ("shipper
	// memory"): nothing says what it uses, so it is priced at nothing.
	Unpriced []string
}

// Plus is the pod with q's containers added.
func (p Pod) Plus(q Pod) Pod {
	return Pod{
		CPURequest: p.CPURequest + q.CPURequest, CPULimit: p.CPULimit + q.CPULimit,
		MemoryRequest: p.MemoryRequest + q.MemoryRequest, MemoryLimit: p.MemoryLimit + q.MemoryLimit,
		CPUBilled: p.CPUBilled + q.CPUBilled, MemoryBilled: p.MemoryBilled + q.MemoryBilled,
		OnRequests: append(append([]string(nil), p.OnRequests...), q.OnRequests...),
		Unpriced:   append(append([]string(nil), p.Unpriced...), q.Unpriced...),
	}
}

// PodOf reads the resources of container name; requests above limits are
// an error. A CPU or memory without a limit is billed on its request, and
// OnRequests says so.
func PodOf(name string, r corev1.ResourceRequirements) (Pod, error) {
	p := Pod{
		CPURequest: cores(r.Requests, corev1.ResourceCPU), CPULimit: cores(r.Limits, corev1.ResourceCPU),
		MemoryRequest: giB(r.Requests, corev1.ResourceMemory), MemoryLimit: giB(r.Limits, corev1.ResourceMemory),
	}
	p.CPUBilled, p.MemoryBilled = p.CPULimit, p.MemoryLimit
	for _, res := range []struct {
		name          corev1.ResourceName
		billed, reqst *float64
	}{{corev1.ResourceCPU, &p.CPUBilled, &p.CPURequest}, {corev1.ResourceMemory, &p.MemoryBilled, &p.MemoryRequest}} {
		if _, ok := r.Limits[res.name]; ok {
			continue
		}
		*res.billed = *res.reqst
		if _, ok := r.Requests[res.name]; ok {
			p.OnRequests = append(p.OnRequests, name+" "+string(res.name))
		} else {
			p.Unpriced = append(p.Unpriced, name+" "+string(res.name))
		}
	}
	if p.CPULimit > 0 && p.CPURequest > p.CPULimit {
		return p, fmt.Errorf("container %s: CPU request %g is above the limit %g", name, p.CPURequest, p.CPULimit)
	}
	if p.MemoryLimit > 0 && p.MemoryRequest > p.MemoryLimit {
		return p, fmt.Errorf("container %s: memory request %gGi is above the limit %gGi", name, p.MemoryRequest, p.MemoryLimit)
	}
	return p, nil
}

func cores(l corev1.ResourceList, n corev1.ResourceName) float64 {
	q, ok := l[n]
	if !ok {
		return 0
	}
	return float64(q.MilliValue()) / 1000
}

func giB(l corev1.ResourceList, n corev1.ResourceName) float64 {
	q, ok := l[n]
	if !ok {
		return 0
	}
	return toGiB(q)
}

func toGiB(q resource.Quantity) float64 { return q.AsApproximateFloat64() / gib }

// Pods is the number of pods users need at usersPerPod: ceil(users / usersPerPod).
func Pods(users int, usersPerPod float64) int {
	return int(math.Ceil(float64(users)/usersPerPod - 1e-9))
}

// Served is how many whole users pods serve at usersPerPod.
func Served(pods int, usersPerPod float64) int {
	return int(math.Floor(float64(pods)*usersPerPod + 1e-9))
}

// Cost is a monthly cost.
type Cost struct {
	Compute, Storage float64
}

// Total is compute plus storage.
func (c Cost) Total() float64 { return c.Compute + c.Storage }

// MonthlyCost prices pods for a month: compute on every container's CPU
// and memory limits (requests where a container has none), storage on the
// volume claims.
func (m Model) MonthlyCost(pods int, pod Pod) Cost {
	n := float64(pods)
	return Cost{
		Compute: n * (pod.CPUBilled*m.CPUCoreHour + pod.MemoryBilled*m.MemoryGiBHour) * m.HoursPerMonth,
		Storage: n * m.StorageGiBPerPod * m.StorageGBMonth,
	}
}
