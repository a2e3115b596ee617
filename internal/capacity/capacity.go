// Package capacity plans how many pods each phase runs, how many users they
// serve, what they cost a month (at the floor after a peak too, with the
// volumes a StatefulSet keeps) and how fast the HPA reaches a peak's pods
// (with package autoscaler), from the phase configs, the capacity model and
// the workload's base.
package capacity

import (
	"fmt"
	"math"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/coditect/phasegen/internal/base"
	"github.com/coditect/phasegen/internal/config"
)

const gib = 1 << 30

// Model is what one pod is and costs.
type Model struct {
	Conservative, Optimistic float64 // users per pod
	CPUCoreHour              float64 // price of a core (at the limit) for an hour
	StorageGBMonth           float64 // price of a GiB of volume for a month
	HoursPerMonth            float64
	StorageGiBPerPod         float64 // from the base's volumeClaimTemplates
	// KeepsVolumes is true unless the StatefulSet's
	// persistentVolumeClaimRetentionPolicy.whenScaled is Delete: then the
	// volumes of a scale-down's pods stay.
	KeepsVolumes bool
}

// NewModel combines the capacity config with the workload's storage per pod.
func NewModel(c *config.CapacityModel, workload *appsv1.StatefulSet) Model {
	s := c.Spec
	storage := base.StoragePerPod(workload)
	return Model{
		Conservative: s.UsersPerPod.Conservative, Optimistic: s.UsersPerPod.Optimistic,
		CPUCoreHour: s.Pricing.CPUCoreHour, StorageGBMonth: s.Pricing.StorageGBMonth,
		HoursPerMonth: s.Pricing.HoursPerMonth, StorageGiBPerPod: toGiB(storage),
		KeepsVolumes: base.KeepsVolumesOnScaleDown(workload),
	}
}

// Pod is one pod's resources, in cores and GiB.
type Pod struct {
	CPURequest, CPULimit       float64
	MemoryRequest, MemoryLimit float64
}

// PodOf reads a pod's resources from its container requirements; requests
// above limits are an error.
func PodOf(r corev1.ResourceRequirements) (Pod, error) {
	p := Pod{
		CPURequest: cores(r.Requests, corev1.ResourceCPU), CPULimit: cores(r.Limits, corev1.ResourceCPU),
		MemoryRequest: giB(r.Requests, corev1.ResourceMemory), MemoryLimit: giB(r.Limits, corev1.ResourceMemory),
	}
	if p.CPULimit == 0 {
		return p, fmt.Errorf("the container has no CPU limit, which the cost model bills")
	}
	if p.CPURequest > p.CPULimit {
		return p, fmt.Errorf("CPU request %g is above the limit %g", p.CPURequest, p.CPULimit)
	}
	if p.MemoryLimit > 0 && p.MemoryRequest > p.MemoryLimit {
		return p, fmt.Errorf("memory request %gGi is above the limit %gGi", p.MemoryRequest, p.MemoryLimit)
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

// MonthlyCost prices pods for a month: compute on CPU limits, storage on the
// volume claims.
func (m Model) MonthlyCost(pods int, pod Pod) Cost {
	n := float64(pods)
	return Cost{
		Compute: n * pod.CPULimit * m.CPUCoreHour * m.HoursPerMonth,
		Storage: n * m.StorageGiBPerPod * m.StorageGBMonth,
	}
}
