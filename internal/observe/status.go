package observe

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/coditect/phasegen/internal/capacity"
	"github.com/coditect/phasegen/internal/config"
)

const gib = 1 << 30

// Verdicts.
const (
	VerdictPromote   = "promote"
	VerdictHold      = "hold"
	VerdictOversized = "oversized"
)

// Status is `phasegen status -o json`, as docs/json.md documents it.
type Status struct {
	Environment string `json:"environment"`
	Phase       string `json:"phase"`
	Window      string `json:"window"`
	At          string `json:"at"`
	Pods        struct {
		Min float64 `json:"min"`
		Max float64 `json:"max"`
	} `json:"pods"`
	Sessions struct {
		Peak float64 `json:"peak"`
		P95  float64 `json:"p95"`
	} `json:"sessions"`
	CPUCores struct {
		P95PerPod float64 `json:"p95PerPod"`
		MaxPerPod float64 `json:"maxPerPod"`
	} `json:"cpuCores"`
	MemoryGiB struct {
		MaxPerPod float64 `json:"maxPerPod"`
	} `json:"memoryGiB"`
	PVCUsedPercent struct {
		Max *float64 `json:"max"` // null for a workload without volume claims
	} `json:"pvcUsedPercent"`
	HPA struct {
		AtMaxFraction *float64 `json:"atMaxFraction"` // null without an HPA
	} `json:"hpa"`
	UsersPerPod struct {
		Observed float64 `json:"observed"`
		Assumed  float64 `json:"assumed"` // the CapacityModel's conservative users per pod
	} `json:"usersPerPod"`
	MonthlyCost struct {
		Observed float64                  `json:"observed"`
		Planned  capacity.MinMax[float64] `json:"planned"`
	} `json:"monthlyCost"`
	// NoSessions: the workload has no session metric (its session figures
	// are not observed).
	NoSessions bool `json:"-"`
	// Imbalance is the busiest pod against the median pod; absent with
	// fewer than two pods.
	Imbalance *Imbalance `json:"imbalance,omitempty"`
	Verdict   Verdict    `json:"verdict"`
	// Soak is read from the GitOps branch, when a target could be read
	// (an addition to the documented shape; omitted otherwise).
	Soak *Soak `json:"soak,omitempty"`
}

// Verdict says whether the environment has outgrown its phase.
type Verdict struct {
	Status  string   `json:"status"`
	Reasons []string `json:"reasons"`
	Command string   `json:"command"`
	// Next is the phase the verdict promotes to ("" when it is not a
	// promotion to a next phase).
	Next string `json:"-"`
}

// Judge inputs: the environment, its phase and the next one (nil at the
// last), the capacity model and the phase's plan.
type Judge struct {
	Env   *config.Environment
	Phase *config.Phase
	Next  *config.Phase
	Model capacity.Model
	Plan  capacity.PhasePlan
	// NoSessions: the workload has no session metric, so no session figure
	// speaks for or against the phase.
	NoSessions bool
	// Sticky are the Services that pin each client to one of the
	// workload's pods (sessionAffinity: ClientIP): the likely cause of an
	// imbalance.
	Sticky []*corev1.Service
}

// ObservedMonthlyCost prices the window as plan prices pods: compute for
// the average ready pods; storage for them too, or, when the StatefulSet
// keeps the volumes of the pods a scale-down removes, for the most pods seen.
func (j Judge) ObservedMonthlyCost(o *Observation) float64 {
	one := j.Model.MonthlyCost(1, j.Plan.Pod) // the whole pod, sidecars too
	storagePods := o.PodsAvg
	if j.Model.KeepsVolumes {
		storagePods = o.PodsMax
	}
	return o.PodsAvg*one.Compute + storagePods*one.Storage
}

// Status computes the figures and the verdict.
func (j Judge) Status(o *Observation, window string) Status {
	var s Status
	s.Environment, s.Phase, s.Window, s.At = j.Env.Metadata.Name, j.Phase.Metadata.Name, window, o.At.UTC().Format(time.RFC3339)
	s.Pods.Min, s.Pods.Max = o.PodsMin, o.PodsMax
	s.Sessions.Peak, s.Sessions.P95 = round(o.SessionsPeak, 3), round(o.SessionsP95, 3)
	s.CPUCores.P95PerPod, s.CPUCores.MaxPerPod = round(o.CPUP95PerPod, 4), round(o.CPUMaxPerPod, 4)
	s.MemoryGiB.MaxPerPod = round(o.MemoryMaxPerPod/gib, 4)
	if o.Volumes {
		v := round(o.PVCUsedPercentMax, 2)
		s.PVCUsedPercent.Max = &v
	}
	if o.HPA {
		f := round(o.HPAAtMaxFraction, 4)
		s.HPA.AtMaxFraction = &f
	}
	s.UsersPerPod.Observed, s.UsersPerPod.Assumed = round(o.UsersPerPod, 3), j.Model.Conservative
	s.MonthlyCost.Observed = round(j.ObservedMonthlyCost(o), 2)
	s.MonthlyCost.Planned = capacity.MinMax[float64]{Min: round(j.Plan.MonthlyCost.Min, 2), Max: round(j.Plan.MonthlyCost.Max, 2)}
	s.Verdict = j.verdict(o)
	s.NoSessions = j.NoSessions
	if im := o.Imbalance; im.CPUP95Ratio > 0 || im.SessionsPeakRatio > 0 {
		s.Imbalance = &Imbalance{CPUP95Ratio: round(im.CPUP95Ratio, 3), SessionsPeakRatio: round(im.SessionsPeakRatio, 3), Pod: im.Pod}
		if r := j.imbalanceReason(im); r != "" {
			s.Verdict.Reasons = append(s.Verdict.Reasons, r)
		}
	}
	return s
}

// imbalanceReason says when the busiest pod works more than ImbalanceLimit
// times the median pod, naming it, and the Services' ClientIP affinity as
// the likely cause when there is one.
func (j Judge) imbalanceReason(im Imbalance) string {
	if im.CPUP95Ratio <= ImbalanceLimit && im.SessionsPeakRatio <= ImbalanceLimit {
		return ""
	}
	r := fmt.Sprintf("The load is not balanced: pod %s's p95 CPU is %s× the median pod's", im.Pod, num(round(im.CPUP95Ratio, 2)))
	if im.SessionsPeakRatio > ImbalanceLimit {
		r += fmt.Sprintf(", and the busiest pod's peak sessions %s× the median's", num(round(im.SessionsPeakRatio, 2)))
	}
	r += "; tune sizes the busiest pod, so the others get more than they use."
	for _, svc := range j.Sticky {
		timeout := int32(10800) // the API's default for ClientIP
		if c := svc.Spec.SessionAffinityConfig; c != nil && c.ClientIP != nil && c.ClientIP.TimeoutSeconds != nil {
			timeout = *c.ClientIP.TimeoutSeconds
		}
		r += fmt.Sprintf(" Likely cause: Service %s pins each client to one pod for %s (sessionAffinity: ClientIP, timeoutSeconds %d).",
			svc.Name, FormatWindow(time.Duration(timeout)*time.Second), timeout)
	}
	return r
}

func round(v float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(v*p) / p
}

func (j Judge) verdict(o *Observation) Verdict {
	p, env := j.Phase, j.Env.Metadata.Name
	a := p.Spec.Alerts
	var up []string
	if !j.NoSessions && o.SessionsPeak >= float64(p.Spec.Users.Max) {
		up = append(up, fmt.Sprintf("Peak sessions (%s) reached the phase's maximum of %d users.", num(o.SessionsPeak), p.Spec.Users.Max))
	}
	forDur, err := time.ParseDuration(a.For)
	if err != nil {
		forDur = 5 * time.Minute
	}
	if o.HPA {
		at := time.Duration(o.HPAAtMaxMinutes * float64(time.Minute))
		if at > 0 && at >= forDur {
			up = append(up, fmt.Sprintf("The HPA ran at its maximum of %d pods for %s of the window (%s), longer than the alerts' %s.",
				p.MaxReplicas(), pct(o.HPAAtMaxFraction*100), FormatWindow(at.Round(time.Minute)), a.For))
		}
	}
	cpuPct, memPct := 0.0, 0.0
	if j.Plan.Container.CPULimit > 0 {
		cpuPct = o.CPUP95PerPod / j.Plan.Container.CPULimit * 100
	}
	if j.Plan.Container.MemoryLimit > 0 {
		memPct = o.MemoryP95PerPod / gib / j.Plan.Container.MemoryLimit * 100
	}
	if cpuPct > float64(a.CPUPercent) {
		up = append(up, fmt.Sprintf("The busiest pod's p95 CPU (%s cores) is %s of its %s-core limit, over the %d%% alert threshold.",
			num(o.CPUP95PerPod), pct(cpuPct), num(j.Plan.Container.CPULimit), a.CPUPercent))
	}
	if memPct > float64(a.MemoryPercent) {
		up = append(up, fmt.Sprintf("The busiest pod's p95 memory (%s GiB) is %s of its %s GiB limit, over the %d%% alert threshold.",
			num(o.MemoryP95PerPod/gib), pct(memPct), num(j.Plan.Container.MemoryLimit), a.MemoryPercent))
	}
	if len(up) > 0 {
		if j.Next == nil {
			up = append(up, fmt.Sprintf("%s is the last phase: raise its maximum pods or resources; tune shows what the data supports.", p.Metadata.Name))
			return Verdict{Status: VerdictPromote, Reasons: up, Command: "phasegen tune " + env}
		}
		return Verdict{Status: VerdictPromote, Reasons: up, Command: fmt.Sprintf("phasegen promote %s --to %s", env, j.Next.Metadata.Name), Next: j.Next.Metadata.Name}
	}
	floor := int(p.MinReplicas())
	serves := capacity.Served(floor, j.Model.Conservative)
	if !j.NoSessions && o.SessionsPeak < float64(serves)/2 {
		return Verdict{Status: VerdictOversized, Command: "phasegen tune " + env, Reasons: []string{
			fmt.Sprintf("Peak sessions (%s) are under half of the %d users the floor of %d pods serves conservatively (%s a pod).",
				num(o.SessionsPeak), serves, floor, num(j.Model.Conservative)),
		}}
	}
	reasons := []string{
		fmt.Sprintf("Peak sessions (%s) are under the phase's maximum of %d users and at least half of the %d the floor serves.", num(o.SessionsPeak), p.Spec.Users.Max, serves),
		fmt.Sprintf("The busiest pod's p95 CPU is %s of its limit and p95 memory %s, under the %d%% and %d%% alert thresholds.", pct(cpuPct), pct(memPct), a.CPUPercent, a.MemoryPercent),
	}
	if o.HPA {
		reasons = append(reasons, fmt.Sprintf("The HPA ran at its maximum for %s of the window.", pct(o.HPAAtMaxFraction*100)))
	}
	return Verdict{Status: VerdictHold, Reasons: reasons, Command: ""}
}

func num(v float64) string {
	s := fmt.Sprintf("%.3f", v)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" {
		return "0"
	}
	return s
}

func pct(v float64) string { return num(round(v, 1)) + "%" }

// WriteStatusJSON prints the status as the documented JSON.
func WriteStatusJSON(w io.Writer, s Status) error { return writeJSON(w, s) }

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func (s Status) rows() [][2]string {
	hpa := "no HPA"
	if s.HPA.AtMaxFraction != nil {
		hpa = pct(*s.HPA.AtMaxFraction*100) + " of the window at its maximum"
	}
	sessions := fmt.Sprintf("peak %s, p95 %s", num(s.Sessions.Peak), num(s.Sessions.P95))
	users := fmt.Sprintf("%s observed at the busiest sample, %s assumed", num(s.UsersPerPod.Observed), num(s.UsersPerPod.Assumed))
	if s.NoSessions {
		sessions, users = "none (no session metric)", "not observed (no session metric), "+num(s.UsersPerPod.Assumed)+" assumed"
	}
	rows := [][2]string{
		{"ready pods", span(num(s.Pods.Min), num(s.Pods.Max))},
		{"sessions", sessions},
		{"CPU cores per pod (busiest)", fmt.Sprintf("p95 %s, max %s", num(s.CPUCores.P95PerPod), num(s.CPUCores.MaxPerPod))},
		{"memory GiB per pod (largest)", num(s.MemoryGiB.MaxPerPod)},
		{"fullest PVC", fullest(s.PVCUsedPercent.Max)},
		{"HPA", hpa},
		{"users per pod", users},
		{"monthly cost", fmt.Sprintf("%s observed, %s planned", capacity.Money(s.MonthlyCost.Observed),
			span(capacity.Money(s.MonthlyCost.Planned.Min), capacity.Money(s.MonthlyCost.Planned.Max)))},
	}
	if im := s.Imbalance; im != nil {
		line := fmt.Sprintf("busiest pod %s: p95 CPU %s× the median pod's", im.Pod, num(im.CPUP95Ratio))
		if im.SessionsPeakRatio > 0 {
			line += fmt.Sprintf(", peak sessions %s×", num(im.SessionsPeakRatio))
		}
		rows = append(rows, [2]string{"imbalance", line})
	}
	if s.Soak != nil {
		rows = append(rows, [2]string{"soak", s.Soak.line()})
	}
	return rows
}

// fullest is the fullest volume's use, "none" for a workload without
// volume claims.
func fullest(v *float64) string {
	if v == nil {
		return "none (no volume claims)"
	}
	return pct(*v)
}

func span(lo, hi string) string {
	if lo == hi {
		return lo
	}
	return lo + "-" + hi
}

// WriteStatusTable prints the status for a terminal.
func WriteStatusTable(w io.Writer, s Status) error {
	fmt.Fprintf(w, "%s at phase %s, the %s before %s:\n", s.Environment, s.Phase, s.Window, s.At)
	if err := writeRows(w, s.rows()); err != nil {
		return err
	}
	writeVerdict(w, s.Verdict)
	return nil
}

func writeRows(w io.Writer, rows [][2]string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, r := range rows {
		fmt.Fprintf(tw, "  %s\t%s\n", r[0], r[1])
	}
	return tw.Flush()
}

func writeVerdict(w io.Writer, v Verdict) {
	fmt.Fprintf(w, "verdict: %s\n", v.Status)
	for _, r := range v.Reasons {
		fmt.Fprintf(w, "  - %s\n", r)
	}
	if v.Command != "" {
		fmt.Fprintf(w, "next: %s\n", v.Command)
	}
}

// WriteStatusMarkdown prints the status as a GitHub table.
func WriteStatusMarkdown(w io.Writer, s Status) error {
	fmt.Fprintf(w, "### %s at phase `%s`: %s\n\nThe %s before %s.\n\n| Figure | Observed |\n|---|---|\n", s.Environment, s.Phase, s.Verdict.Status, s.Window, s.At)
	for _, r := range s.rows() {
		fmt.Fprintf(w, "| %s | %s |\n", r[0], r[1])
	}
	writeMarkdownVerdict(w, s.Verdict)
	return nil
}

func writeMarkdownVerdict(w io.Writer, v Verdict) {
	fmt.Fprintln(w)
	for _, r := range v.Reasons {
		fmt.Fprintf(w, "- %s\n", r)
	}
	if v.Command != "" {
		fmt.Fprintf(w, "\nNext: `%s`\n", v.Command)
	}
}
