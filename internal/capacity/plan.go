package capacity

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"github.com/coditect/phasegen/internal/config"
)

// MinMax is a pair of bounds.
type MinMax[T int | float64] struct {
	Min T `json:"min"`
	Max T `json:"max"`
}

// Spread is a value at requests and at limits.
type Spread struct {
	Requests float64 `json:"requests"`
	Limits   float64 `json:"limits"`
}

// Capacity is the users pods serve, conservatively and optimistically.
type Capacity struct {
	Conservative int `json:"conservative"`
	Optimistic   int `json:"optimistic"`
}

// MonthlyCost is a phase's cost a month at its floor and ceiling, and at
// its floor after a peak: with the volumes of maxReplicas pods when the
// StatefulSet keeps them on scale-down, else the floor's.
type MonthlyCost struct {
	Min          float64 `json:"min"`
	Max          float64 `json:"max"`
	MinAfterPeak float64 `json:"minAfterPeak"`
}

// PhasePlan is one phase's capacity and cost. Resource totals and user
// capacity are at replicas.min; cost is at replicas.min and .max.
type PhasePlan struct {
	Name         string      `json:"name"`
	Order        int         `json:"order"`
	Users        MinMax[int] `json:"users"`
	Replicas     MinMax[int] `json:"replicas,omitzero"` // per workload only when there are several
	Autoscaling  bool        `json:"-"`
	Pod          Pod         `json:"-"`                     // every container of a pod, as priced
	Container    Pod         `json:"-"`                     // the sized container alone
	UserCapacity Capacity    `json:"userCapacity,omitzero"` // none when no workload is sized by users
	MaxCapacity  Capacity    `json:"-"`
	CPUCores     Spread      `json:"cpuCores"`
	MemoryGiB    Spread      `json:"memoryGiB"`
	StorageGiB   float64     `json:"storageGiB"`
	MonthlyCost  MonthlyCost `json:"monthlyCost"`
	Ready        bool        `json:"ready"`
	Scaling      *Scaling    `json:"scaling,omitempty"` // autoscaling phases only
	// KeepsVolumes: the StatefulSet keeps a scale-down's volumes.
	KeepsVolumes bool `json:"-"`
	// UserSized: the plan's workload (one of them, for a phase total) is
	// sized by users, so UserCapacity and Ready mean something.
	UserSized bool `json:"-"`
	// PerPod is the users a pod serves, conservatively and optimistically.
	PerPod MinMax[float64] `json:"-"`
	// Workloads are the plans of each workload when the app has several;
	// the fields above are then the phase's totals.
	Workloads []WorkloadPlan `json:"workloads,omitempty"`
	// Unpriced names, for an app of one workload, its containers'
	// resources with neither a request nor a limit (priced at nothing).
	Unpriced []string `json:"unpriced,omitempty"`
	// ExamplePrices: every cost comes from example prices.
	ExamplePrices bool `json:"-"`
	// Fit compares the phase's ceiling with the base's ResourceQuotas and
	// the capacity model's node (nil when there are none).
	Fit *Fit `json:"fit,omitempty"`
}

// WorkloadPlan is one workload's share of a phase (JSON workloads[]).
type WorkloadPlan struct {
	Name             string      `json:"name"`
	Kind             string      `json:"kind"`
	Container        string      `json:"container"`
	Replicas         MinMax[int] `json:"replicas"`
	CPUCores         Spread      `json:"cpuCores"`
	MemoryGiB        Spread      `json:"memoryGiB"`
	StorageGiB       float64     `json:"storageGiB"`
	MonthlyCost      MonthlyCost `json:"monthlyCost"`
	UserCapacity     *Capacity   `json:"userCapacity,omitempty"`
	Scaling          *Scaling    `json:"scaling,omitempty"`
	PricedOnRequests []string    `json:"pricedOnRequests,omitempty"`
	// Unpriced names the containers' resources with neither a request nor
	// a limit, priced at nothing ("server cpu").
	Unpriced []string `json:"unpriced,omitempty"`
	// Plan is the workload's plan in full (what a one-workload app's phase is).
	Plan PhasePlan `json:"-"`
	// Unmanaged: phasegen leaves it alone (managed: false); it is priced
	// at the base's replicas and resources.
	Unmanaged bool `json:"unmanaged,omitempty"`
}

// PlanPhase plans phase p (as it sizes the workload) whose pods run the
// sized container, with its base resources baseResources overridden by the
// phase, beside the model's sidecars.
func (m Model) PlanPhase(p *config.Phase, container string, baseResources corev1.ResourceRequirements) (PhasePlan, error) {
	main, err := PodOf(container, p.Spec.Resources.Apply(baseResources))
	if err != nil {
		return PhasePlan{}, fmt.Errorf("phase %q: resources: %w", p.Metadata.Name, err)
	}
	pod := main.Plus(m.Sidecars)
	lo, hi := int(p.MinReplicas()), int(p.MaxReplicas())
	n := float64(lo)
	pl := PhasePlan{
		Name: p.Metadata.Name, Order: p.Spec.Order,
		Users:        MinMax[int]{Min: p.Spec.Users.Min, Max: p.Spec.Users.Max},
		Replicas:     MinMax[int]{Min: lo, Max: hi},
		Autoscaling:  p.Spec.Autoscaling != nil,
		Pod:          pod,
		Container:    main,
		UserCapacity: Capacity{Conservative: Served(lo, m.Conservative), Optimistic: Served(lo, m.Optimistic)},
		MaxCapacity:  Capacity{Conservative: Served(hi, m.Conservative), Optimistic: Served(hi, m.Optimistic)},
		CPUCores:     Spread{Requests: n * pod.CPURequest, Limits: n * pod.CPULimit},
		MemoryGiB:    Spread{Requests: n * pod.MemoryRequest, Limits: n * pod.MemoryLimit},
		StorageGiB:   n * m.StorageGiBPerPod,
		MonthlyCost:  MonthlyCost{Min: m.MonthlyCost(lo, pod).Total(), Max: m.MonthlyCost(hi, pod).Total()},
		Scaling:      m.planScaling(p),
		KeepsVolumes: m.KeepsVolumes,
		UserSized:    m.Conservative > 0,
		PerPod:       MinMax[float64]{Min: m.Conservative, Max: m.Optimistic},
	}
	pl.MonthlyCost.MinAfterPeak = pl.MonthlyCost.Min
	if m.KeepsVolumes {
		pl.MonthlyCost.MinAfterPeak = m.MonthlyCost(lo, pod).Compute + m.MonthlyCost(hi, pod).Storage
	}
	pl.Ready = pl.UserSized && pl.MaxCapacity.Conservative >= p.Spec.Users.Max
	pl.Unpriced, pl.ExamplePrices = pod.Unpriced, m.ExamplePrices
	return pl, nil
}

// Estimate is what serving a number of users takes at one users-per-pod rate.
type Estimate struct {
	Workload    string  `json:"workload,omitempty"` // with several workloads
	Name        string  `json:"name"`
	UsersPerPod float64 `json:"usersPerPod"`
	Pods        int     `json:"pods"`
	CPUCores    Spread  `json:"cpuCores"`
	MemoryGiB   Spread  `json:"memoryGiB"`
	StorageGiB  float64 `json:"storageGiB"`
	MonthlyCost struct {
		Compute float64 `json:"compute"`
		Storage float64 `json:"storage"`
		Total   float64 `json:"total"`
	} `json:"monthlyCost"`
	CostPerUser float64 `json:"costPerUser"`
}

// Estimates sizes users conservatively and optimistically for pods like pod.
func (m Model) Estimates(users int, pod Pod) []Estimate {
	var out []Estimate
	for _, r := range []struct {
		name string
		upp  float64
	}{{"conservative", m.Conservative}, {"optimistic", m.Optimistic}} {
		pods := Pods(users, r.upp)
		n := float64(pods)
		c := m.MonthlyCost(pods, pod)
		e := Estimate{
			Name: r.name, UsersPerPod: r.upp, Pods: pods,
			CPUCores:   Spread{Requests: n * pod.CPURequest, Limits: n * pod.CPULimit},
			MemoryGiB:  Spread{Requests: n * pod.MemoryRequest, Limits: n * pod.MemoryLimit},
			StorageGiB: n * m.StorageGiBPerPod,
		}
		e.MonthlyCost.Compute, e.MonthlyCost.Storage, e.MonthlyCost.Total = c.Compute, c.Storage, c.Total()
		if users > 0 {
			e.CostPerUser = c.Total() / float64(users)
		}
		out = append(out, e)
	}
	return out
}
