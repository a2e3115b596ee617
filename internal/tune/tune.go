// Package tune recommends right-sized values for the phase an environment
// runs, from what package observe saw in Prometheus, each with the rule that
// produced it, and writes them into the phase's file in place (comments and
// the rest of the file kept), so the usual render → diff → promote flow takes
// the change from there.
package tune

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/coditect/phasegen/internal/capacity"
	"github.com/coditect/phasegen/internal/config"
	"github.com/coditect/phasegen/internal/observe"
)

// The rules' constants.
const (
	MinCPUMilli      = 10
	MinMemoryMi      = 100
	MemoryHeadroom   = 1.15
	MinTargetPercent = 50
	MaxTargetPercent = 90
	MinDataMinutes   = 24 * 60
	MinSamples       = 100
	mi               = 1 << 20
)

// Quantities are a CPU and a memory quantity as Kubernetes writes them.
type Quantities struct {
	CPU    string `json:"cpu"`
	Memory string `json:"memory"`
}

// Autoscaling is the recommended HPA.
type Autoscaling struct {
	MinReplicas                       int32  `json:"minReplicas"`
	MaxReplicas                       int32  `json:"maxReplicas"`
	TargetCPUUtilizationPercentage    *int32 `json:"targetCPUUtilizationPercentage,omitempty"`
	TargetMemoryUtilizationPercentage *int32 `json:"targetMemoryUtilizationPercentage,omitempty"`
}

// Result is `phasegen tune -o json`, as docs/json.md documents it.
type Result struct {
	Workload    string `json:"name,omitempty"` // with several workloads: the workload's name, as status -o json has it
	Environment string `json:"environment"`
	Phase       string `json:"phase"`
	Recommended struct {
		Resources struct {
			Requests Quantities `json:"requests"`
			Limits   Quantities `json:"limits"`
		} `json:"resources"`
		Autoscaling *Autoscaling `json:"autoscaling,omitempty"`
		Replicas    *int32       `json:"replicas,omitempty"` // a phase without an HPA
	} `json:"recommended"`
	MonthlyCost struct {
		Current     capacity.MinMax[float64] `json:"current"`
		Recommended capacity.MinMax[float64] `json:"recommended"`
	} `json:"monthlyCost"`
	Rules []string `json:"rules"`
	// Warnings say when an observed peak is at or over the phase's alert
	// threshold of a recommended limit (an addition to the documented shape;
	// empty when none).
	Warnings []string `json:"warnings"`

	// Edits are the phase file changes --write makes (the values that differ).
	Edits []Edit `json:"-"`
	// Phase is the phase with the recommendation applied.
	Tuned *config.Phase `json:"-"`
}

// RefusedError says there is too little data to recommend from: what the
// window held, and what tune needs.
type RefusedError struct {
	Env          string
	Data, Window time.Duration
	Samples      int
	At           time.Time
	NeedSamples  int
	WindowOption string // how the caller widens the window; "the window" when empty
}

func (e *RefusedError) Error() string {
	widen := e.WindowOption
	if widen == "" {
		widen = "the window"
	}
	return fmt.Sprintf("refusing to recommend for %s: the workload has %s of data (%d samples) in the %s before %s; tune needs at least 24h and %d samples: wait for more data, or widen %s if it is shorter",
		e.Env, observe.FormatWindow(e.Data), e.Samples, observe.FormatWindow(e.Window), e.At.UTC().Format(time.RFC3339), e.NeedSamples, widen)
}

// Recommend applies the rules to an observation of env at phase p.
func Recommend(env *config.Environment, p *config.Phase, wp *capacity.WorkloadPlanner, o *observe.Observation) (*Result, error) {
	p = p.For(wp.Workload.Name)
	if p == nil {
		return nil, fmt.Errorf("the phase does not size workload %s", wp.Workload.Name)
	}
	model, base, container := wp.Model, wp.Workload.Container.Resources, wp.Workload.Container.Name
	if o.DataMinutes < MinDataMinutes || o.Samples < MinSamples {
		return nil, &RefusedError{Env: env.Metadata.Name, Data: minutes(o.DataMinutes), Samples: int(o.Samples),
			Window: o.Window, At: o.At, NeedSamples: MinSamples}
	}
	rc := &recommendation{r: &Result{Environment: env.Metadata.Name, Phase: p.Metadata.Name}, p: p, o: o, tuned: *p}
	rc.resources(base)
	if im := o.Imbalance; im.CPUP95Ratio > observe.ImbalanceLimit {
		rc.rules = append(rc.rules, fmt.Sprintf("the imbalance drives the CPU request: it is sized for the busiest pod, %s, whose p95 CPU is %s× the median pod's; balancing the load would let it come down",
			im.Pod, trim(im.CPUP95Ratio, 2)))
	}
	if model.Conservative > 0 && wp.Workload.Model.SessionMetric != "" {
		if err := rc.scale(model); err != nil {
			return nil, err
		}
	} else {
		// Not sized by sessions: nothing says how many pods it needs, so
		// its replicas and HPA stay as the phase has them.
		rc.rules = append(rc.rules, "replicas and HPA range kept: the workload has no usersPerPod or no session metric, so no session count sizes its pods (the HPA's targets still follow the new requests)")
		rc.keepScale()
	}
	if err := rc.cost(model, container, base); err != nil {
		return nil, err
	}
	rc.r.Rules, rc.r.Edits, rc.r.Tuned = rc.rules, rc.edits, &rc.tuned
	return rc.r, nil
}

// keepScale reports the phase's replicas or HPA range as they are; the
// HPA's targets follow the new requests (retarget).
func (rc *recommendation) keepScale() {
	p, r := rc.p, rc.r
	if a := p.Spec.Autoscaling; a != nil {
		na := *a
		rc.rules, rc.edits = rc.retarget(a, &na, rc.rules, rc.edits)
		rc.tuned.Spec.Autoscaling = &na
		r.Recommended.Autoscaling = &Autoscaling{MinReplicas: na.MinReplicas, MaxReplicas: na.MaxReplicas,
			TargetCPUUtilizationPercentage: na.TargetCPUUtilizationPercentage, TargetMemoryUtilizationPercentage: na.TargetMemoryUtilizationPercentage}
		return
	}
	n := p.Spec.Replicas
	r.Recommended.Replicas = &n
}

// recommendation is Recommend's work in progress: the result, the rules it
// printed, the edits it makes, and the phase with them applied.
type recommendation struct {
	r     *Result
	p     *config.Phase
	o     *observe.Observation
	tuned config.Phase
	rules []string
	edits []Edit

	cpuMilli          int64
	reqCPU, curReqCPU resource.Quantity
	reqMem, curReqMem resource.Quantity
}

// resources sizes requests and limits from the busiest pod's CPU and the
// largest working set.
func (rc *recommendation) resources(base corev1.ResourceRequirements) {
	p, o, r := rc.p, rc.o, rc.r
	var rules []string
	var edits []Edit
	cur := p.Spec.Resources.Apply(base)
	curReqCPU, curLimCPU := cur.Requests[corev1.ResourceCPU], cur.Limits[corev1.ResourceCPU]
	curReqMem, curLimMem := cur.Requests[corev1.ResourceMemory], cur.Limits[corev1.ResourceMemory]

	cpuMilli := max(int64(math.Ceil(o.CPUP95PerPod*1000-1e-9)), MinCPUMilli)
	reqCPU := *resource.NewMilliQuantity(cpuMilli, resource.DecimalSI)
	rules = append(rules, fmt.Sprintf("requests.cpu %s (was %s): the busiest pod's p95 CPU, %s cores, rounded up to the millicore (at least %dm)",
		reqCPU.String(), qs(curReqCPU), trim(o.CPUP95PerPod, 4), MinCPUMilli))

	memMi := max(int64(math.Ceil(o.MemoryMaxPerPod*MemoryHeadroom/mi-1e-9)), MinMemoryMi)
	mem := *resource.NewQuantity(memMi*mi, resource.BinarySI)
	rules = append(rules, fmt.Sprintf("requests.memory = limits.memory %s (was %s and %s): the largest working set, %s MiB, × %s rounded up to the Mi (at least %dMi)",
		mem.String(), qs(curReqMem), qs(curLimMem), trim(o.MemoryMaxPerPod/mi, 1), trim(MemoryHeadroom, 2), MinMemoryMi))

	limCPU, cpuHow := curLimCPU.DeepCopy(), "kept"
	if limCPU.IsZero() || limCPU.Cmp(reqCPU) < 0 {
		rules = append(rules, fmt.Sprintf("limits.cpu %s (was %s): raised to the new request", reqCPU.String(), qs(curLimCPU)))
		limCPU, cpuHow = reqCPU.DeepCopy(), "raised to the new request"
	} else {
		rules = append(rules, fmt.Sprintf("limits.cpu %s: kept, it is not below the new request", limCPU.String()))
	}
	r.Warnings = append(warnings(p.Spec.Alerts, o, mem, limCPU, cpuHow), envWarnings(p.Spec.Env, curLimMem, mem)...)
	r.Recommended.Resources.Requests = Quantities{CPU: reqCPU.String(), Memory: mem.String()}
	r.Recommended.Resources.Limits = Quantities{CPU: limCPU.String(), Memory: mem.String()}
	if reqCPU.Cmp(curReqCPU) != 0 {
		edits = append(edits, Edit{Path: p.Field("resources.requests.cpu"), Value: reqCPU.String()})
	}
	if mem.Cmp(curReqMem) != 0 {
		edits = append(edits, Edit{Path: p.Field("resources.requests.memory"), Value: mem.String()})
	}
	if limCPU.Cmp(curLimCPU) != 0 {
		edits = append(edits, Edit{Path: p.Field("resources.limits.cpu"), Value: limCPU.String()})
	}
	if mem.Cmp(curLimMem) != 0 {
		edits = append(edits, Edit{Path: p.Field("resources.limits.memory"), Value: mem.String()})
	}

	rc.tuned.Spec.Resources = &config.Resources{
		Requests: config.ResourceList{CPU: &reqCPU, Memory: &mem},
		Limits:   config.ResourceList{CPU: &limCPU, Memory: &mem},
	}
	rc.rules, rc.edits = append(rc.rules, rules...), append(rc.edits, edits...)
	rc.cpuMilli, rc.reqCPU, rc.curReqCPU = cpuMilli, reqCPU, curReqCPU
	rc.reqMem, rc.curReqMem = mem, curReqMem
}

// scale sets the replica floor from the p95 sessions, and the HPA's
// target so it keeps scaling at the same CPU per pod.
func (rc *recommendation) scale(model capacity.Model) error {
	p, o, r := rc.p, rc.o, rc.r
	rules, edits := rc.rules, rc.edits
	tuned := &rc.tuned
	// The floor serves the p95 sessions conservatively.
	users := int(math.Ceil(o.SessionsP95 - 1e-9))
	pods := max(capacity.Pods(users, model.Conservative), 1)
	if pods > math.MaxInt32 {
		return fmt.Errorf("the p95 sessions, %d, need %d pods at %s users a pod: more than a replica count holds (%d); nothing is written", users, pods, trim(model.Conservative, 2), math.MaxInt32)
	}
	floor := int32(pods)
	floorRule := fmt.Sprintf("the p95 sessions, %s, as %d users at %s users a pod (conservative)", trim(o.SessionsP95, 2), users, trim(model.Conservative, 2))

	if a := p.Spec.Autoscaling; a != nil {
		na := *a
		na.MinReplicas = floor
		rules = append(rules, fmt.Sprintf("autoscaling.minReplicas %d (was %d): %s", floor, a.MinReplicas, floorRule))
		if floor > a.MaxReplicas {
			na.MaxReplicas = floor
			rules = append(rules, fmt.Sprintf("autoscaling.maxReplicas %d (was %d): raised to the new floor", floor, a.MaxReplicas))
			edits = append(edits, Edit{Path: p.Field("autoscaling.maxReplicas"), Value: int(floor)})
		} else {
			rules = append(rules, fmt.Sprintf("autoscaling.maxReplicas %d: kept", a.MaxReplicas))
		}
		if floor != a.MinReplicas {
			edits = append(edits, Edit{Path: p.Field("autoscaling.minReplicas"), Value: int(floor)})
			if p.Source.Has(p.Field("replicas")) {
				edits = append(edits, Edit{Path: p.Field("replicas"), Value: int(floor)})
			}
		}
		rules, edits = rc.retarget(a, &na, rules, edits)
		tuned.Spec.Autoscaling = &na
		tuned.Spec.Replicas = floor
		r.Recommended.Autoscaling = &Autoscaling{MinReplicas: na.MinReplicas, MaxReplicas: na.MaxReplicas,
			TargetCPUUtilizationPercentage: na.TargetCPUUtilizationPercentage, TargetMemoryUtilizationPercentage: na.TargetMemoryUtilizationPercentage}
	} else {
		rules = append(rules, fmt.Sprintf("replicas %d (was %d): %s", floor, p.Spec.Replicas, floorRule))
		if floor != p.Spec.Replicas {
			edits = append(edits, Edit{Path: p.Field("replicas"), Value: int(floor)})
		}
		tuned.Spec.Replicas = floor
		r.Recommended.Replicas = &floor
	}

	rc.rules, rc.edits = rules, edits
	return nil
}

// retarget moves the HPA's utilization targets of a into na so that the HPA
// keeps scaling at the same CPU and memory a pod with the new requests
// (utilization is usage over the request: a new request with the old
// target moves the scale point), clamped to MinTargetPercent-MaxTargetPercent
// and said when the clamp moves it.
func (rc *recommendation) retarget(a, na *config.Autoscaling, rules []string, edits []Edit) ([]string, []Edit) {
	p := rc.p
	for _, m := range []struct {
		field, what, unit string
		t                 *int32
		set               func(*int32)
		old, now          resource.Quantity
		scale             func(resource.Quantity) float64
	}{
		{"autoscaling.targetCPUUtilizationPercentage", "CPU", "m", a.TargetCPUUtilizationPercentage, func(v *int32) { na.TargetCPUUtilizationPercentage = v },
			rc.curReqCPU, rc.reqCPU, func(q resource.Quantity) float64 { return float64(q.MilliValue()) }},
		{"autoscaling.targetMemoryUtilizationPercentage", "memory", "Mi", a.TargetMemoryUtilizationPercentage, func(v *int32) { na.TargetMemoryUtilizationPercentage = v },
			rc.curReqMem, rc.reqMem, func(q resource.Quantity) float64 { return float64(q.Value()) / mi }},
	} {
		if m.t == nil {
			continue
		}
		oldPoint := float64(*m.t) / 100 * m.scale(m.old)
		if m.scale(m.old) == 0 || m.scale(m.now) == 0 {
			rules = append(rules, fmt.Sprintf("%s %d: kept (the %s request it is a percentage of is not known)", m.field, *m.t, m.what))
			continue
		}
		exact := oldPoint / m.scale(m.now) * 100
		nt := int32(math.Round(exact))
		rule := fmt.Sprintf("%s %d (was %d): keeps the HPA scaling at %s%s a pod (%d%% of %s) with the new %s request, %s",
			m.field, nt, *m.t, trim(oldPoint, 1), m.unit, *m.t, qs(m.old), m.now.String(), "so a new request does not move where it scales")
		if nt < MinTargetPercent || nt > MaxTargetPercent {
			nt = min(max(nt, MinTargetPercent), MaxTargetPercent)
			rule = fmt.Sprintf("%s %d (was %d): keeping the scale point at %s%s a pod would take %s%%, so it is clamped to %d-%d%% and the HPA now scales at %s%s a pod",
				m.field, nt, *m.t, trim(oldPoint, 1), m.unit, trim(exact, 1), MinTargetPercent, MaxTargetPercent, trim(float64(nt)/100*m.scale(m.now), 1), m.unit)
		}
		rules = append(rules, rule)
		v := nt
		m.set(&v)
		if nt != *m.t {
			edits = append(edits, Edit{Path: p.Field(m.field), Value: int(nt)})
		}
	}
	return rules, edits
}

// cost prices the phase as it is and as recommended.
func (rc *recommendation) cost(model capacity.Model, container string, base corev1.ResourceRequirements) error {
	p, r, tuned := rc.p, rc.r, &rc.tuned
	before, err := model.PlanPhase(p, container, base)
	if err != nil {
		return err
	}
	after, err := model.PlanPhase(tuned, container, base)
	if err != nil {
		return fmt.Errorf("the recommended values do not plan: %w", err)
	}
	r.MonthlyCost.Current = capacity.MinMax[float64]{Min: cents(before.MonthlyCost.Min), Max: cents(before.MonthlyCost.Max)}
	r.MonthlyCost.Recommended = capacity.MinMax[float64]{Min: cents(after.MonthlyCost.Min), Max: cents(after.MonthlyCost.Max)}
	rc.rules = append(rc.rules, fmt.Sprintf("monthly cost %s → %s (floor-ceiling, priced as plan prices)",
		span(minMax(before.MonthlyCost)), span(minMax(after.MonthlyCost))))
	return nil
}

func minutes(m float64) time.Duration { return time.Duration(m * float64(time.Minute)) }

func qs(q resource.Quantity) string {
	if q.IsZero() {
		return "none"
	}
	return q.String()
}

func trim(v float64, digits int) string {
	s := fmt.Sprintf("%.*f", digits, v)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

func minMax(c capacity.MonthlyCost) capacity.MinMax[float64] {
	return capacity.MinMax[float64]{Min: c.Min, Max: c.Max}
}

func cents(v float64) float64 { return math.Round(v*100) / 100 }

func span(m capacity.MinMax[float64]) string {
	if cents(m.Min) == cents(m.Max) {
		return capacity.Money(m.Min)
	}
	return capacity.Money(m.Min) + "-" + capacity.Money(m.Max)
}

// WriteAllJSON prints the results of several workloads:
// {"environment", "phase", "workloads": [<each result>]}.
func WriteAllJSON(w io.Writer, env, phase string, rs []*Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(struct {
		Environment string    `json:"environment"`
		Phase       string    `json:"phase"`
		Workloads   []*Result `json:"workloads"`
	}{env, phase, rs})
}

// WriteJSON prints the result as the documented JSON.
func WriteJSON(w io.Writer, r *Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

func (r *Result) rows() [][2]string {
	res := r.Recommended.Resources
	rows := [][2]string{
		{"requests", fmt.Sprintf("cpu %s, memory %s", res.Requests.CPU, res.Requests.Memory)},
		{"limits", fmt.Sprintf("cpu %s, memory %s", res.Limits.CPU, res.Limits.Memory)},
	}
	if a := r.Recommended.Autoscaling; a != nil {
		hpa := fmt.Sprintf("%d-%d pods", a.MinReplicas, a.MaxReplicas)
		if a.TargetCPUUtilizationPercentage != nil {
			hpa += fmt.Sprintf(", CPU target %d%%", *a.TargetCPUUtilizationPercentage)
		}
		if a.TargetMemoryUtilizationPercentage != nil {
			hpa += fmt.Sprintf(", memory target %d%%", *a.TargetMemoryUtilizationPercentage)
		}
		rows = append(rows, [2]string{"autoscaling", hpa})
	} else if r.Recommended.Replicas != nil {
		rows = append(rows, [2]string{"replicas", fmt.Sprint(*r.Recommended.Replicas)})
	}
	rows = append(rows, [2]string{"monthly cost", span(r.MonthlyCost.Current) + " → " + span(r.MonthlyCost.Recommended)})
	return rows
}

// WriteTable prints the result for a terminal.
func WriteTable(w io.Writer, r *Result) error {
	fmt.Fprintf(w, "%s at phase %s, recommended:\n", r.Environment, r.Phase)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, row := range r.rows() {
		fmt.Fprintf(tw, "  %s\t%s\n", row[0], row[1])
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "rules:")
	for _, rule := range r.Rules {
		fmt.Fprintf(w, "  - %s\n", rule)
	}
	if len(r.Warnings) > 0 {
		fmt.Fprintln(w, "warnings:")
	}
	for _, warning := range r.Warnings {
		fmt.Fprintf(w, "  - %s\n", warning)
	}
	return nil
}

// WriteMarkdown prints the result as a GitHub table and the rules.
func WriteMarkdown(w io.Writer, r *Result) error {
	fmt.Fprintf(w, "### Recommended values for phase `%s` (from %s)\n\n| Field | Recommended |\n|---|---|\n", r.Phase, r.Environment)
	for _, row := range r.rows() {
		fmt.Fprintf(w, "| %s | %s |\n", row[0], row[1])
	}
	fmt.Fprintln(w)
	for _, rule := range r.Rules {
		fmt.Fprintf(w, "- %s\n", rule)
	}
	for _, warning := range r.Warnings {
		fmt.Fprintf(w, "\n> [!WARNING]\n> %s\n", warning)
	}
	return nil
}
