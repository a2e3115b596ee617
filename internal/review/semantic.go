package review

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"

	"github.com/coditect/phasegen/internal/base"
	"github.com/coditect/phasegen/internal/capacity"
	"github.com/coditect/phasegen/internal/config"
)

// coster plans the phases of one side, once per phase and workload.
type coster struct {
	side  Side
	mu    sync.Mutex
	plans map[costKey]costed
}

type costKey struct {
	phase    *config.Phase
	workload string
}

type costed struct {
	plan      capacity.PhasePlan
	resources corev1.ResourceRequirements // the container's, the phase applied
	err       error
}

func newCoster(s Side) *coster { return &coster{side: s, plans: map[costKey]costed{}} }

func (c *coster) of(es *envSide) (costed, error) {
	key := costKey{es.phase, es.env.Spec.Workload}
	c.mu.Lock()
	defer c.mu.Unlock()
	if p, ok := c.plans[key]; ok {
		return p, p.err
	}
	var out costed
	out.err = func() error {
		sts, err := c.side.Base.Workload(es.env.Spec.Workload)
		if err != nil {
			return err
		}
		ctr, err := base.MainContainer(sts)
		if err != nil {
			return err
		}
		m := capacity.NewModel(c.side.Config.Capacity, sts)
		out.resources = es.phase.Spec.Resources.Apply(ctr.Resources)
		out.plan, err = m.PlanPhase(es.phase, ctr.Resources)
		return err
	}()
	if out.err != nil {
		out.err = fmt.Errorf("environment %s: %w", es.env.Metadata.Name, out.err)
	}
	c.plans[key] = out
	return out, out.err
}

// semantic fills e's cost on both sides, the rows that differ and, where
// they differ, the planner's scaling and the soak on both sides.
func semantic(e *Env, costs [2]*coster, from, to *envSide) error {
	var d CostDelta
	var a, b *costed
	if from != nil {
		c, err := costs[0].of(from)
		if err != nil {
			return fmt.Errorf("at the base revision: %w", err)
		}
		a, d.From = &c, cents(Money{Min: c.plan.MonthlyCost.Min, Max: c.plan.MonthlyCost.Max})
	}
	if to != nil {
		c, err := costs[1].of(to)
		if err != nil {
			return err
		}
		b, d.To = &c, cents(Money{Min: c.plan.MonthlyCost.Min, Max: c.plan.MonthlyCost.Max})
	}
	d.Delta = Money{Min: round(d.To.Min - d.From.Min), Max: round(d.To.Max - d.From.Max)}
	e.MonthlyCost = d
	fa, fb := fields(from, a), fields(to, b)
	e.Rows = nil
	for i := range fa {
		if fa[i].value != fb[i].value {
			e.Rows = append(e.Rows, Row{Field: fa[i].name, From: fa[i].value, To: fb[i].value})
		}
	}
	sa, sb := scalingOf(a), scalingOf(b)
	ja, err := json.Marshal(sa)
	if err != nil {
		return err
	}
	jb, err := json.Marshal(sb)
	if err != nil {
		return err
	}
	if !bytes.Equal(ja, jb) {
		e.Scaling = &ScalingDelta{From: sa, To: sb}
	}
	if ka, kb := soakOf(from), soakOf(to); !equalPtr(ka, kb) {
		e.Soak = &SoakDelta{From: ka, To: kb}
	}
	return nil
}

func scalingOf(c *costed) *capacity.Scaling {
	if c == nil {
		return nil
	}
	return c.plan.Scaling
}

func soakOf(es *envSide) *string {
	if es == nil || es.phase.Spec.Soak == "" {
		return nil
	}
	return &es.phase.Spec.Soak
}

func equalPtr(a, b *string) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

type field struct{ name, value string }

// fields are the semantic fields of one side, in a fixed order; "–" where
// the environment does not exist.
func fields(es *envSide, c *costed) []field {
	names := []string{"Phase", "Replicas", "HPA range", "HPA scale-up, floor to ceiling", "Peak load test (spec.slo)",
		"CPU per pod (request / limit)", "Memory per pod (request / limit)",
		"Alert: CPU", "Alert: memory", "Alert: for", "Alert: PVC usage", "Alert: sessions per pod",
		"Soak (spec.soak)", "Monthly cost (min–max)"}
	out := make([]field, len(names))
	for i, n := range names {
		out[i] = field{name: n, value: "–"}
	}
	if es == nil || c == nil {
		return out
	}
	p, al := es.phase, es.phase.Spec.Alerts
	hpa := "none"
	if as := p.Spec.Autoscaling; as != nil {
		hpa = fmt.Sprintf("%d–%d", as.MinReplicas, as.MaxReplicas)
	}
	soak := "none"
	if p.Spec.Soak != "" {
		soak = p.Spec.Soak
	}
	values := []string{
		p.Metadata.Name,
		fmt.Sprint(p.MinReplicas()),
		hpa,
		c.plan.ScaleUpTime(),
		c.plan.PeakSummary(),
		quantity(c.resources.Requests, corev1.ResourceCPU) + " / " + quantity(c.resources.Limits, corev1.ResourceCPU),
		quantity(c.resources.Requests, corev1.ResourceMemory) + " / " + quantity(c.resources.Limits, corev1.ResourceMemory),
		fmt.Sprintf("%d%%", al.CPUPercent),
		fmt.Sprintf("%d%%", al.MemoryPercent),
		al.For,
		fmt.Sprintf("%d%%", al.PVCUsagePercent),
		fmt.Sprint(al.SessionsPerPod),
		soak,
		capacity.Money(c.plan.MonthlyCost.Min) + "–" + capacity.Money(c.plan.MonthlyCost.Max),
	}
	for i, v := range values {
		out[i].value = v
	}
	return out
}

func quantity(l corev1.ResourceList, n corev1.ResourceName) string {
	if q, ok := l[n]; ok {
		return q.String()
	}
	return "none"
}

func round(v float64) float64 {
	r := math.Round(v*100) / 100
	if r == 0 {
		return 0 // no -0
	}
	return r
}

func cents(m Money) Money { return Money{Min: round(m.Min), Max: round(m.Max)} }

// Signed formats a money delta with its sign: +$12.34, −$5.00, $0.00.
func Signed(v float64) string {
	m := capacity.Money(v)
	switch {
	case m == capacity.Money(0):
		return m
	case strings.HasPrefix(m, "$-"):
		return "−$" + m[2:]
	}
	return "+" + m
}
