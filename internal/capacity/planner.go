package capacity

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/coditect/phasegen/internal/base"
	"github.com/coditect/phasegen/internal/config"
	"github.com/coditect/phasegen/internal/workload"
)

// Planner plans the phases of an app: each workload, and with several the
// phase's totals.
type Planner struct {
	Workloads []*WorkloadPlanner // the managed ones, by name
	// Unmanaged plan the workloads phasegen leaves alone, at the base's
	// replicas and resources: in the totals, after the managed ones.
	Unmanaged []*WorkloadPlanner
	fitter    fitter
}

// WorkloadPlanner plans one workload's phases.
type WorkloadPlanner struct {
	Workload *workload.Workload
	Model    Model
	// Unmanaged: the base runs it as it is; every phase is its base.
	Unmanaged bool
}

// One reports whether the app is one workload, with nothing beside it.
func (pl *Planner) One() bool { return len(pl.Workloads) == 1 && len(pl.Unmanaged) == 0 }

// NewPlanner builds the planner of the app cfg and the base b describe.
func NewPlanner(cfg *config.Set, b *base.Base) (*Planner, error) {
	ws, err := workload.Resolve(cfg, b)
	if err != nil {
		return nil, err
	}
	pl := &Planner{}
	for _, n := range slices.Sorted(maps.Keys(b.Quotas)) {
		pl.fitter.quotas = append(pl.fitter.quotas, b.Quotas[n])
	}
	if cfg.Capacity != nil {
		pl.fitter.node = cfg.Capacity.Spec.Node
	}
	for _, w := range ws.All {
		m, err := NewModel(cfg.Capacity, w)
		if err != nil {
			return nil, err
		}
		pl.Workloads = append(pl.Workloads, &WorkloadPlanner{Workload: w, Model: m})
	}
	for _, w := range ws.Unmanaged {
		m, err := NewModel(cfg.Capacity, w)
		if err != nil {
			return nil, err
		}
		pl.Unmanaged = append(pl.Unmanaged, &WorkloadPlanner{Workload: w, Model: m, Unmanaged: true})
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

// View is phase p as it sizes the workload: for one left alone, the
// base's replicas and resources (nil when p does not size a managed one).
func (wp *WorkloadPlanner) View(p *config.Phase) *config.Phase {
	if !wp.Unmanaged {
		return p.For(wp.Workload.Name)
	}
	return &config.Phase{Metadata: p.Metadata, Spec: config.PhaseSpec{Order: p.Spec.Order, Users: p.Spec.Users,
		Sizing: config.Sizing{Replicas: wp.Workload.BaseReplicas(), Alerts: config.DefaultAlerts()}}}
}

// PlanPhase plans phase p as it sizes the workload.
func (wp *WorkloadPlanner) PlanPhase(p *config.Phase) (PhasePlan, error) {
	w := wp.Workload
	view := wp.View(p)
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
	all := append(slices.Clone(pl.Workloads), pl.Unmanaged...)
	if pl.One() {
		pp, err := pl.Workloads[0].PlanPhase(p)
		pp.Fit = pl.fitter.fit(p, all)
		return pp, err
	}
	total := PhasePlan{Name: p.Metadata.Name, Order: p.Spec.Order,
		Users: MinMax[int]{Min: p.Spec.Users.Min, Max: p.Spec.Users.Max}}
	for _, wp := range all {
		wpp, err := wp.PlanPhase(p)
		if err != nil {
			return PhasePlan{}, err
		}
		total.add(wp.Workload, wpp, wp.Unmanaged)
	}
	total.Ready = total.UserSized && total.MaxCapacity.Conservative >= p.Spec.Users.Max
	total.Fit = pl.fitter.fit(p, all)
	return total, nil
}

// add adds workload w's plan wpp to the phase's totals. What users the
// phase serves is what its tightest user-sized workload serves.
func (t *PhasePlan) add(w *workload.Workload, wpp PhasePlan, unmanaged bool) {
	t.CPUCores = Spread{t.CPUCores.Requests + wpp.CPUCores.Requests, t.CPUCores.Limits + wpp.CPUCores.Limits}
	t.MemoryGiB = Spread{t.MemoryGiB.Requests + wpp.MemoryGiB.Requests, t.MemoryGiB.Limits + wpp.MemoryGiB.Limits}
	t.StorageGiB += wpp.StorageGiB
	// Money adds up in cents, as it is shown: the total is the sum of the
	// workloads' figures printed beside it.
	t.MonthlyCost.Min += cents(wpp.MonthlyCost.Min)
	t.MonthlyCost.Max += cents(wpp.MonthlyCost.Max)
	t.MonthlyCost.MinAfterPeak += cents(wpp.MonthlyCost.MinAfterPeak)
	t.KeepsVolumes = t.KeepsVolumes || wpp.KeepsVolumes
	t.ExamplePrices = t.ExamplePrices || wpp.ExamplePrices
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
		Scaling: wpp.Scaling, PricedOnRequests: wpp.Pod.OnRequests, Unpriced: wpp.Pod.Unpriced, Plan: wpp, Unmanaged: unmanaged}
	p.Plan.Name = w.Name
	if wpp.UserSized {
		c := wpp.UserCapacity
		p.UserCapacity = &c
	}
	t.Workloads = append(t.Workloads, p)
}

// Estimation is what serving a number of users takes of the whole app:
// each user-sized workload sized for them (conservatively and
// optimistically), every other workload as Phase runs it (the first phase,
// by order, whose spec.users reaches the users; the last when none does),
// and the totals.
type Estimation struct {
	Users int `json:"users"`
	// Phase is the phase the fixed workloads are priced at ("" when every
	// workload is sized by users); Beyond: no phase's users reach Users.
	Phase  string `json:"phase,omitempty"`
	Beyond bool   `json:"beyond,omitempty"`
	// Estimates are the user-sized workloads' (two each), then the fixed
	// workloads' at Phase (one each, its floor, Name "fixed").
	Estimates []Estimate `json:"estimates"`
	// Totals are the app's, conservative and optimistic.
	Totals []Estimate `json:"totals,omitempty"`
}

// Estimate sizes users for the whole app; phases are the app's, in order.
func (pl *Planner) Estimate(users int, phases []*config.Phase) (Estimation, error) {
	out := Estimation{Users: users}
	var fixed []*WorkloadPlanner
	for _, wp := range pl.Workloads {
		w := wp.Workload
		if !w.UserSized() {
			fixed = append(fixed, wp)
			continue
		}
		main, err := PodOf(w.Container.Name, w.Container.Resources)
		if err != nil {
			return out, fmt.Errorf("%s: %w", w, err)
		}
		es := wp.Model.Estimates(users, main.Plus(wp.Model.Sidecars))
		if !pl.One() {
			for i := range es {
				es[i].Workload = w.Name
			}
		}
		out.Estimates = append(out.Estimates, es...)
	}
	if len(out.Estimates) == 0 {
		return out, fmt.Errorf("no workload is sized by users: give one usersPerPod in the capacity model")
	}
	fixed = append(fixed, pl.Unmanaged...) // left alone: fixed at the base's size
	if len(fixed) == 0 {
		return out, nil
	}
	phase := servingPhase(phases, users)
	if phase == nil {
		return out, fmt.Errorf("no phase to price the fixed workloads at")
	}
	out.Phase, out.Beyond = phase.Metadata.Name, phase.Spec.Users.Max < users
	var fixedCost Cost
	for _, wp := range fixed {
		e, c, err := wp.fixedEstimate(phase)
		if err != nil {
			return out, err
		}
		out.Estimates = append(out.Estimates, e)
		fixedCost.Compute, fixedCost.Storage = fixedCost.Compute+c.Compute, fixedCost.Storage+c.Storage
	}
	out.Totals = totals(out.Estimates, fixedCost, users)
	return out, nil
}

// servingPhase is the first phase whose users reach users, else the last.
func servingPhase(phases []*config.Phase, users int) *config.Phase {
	for _, p := range phases {
		if p.Spec.Users.Max >= users {
			return p
		}
	}
	if len(phases) == 0 {
		return nil
	}
	return phases[len(phases)-1]
}

// fixedEstimate is a workload not sized by users as phase runs it, at its
// floor.
func (wp *WorkloadPlanner) fixedEstimate(phase *config.Phase) (Estimate, Cost, error) {
	pp, err := wp.PlanPhase(phase)
	if err != nil {
		return Estimate{}, Cost{}, err
	}
	c := wp.Model.MonthlyCost(pp.Replicas.Min, pp.Pod)
	e := Estimate{Workload: wp.Workload.Name, Name: "fixed", Pods: pp.Replicas.Min, CPUCores: pp.CPUCores, MemoryGiB: pp.MemoryGiB, StorageGiB: pp.StorageGiB}
	e.MonthlyCost.Compute, e.MonthlyCost.Storage, e.MonthlyCost.Total = c.Compute, c.Storage, c.Total()
	return e, c, nil
}

// totals adds the fixed workloads' cost to each user-sized estimate of one
// name, and divides by the users.
func totals(es []Estimate, fixed Cost, users int) []Estimate {
	var out []Estimate
	for _, name := range []string{"conservative", "optimistic"} {
		t := Estimate{Workload: "TOTAL", Name: name}
		t.MonthlyCost.Compute, t.MonthlyCost.Storage = fixed.Compute, fixed.Storage
		for _, e := range es {
			if e.Name != name && e.Name != "fixed" {
				continue
			}
			t.Pods += e.Pods
			t.CPUCores = Spread{t.CPUCores.Requests + e.CPUCores.Requests, t.CPUCores.Limits + e.CPUCores.Limits}
			t.MemoryGiB = Spread{t.MemoryGiB.Requests + e.MemoryGiB.Requests, t.MemoryGiB.Limits + e.MemoryGiB.Limits}
			t.StorageGiB += e.StorageGiB
			if e.Name == name {
				t.MonthlyCost.Compute += e.MonthlyCost.Compute
				t.MonthlyCost.Storage += e.MonthlyCost.Storage
			}
		}
		t.MonthlyCost.Total = t.MonthlyCost.Compute + t.MonthlyCost.Storage
		t.CostPerUser = t.MonthlyCost.Total / float64(users)
		out = append(out, t)
	}
	return out
}
