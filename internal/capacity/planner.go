package capacity

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"github.com/coditect/phasegen/internal/base"
	"github.com/coditect/phasegen/internal/config"
)

// Planner plans phases of one workload.
type Planner struct {
	Model     Model
	Resources corev1.ResourceRequirements // the base container's
}

// NewPlanner builds the planner for the workload the environments name (the
// base's only StatefulSet when there are no environments).
func NewPlanner(cfg *config.Set, b *base.Base) (*Planner, error) {
	name := ""
	if len(cfg.Environments) > 0 {
		if err := cfg.CheckWorkloads(b.WorkloadNames()); err != nil {
			return nil, err
		}
		name = cfg.Environments[0].Spec.Workload
	} else {
		names := b.WorkloadNames()
		if len(names) == 0 {
			return nil, fmt.Errorf("the templates base has no StatefulSet to plan")
		}
		name = names[0]
	}
	sts, err := b.Workload(name)
	if err != nil {
		return nil, err
	}
	c, err := base.MainContainer(sts)
	if err != nil {
		return nil, err
	}
	return &Planner{Model: NewModel(cfg.Capacity, sts), Resources: c.Resources}, nil
}

// Plan plans each phase.
func (pl *Planner) Plan(phases []*config.Phase) ([]PhasePlan, error) {
	out := make([]PhasePlan, 0, len(phases))
	for _, p := range phases {
		pp, err := pl.Model.PlanPhase(p, pl.Resources)
		if err != nil {
			return nil, err
		}
		out = append(out, pp)
	}
	return out, nil
}

// Estimate sizes users with the base container's resources.
func (pl *Planner) Estimate(users int) ([]Estimate, error) {
	pod, err := PodOf(pl.Resources)
	if err != nil {
		return nil, fmt.Errorf("base container: %w", err)
	}
	return pl.Model.Estimates(users, pod), nil
}
