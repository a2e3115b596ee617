package review

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"

	"github.com/coditect/phasegen/internal/capacity"
	"github.com/coditect/phasegen/internal/config"
)

// coster plans the phases of one side, once per phase.
type coster struct {
	side    Side
	once    sync.Once
	planner *capacity.Planner
	perr    error
	mu      sync.Mutex
	plans   map[*config.Phase]costed
}

// costed is a phase planned: the environment's totals (the one workload's
// plan when there is one) and each workload's share.
type costed struct {
	plan      capacity.PhasePlan
	workloads []costedWorkload
	err       error
}

// costedWorkload is one workload at the phase.
type costedWorkload struct {
	name      string
	kind      string
	view      *config.Phase               // the phase as it sizes the workload
	resources corev1.ResourceRequirements // the container's, the phase applied
	plan      capacity.PhasePlan
}

func newCoster(s Side) *coster { return &coster{side: s, plans: map[*config.Phase]costed{}} }

func (c *coster) of(es *envSide) (costed, error) {
	c.once.Do(func() { c.planner, c.perr = capacity.NewPlanner(c.side.Config, c.side.Base) })
	if c.perr != nil {
		return costed{}, fmt.Errorf("environment %s: %w", es.env.Metadata.Name, c.perr)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if p, ok := c.plans[es.phase]; ok {
		return p, p.err
	}
	var out costed
	out.err = func() error {
		var err error
		if out.plan, err = c.planner.PlanPhase(es.phase); err != nil {
			return err
		}
		for _, wp := range c.planner.Workloads {
			w := wp.Workload
			cw := costedWorkload{name: w.Name, kind: w.Kind, view: es.phase.For(w.Name)}
			cw.resources = cw.view.Spec.Resources.Apply(w.Container.Resources)
			if cw.plan, err = wp.PlanPhase(es.phase); err != nil {
				return err
			}
			out.workloads = append(out.workloads, cw)
		}
		return nil
	}()
	if out.err != nil {
		out.err = fmt.Errorf("environment %s: %w", es.env.Metadata.Name, out.err)
	}
	c.plans[es.phase] = out
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
	e.Workloads = workloadCosts(a, b)
	e.Rows = changedRows(fields(from, a), fields(to, b))
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

// workloadCosts are the workloads of either side with their cost on each;
// a side without the workload (or the environment) costs nothing.
func workloadCosts(a, b *costed) []WorkloadChange {
	out := []WorkloadChange{}
	index := map[string]int{}
	for side, c := range []*costed{a, b} {
		if c == nil {
			continue
		}
		for _, cw := range c.workloads {
			i, ok := index[cw.name]
			if !ok {
				i = len(out)
				index[cw.name] = i
				out = append(out, WorkloadChange{Name: cw.name})
			}
			out[i].Kind = cw.kind
			m := cents(Money{Min: cw.plan.MonthlyCost.Min, Max: cw.plan.MonthlyCost.Max})
			if side == 0 {
				out[i].MonthlyCost.From = m
			} else {
				out[i].MonthlyCost.To = m
			}
		}
	}
	for i := range out {
		d := &out[i].MonthlyCost
		d.Delta = Money{Min: round(d.To.Min - d.From.Min), Max: round(d.To.Max - d.From.Max)}
	}
	return out
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

// changedRows are the fields whose values differ between the sides, in
// the base side's order then the proposed side's new fields; a field one
// side lacks (a workload only it has) is "–" there.
func changedRows(fa, fb []field) []Row {
	va := make(map[string]string, len(fa))
	for _, f := range fa {
		va[f.name] = f.value
	}
	vb := make(map[string]string, len(fb))
	for _, f := range fb {
		vb[f.name] = f.value
	}
	var rows []Row
	seen := map[string]bool{}
	for _, f := range append(append([]field(nil), fa...), fb...) {
		if seen[f.name] {
			continue
		}
		seen[f.name] = true
		from, ok := va[f.name]
		if !ok {
			from = "–"
		}
		to, ok := vb[f.name]
		if !ok {
			to = "–"
		}
		if from != to {
			rows = append(rows, Row{Field: f.name, From: from, To: to})
		}
	}
	return rows
}

// workloadFieldNames are the fields of one workload, in order.
var workloadFieldNames = []string{"Replicas", "HPA range", "HPA scale-up, floor to ceiling", "Peak load test (spec.slo)",
	"CPU per pod (request / limit)", "Memory per pod (request / limit)",
	"Alert: CPU", "Alert: memory", "Alert: for", "Alert: PVC usage", "Alert: sessions per pod"}

// fields are the semantic fields of one side, in a fixed order: the phase,
// each workload's (named "<workload>: <field>" when there are several), the
// soak and the cost; "–" where the environment does not exist.
func fields(es *envSide, c *costed) []field {
	if es == nil || c == nil {
		out := []field{{"Phase", "–"}}
		for _, n := range workloadFieldNames {
			out = append(out, field{n, "–"})
		}
		return append(out, field{"Soak (spec.soak)", "–"}, field{"Monthly cost (min–max)", "–"})
	}
	p := es.phase
	out := []field{{"Phase", p.Metadata.Name}}
	for _, cw := range c.workloads {
		prefix := ""
		if len(c.workloads) > 1 {
			prefix = cw.name + ": "
		}
		for i, v := range workloadValues(cw) {
			out = append(out, field{prefix + workloadFieldNames[i], v})
		}
		if prefix != "" {
			out = append(out, field{prefix + "Monthly cost (min–max)", capacity.Money(cw.plan.MonthlyCost.Min) + "–" + capacity.Money(cw.plan.MonthlyCost.Max)})
		}
	}
	soak := "none"
	if p.Spec.Soak != "" {
		soak = p.Spec.Soak
	}
	return append(out, field{"Soak (spec.soak)", soak},
		field{"Monthly cost (min–max)", capacity.Money(c.plan.MonthlyCost.Min) + "–" + capacity.Money(c.plan.MonthlyCost.Max)})
}

// workloadValues are one workload's values of workloadFieldNames.
func workloadValues(cw costedWorkload) []string {
	p, al := cw.view, cw.view.Spec.Alerts
	hpa := "none"
	if as := p.Spec.Autoscaling; as != nil {
		hpa = fmt.Sprintf("%d–%d", as.MinReplicas, as.MaxReplicas)
	}
	return []string{
		fmt.Sprint(p.MinReplicas()),
		hpa,
		cw.plan.ScaleUpTime(),
		cw.plan.PeakSummary(),
		quantity(cw.resources.Requests, corev1.ResourceCPU) + " / " + quantity(cw.resources.Limits, corev1.ResourceCPU),
		quantity(cw.resources.Requests, corev1.ResourceMemory) + " / " + quantity(cw.resources.Limits, corev1.ResourceMemory),
		fmt.Sprintf("%d%%", al.CPUPercent),
		fmt.Sprintf("%d%%", al.MemoryPercent),
		al.For,
		fmt.Sprintf("%d%%", al.PVCUsagePercent),
		fmt.Sprint(al.SessionsPerPod),
	}
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
