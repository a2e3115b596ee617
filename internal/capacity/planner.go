package capacity

import (
	"fmt"
	"math"
	"strings"

	"github.com/coditect/phasegen/internal/base"
	"github.com/coditect/phasegen/internal/config"
	"github.com/coditect/phasegen/internal/workload"
)

// Planner plans the phases of an app: each workload, and with several the
// phase's totals.
type Planner struct {
	Workloads []*WorkloadPlanner // by name
}

// WorkloadPlanner plans one workload's phases.
type WorkloadPlanner struct {
	Workload *workload.Workload
	Model    Model
}

// NewPlanner builds the planner of the app cfg and the base b describe.
func NewPlanner(cfg *config.Set, b *base.Base) (*Planner, error) {
	ws, err := workload.Resolve(cfg, b)
	if err != nil {
		return nil, err
	}
	pl := &Planner{}
	for _, w := range ws.All {
		m, err := NewModel(cfg.Capacity, w)
		if err != nil {
			return nil, err
		}
		pl.Workloads = append(pl.Workloads, &WorkloadPlanner{Workload: w, Model: m})
	}
	return pl, nil
}

// Single returns the planner of the app's one workload; with several it
// is an error naming them, for the callers that read one workload only
// (what, said in the message).
func (pl *Planner) Single(what string) (*WorkloadPlanner, error) {
	if len(pl.Workloads) == 1 {
		return pl.Workloads[0], nil
	}
	names := make([]string, len(pl.Workloads))
	for i, w := range pl.Workloads {
		names[i] = w.Workload.Name
	}
	return nil, fmt.Errorf("%s reads one workload, and this app has %d (%s): it does not yet handle several", what, len(names), strings.Join(names, ", "))
}

// PlanPhase plans phase p as it sizes the workload.
func (wp *WorkloadPlanner) PlanPhase(p *config.Phase) (PhasePlan, error) {
	w := wp.Workload
	view := p.For(w.Name)
	if view == nil {
		return PhasePlan{}, fmt.Errorf("phase %q does not size workload %s", p.Metadata.Name, w.Name)
	}
	return wp.Model.PlanPhase(view, w.Container.Name, w.Container.Resources)
}

// Plan plans each phase.
func (pl *Planner) Plan(phases []*config.Phase) ([]PhasePlan, error) {
	out := make([]PhasePlan, 0, len(phases))
	for _, p := range phases {
		pp, err := pl.PlanPhase(p)
		if err != nil {
			return nil, err
		}
		out = append(out, pp)
	}
	return out, nil
}

// PlanPhase plans one phase: the workload's plan when the app has one;
// with several, the phase's totals with every workload's plan inside.
func (pl *Planner) PlanPhase(p *config.Phase) (PhasePlan, error) {
	if len(pl.Workloads) == 1 {
		return pl.Workloads[0].PlanPhase(p)
	}
	total := PhasePlan{Name: p.Metadata.Name, Order: p.Spec.Order,
		Users: MinMax[int]{Min: p.Spec.Users.Min, Max: p.Spec.Users.Max}}
	for _, wp := range pl.Workloads {
		wpp, err := wp.PlanPhase(p)
		if err != nil {
			return PhasePlan{}, err
		}
		total.add(wp.Workload, wpp)
	}
	total.Ready = total.UserSized && total.MaxCapacity.Conservative >= p.Spec.Users.Max
	return total, nil
}

// add adds workload w's plan wpp to the phase's totals. What users the
// phase serves is what its tightest user-sized workload serves.
func (t *PhasePlan) add(w *workload.Workload, wpp PhasePlan) {
	t.CPUCores = Spread{t.CPUCores.Requests + wpp.CPUCores.Requests, t.CPUCores.Limits + wpp.CPUCores.Limits}
	t.MemoryGiB = Spread{t.MemoryGiB.Requests + wpp.MemoryGiB.Requests, t.MemoryGiB.Limits + wpp.MemoryGiB.Limits}
	t.StorageGiB += wpp.StorageGiB
	// Money adds up in cents, as it is shown: the total is the sum of the
	// workloads' figures printed beside it.
	t.MonthlyCost.Min += cents(wpp.MonthlyCost.Min)
	t.MonthlyCost.Max += cents(wpp.MonthlyCost.Max)
	t.MonthlyCost.MinAfterPeak += cents(wpp.MonthlyCost.MinAfterPeak)
	t.KeepsVolumes = t.KeepsVolumes || wpp.KeepsVolumes
	t.Autoscaling = t.Autoscaling || wpp.Autoscaling
	if wpp.UserSized {
		if !t.UserSized {
			t.UserCapacity, t.MaxCapacity = Capacity{math.MaxInt, math.MaxInt}, Capacity{math.MaxInt, math.MaxInt}
		}
		t.UserSized = true
		t.UserCapacity = Capacity{min(t.UserCapacity.Conservative, wpp.UserCapacity.Conservative), min(t.UserCapacity.Optimistic, wpp.UserCapacity.Optimistic)}
		t.MaxCapacity = Capacity{min(t.MaxCapacity.Conservative, wpp.MaxCapacity.Conservative), min(t.MaxCapacity.Optimistic, wpp.MaxCapacity.Optimistic)}
	}
	p := WorkloadPlan{Name: w.Name, Kind: w.Kind, Container: w.Container.Name, Replicas: wpp.Replicas,
		CPUCores: wpp.CPUCores, MemoryGiB: wpp.MemoryGiB, StorageGiB: wpp.StorageGiB, MonthlyCost: wpp.MonthlyCost,
		Scaling: wpp.Scaling, PricedOnRequests: wpp.Pod.OnRequests, Plan: wpp}
	p.Plan.Name = w.Name
	if wpp.UserSized {
		c := wpp.UserCapacity
		p.UserCapacity = &c
	}
	t.Workloads = append(t.Workloads, p)
}

// Estimate sizes users with each user-sized workload's base resources.
func (pl *Planner) Estimate(users int) ([]Estimate, error) {
	var out []Estimate
	for _, wp := range pl.Workloads {
		w := wp.Workload
		if !w.UserSized() {
			continue
		}
		main, err := PodOf(w.Container.Name, w.Container.Resources)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", w, err)
		}
		es := wp.Model.Estimates(users, main.Plus(wp.Model.Sidecars))
		if len(pl.Workloads) > 1 {
			for i := range es {
				es[i].Workload = w.Name
			}
		}
		out = append(out, es...)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no workload is sized by users: give one usersPerPod in the capacity model")
	}
	return out, nil
}
