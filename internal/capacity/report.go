package capacity

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/coditect/phasegen/internal/autoscaler"
)

// Money formats dollars rounded to cents.
func Money(v float64) string { return fmt.Sprintf("$%.2f", cents(v)) }

func cents(v float64) float64 { return math.Round(v*100) / 100 }

// num formats a quantity with up to three decimals and no trailing zeros.
func num(v float64) string {
	s := fmt.Sprintf("%.3f", v)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" {
		return "0"
	}
	return s
}

func span(lo, hi string) string {
	if lo == hi {
		return lo
	}
	return lo + "-" + hi
}

// HPA describes the autoscaling range, or "-" for fixed replicas.
func (p PhasePlan) HPA() string {
	if !p.Autoscaling {
		return "-"
	}
	return fmt.Sprintf("%d-%d", p.Replicas.Min, p.Replicas.Max)
}

// ReadyMark is ✓ or ✗.
func (p PhasePlan) ReadyMark() string {
	if p.Ready {
		return "✓"
	}
	return "✗"
}

// several reports whether the plans are of an app of several workloads.
func several(plans []PhasePlan) bool { return len(plans) > 0 && len(plans[0].Workloads) > 0 }

// WriteTable prints the phases as aligned columns, then what the SLOs and
// the volumes mean. With several workloads every row names its workload
// and each phase ends with a TOTAL row.
func WriteTable(w io.Writer, plans []PhasePlan) error {
	if several(plans) {
		return writeWorkloadsTable(w, plans)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PHASE\tORDER\tUSERS\tPODS\tHPA\tSERVES\tCORES req/lim\tMEMORY GiB req/lim\tSTORAGE GiB\t$/MONTH min-max\tAFTER PEAK\tREADY\tTO MAX\tPEAK pods/s/limit")
	for _, p := range plans {
		fmt.Fprintln(tw, strings.Join(append([]string{p.Name, fmt.Sprint(p.Order), p.users()}, p.cells("/")...), "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, n := range Notes(plans) {
		fmt.Fprintln(w, n)
	}
	return nil
}

// ToMax is the seconds from floor to ceiling, "-" without an HPA.
func (p PhasePlan) ToMax() string {
	switch {
	case p.Scaling == nil:
		return "-"
	case p.Scaling.SecondsToMax == nil:
		return fmt.Sprintf(">%ds", autoscaler.MaxSeconds)
	}
	return fmt.Sprintf("%ds", *p.Scaling.SecondsToMax)
}

// PeakCell is the SLO's pods, seconds, limit and mark, "-" without one.
func (p PhasePlan) PeakCell() string {
	if p.Scaling == nil || p.Scaling.Peak == nil {
		return "-"
	}
	k := p.Scaling.Peak
	secs := fmt.Sprintf("%ds", k.Seconds)
	if !k.Reached {
		secs = fmt.Sprintf(">%ds", autoscaler.MaxSeconds)
	}
	return fmt.Sprintf("%d/%s/%ds %s", k.Pods, secs, k.Within, k.Mark())
}

// ScaleUpTime is ToMax for a sentence or a cell: "405 s", ">86400 s", or
// "none" without an HPA.
func (p PhasePlan) ScaleUpTime() string {
	if p.Scaling == nil {
		return "none"
	}
	return strings.TrimSuffix(p.ToMax(), "s") + " s"
}

// PeakSummary is the SLO's verdict in one line, "none" without one:
// "30 users: 20 pods in 225 s, limit 180 s: ✗ not met".
func (p PhasePlan) PeakSummary() string {
	if p.Scaling == nil || p.Scaling.Peak == nil {
		return "none"
	}
	k := p.Scaling.Peak
	secs := fmt.Sprintf("in %d s", k.Seconds)
	if !k.Reached {
		secs = "not within a day"
	}
	verdict := "met"
	if !k.Met {
		verdict = "not met"
	}
	return fmt.Sprintf("%d users: %d pods %s, limit %d s: %s %s", k.Users, k.Pods, secs, k.Within, k.Mark(), verdict)
}

// Mark is ✓ when the peak's SLO is met, else ✗.
func (k *Peak) Mark() string {
	if k.Met {
		return "✓"
	}
	return "✗"
}

// Notes are the sentences under a plan: each SLO's verdict, with the
// smallest change that meets it when it is not met, and what happens to the
// volumes after a peak.
func Notes(plans []PhasePlan) []string {
	var out []string
	if len(plans) > 0 && plans[0].ExamplePrices {
		out = append(out, ExamplePricesNote)
	}
	out = append(out, fitNotes(plans)...)
	if several(plans) {
		return append(out, workloadNotes(plans)...)
	}
	for _, p := range plans {
		if p.Scaling == nil || p.Scaling.Peak == nil {
			continue
		}
		out = append(out, p.Name+": "+p.Scaling.Peak.verdict())
	}
	if len(plans) > 0 && plans[0].StorageGiB > 0 {
		out = append(out, storageNote(plans[0].KeepsVolumes))
	}
	return append(out, pricingNotes(plans, func(p PhasePlan) []PhasePlan { return []PhasePlan{p} })...)
}

// kindCell is the workload's kind, and whether phasegen leaves it alone.
func (wp WorkloadPlan) kindCell() string {
	if wp.Unmanaged {
		return wp.Kind + ", left alone"
	}
	return wp.Kind
}

// workloadNotes are Notes for an app of several workloads: each SLO's
// verdict, the volumes of each StatefulSet with claims, and what is billed
// on requests, each naming its workload.
func workloadNotes(plans []PhasePlan) []string {
	var out []string
	for _, wp := range plans[0].Workloads {
		if wp.Unmanaged {
			out = append(out, fmt.Sprintf("%s: managed: false, so phasegen leaves it as the base has it (no patch, HPA, PDB or alerts); it is priced at the base's size (%d replicas, its resources) in every phase", wp.Name, wp.Replicas.Min))
		}
	}
	for _, p := range plans {
		for _, wp := range p.Workloads {
			if wp.Scaling != nil && wp.Scaling.Peak != nil {
				out = append(out, p.Name+" "+wp.Name+": "+wp.Scaling.Peak.verdict())
			}
		}
	}
	for i, wp := range plans[0].Workloads {
		scales := false
		for _, p := range plans {
			scales = scales || p.Workloads[i].Plan.Autoscaling
		}
		if wp.Plan.StorageGiB > 0 && scales {
			out = append(out, wp.Name+": "+storageNote(wp.Plan.KeepsVolumes))
		}
	}
	return append(out, pricingNotes(plans, func(p PhasePlan) []PhasePlan {
		out := make([]PhasePlan, len(p.Workloads))
		for i, wp := range p.Workloads {
			out[i] = wp.Plan
		}
		return out
	})...)
}

// pricingNotes say which containers are billed on their requests for want
// of a limit, and which are priced at nothing for want of both, and at
// which phases; of names the plans (workloads) of a phase.
func pricingNotes(plans []PhasePlan, of func(PhasePlan) []PhasePlan) []string {
	onRequests := collect(plans, of, func(q PhasePlan) []string { return q.Pod.OnRequests })
	unpriced := collect(plans, of, func(q PhasePlan) []string { return q.Pod.Unpriced })
	out := make([]string, 0, len(onRequests)+len(unpriced))
	for _, u := range unpriced {
		out = append(out, fmt.Sprintf("Unpriced: %s has neither a request nor a limit, so it is priced at $0 (%s): its cost is unknown, not nothing; set a request to price it.",
			u.what, strings.Join(u.phases, ", ")))
	}
	for _, r := range onRequests {
		out = append(out, fmt.Sprintf("Pricing: %s has no limit, so it is priced on its request (%s); set a limit to price what the pods may use.",
			r.what, strings.Join(r.phases, ", ")))
	}
	return out
}

// priced is one container's resource and the phases it is found at.
type priced struct {
	what   string
	phases []string
}

// collect gathers what names gives of each phase's plans, in first-seen
// order, each with the phases it is found at; a workload's container is
// named workload/container when the app has several.
func collect(plans []PhasePlan, of func(PhasePlan) []PhasePlan, names func(PhasePlan) []string) []priced {
	var out []priced
	at := map[string]int{}
	for _, p := range plans {
		for _, q := range of(p) {
			for _, c := range names(q) {
				what := c
				if q.Name != p.Name {
					what = q.Name + "/" + c
				}
				i, ok := at[what]
				if !ok {
					i, at[what] = len(out), len(out)
					out = append(out, priced{what: what})
				}
				out[i].phases = append(out[i].phases, p.Name)
			}
		}
	}
	return out
}

// writeWorkloadsTable is WriteTable for an app of several workloads.
func writeWorkloadsTable(w io.Writer, plans []PhasePlan) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PHASE\tWORKLOAD\tKIND\tUSERS\tPODS\tHPA\tSERVES\tCORES req/lim\tMEMORY GiB req/lim\tSTORAGE GiB\t$/MONTH min-max\tAFTER PEAK\tREADY\tTO MAX\tPEAK pods/s/limit")
	for _, p := range plans {
		for _, wp := range p.Workloads {
			fmt.Fprintln(tw, strings.Join(append([]string{p.Name, wp.Name, wp.kindCell(), p.users()}, wp.Plan.cells("/")...), "\t"))
		}
		fmt.Fprintln(tw, strings.Join(append([]string{p.Name, "TOTAL", "", p.users()}, p.totalCells("/")...), "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, n := range Notes(plans) {
		fmt.Fprintln(w, n)
	}
	return nil
}

// users is the phase's users, "min-max".
func (p PhasePlan) users() string { return span(fmt.Sprint(p.Users.Min), fmt.Sprint(p.Users.Max)) }

// cells are a plan's figures as table cells, from PODS to PEAK; slash
// joins requests and limits.
func (p PhasePlan) cells(slash string) []string {
	return []string{fmt.Sprint(p.Replicas.Min), p.HPA(), p.serves(),
		num(p.CPUCores.Requests) + slash + num(p.CPUCores.Limits), num(p.MemoryGiB.Requests) + slash + num(p.MemoryGiB.Limits),
		num(p.StorageGiB), span(Money(p.MonthlyCost.Min), Money(p.MonthlyCost.Max)) + p.unpricedMark(), Money(p.MonthlyCost.MinAfterPeak),
		p.readyCell(), p.ToMax(), p.PeakCell()}
}

// unpricedMark flags a cost that leaves out resources nothing prices
// (neither a request nor a limit): " (unpriced: server cpu)".
func (p PhasePlan) unpricedMark() string {
	if len(p.Pod.Unpriced) == 0 {
		return ""
	}
	return " (unpriced: " + strings.Join(p.Pod.Unpriced, ", ") + ")"
}

// totalCells are cells of a phase's totals: no pods, HPA or timing, which
// are per workload.
func (p PhasePlan) totalCells(slash string) []string {
	c := p.cells(slash)
	c[0], c[1], c[9], c[10] = "", "", "", ""
	return c
}

// serves is the users the pods serve (conservatively-optimistically), "-"
// when no workload is sized by users.
func (p PhasePlan) serves() string {
	if !p.UserSized {
		return "-"
	}
	return span(fmt.Sprint(p.UserCapacity.Conservative), fmt.Sprint(p.UserCapacity.Optimistic))
}

// readyCell is ReadyMark, "-" when no workload is sized by users.
func (p PhasePlan) readyCell() string {
	if !p.UserSized {
		return "-"
	}
	return p.ReadyMark()
}

func (k *Peak) verdict() string {
	var b strings.Builder
	if k.Needed > 0 {
		fmt.Fprintf(&b, "a peak of %d users needs %d pods, above maxReplicas %d; ", k.Users, k.Needed, k.Pods)
	} else {
		fmt.Fprintf(&b, "a peak of %d users needs %d pods; ", k.Users, k.Pods)
	}
	switch {
	case !k.Reached:
		fmt.Fprintf(&b, "the HPA does not set them within %d s", autoscaler.MaxSeconds)
	case k.Pods <= k.Floor:
		fmt.Fprintf(&b, "the floor already runs them")
	case k.Seconds == 0:
		fmt.Fprintf(&b, "the HPA sets them at its first sync")
	case k.ReadySeconds > 0:
		fmt.Fprintf(&b, "the HPA has set them and they are Ready after %d s (%d s of pod start-up)", k.Seconds, k.ReadySeconds)
	default:
		fmt.Fprintf(&b, "the HPA has set them after %d s", k.Seconds)
	}
	if k.Met {
		fmt.Fprintf(&b, ", within the %d s limit: met.", k.Within)
		return b.String()
	}
	if k.Needed > 0 || !k.Reached || k.Seconds <= k.Within {
		fmt.Fprintf(&b, ": not met (limit %d s).", k.Within)
	} else {
		fmt.Fprintf(&b, ", over the %d s limit: not met.", k.Within)
	}
	if k.Change != nil {
		fmt.Fprintf(&b, " Smallest change that meets it: %s.", k.Change)
	} else {
		fmt.Fprintf(&b, " No change to maxReplicas or scaleUp meets it: podReadySeconds or the limit must move.")
	}
	return b.String()
}

func storageNote(keeps bool) string {
	if keeps {
		return "Storage: volumes stay after a scale-down (the StatefulSet's persistentVolumeClaimRetentionPolicy.whenScaled is Retain), " +
			"so after a peak the floor also pays for the volumes of maxReplicas pods until someone deletes them (AFTER PEAK)."
	}
	return "Storage: the StatefulSet deletes the volumes of the pods a scale-down removes (persistentVolumeClaimRetentionPolicy.whenScaled: Delete), " +
		"so after a peak the floor costs what it did (AFTER PEAK = min)."
}

// WriteEstimatesTable prints what serving users takes: per workload when
// the app has several (the fixed ones at the phase that serves the users),
// with the app's totals.
func WriteEstimatesTable(w io.Writer, est Estimation) error {
	fmt.Fprintf(w, "Serving %d users:\n", est.Users)
	several := len(est.Estimates) > 0 && est.Estimates[0].Workload != ""
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	head := "ESTIMATE\tUSERS/POD\tPODS\tCORES req-lim\tMEMORY GiB req-lim\tSTORAGE GiB\tCOMPUTE\tSTORAGE\tTOTAL/MONTH\tPER USER"
	if several {
		head = "WORKLOAD\t" + head
	}
	fmt.Fprintln(tw, head)
	for _, e := range append(append([]Estimate(nil), est.Estimates...), est.Totals...) {
		upp, per := num(e.UsersPerPod), Money(e.CostPerUser)
		if e.Name == "fixed" {
			upp, per = "-", "-"
		} else if e.Workload == "TOTAL" {
			upp = "-"
		}
		row := fmt.Sprintf("%s\t%s\t%d\t%s-%s\t%s-%s\t%s\t%s\t%s\t%s\t%s", e.Name, upp, e.Pods,
			num(e.CPUCores.Requests), num(e.CPUCores.Limits), num(e.MemoryGiB.Requests), num(e.MemoryGiB.Limits),
			num(e.StorageGiB), Money(e.MonthlyCost.Compute), Money(e.MonthlyCost.Storage), Money(e.MonthlyCost.Total), per)
		if several {
			row = e.Workload + "\t" + row
		}
		fmt.Fprintln(tw, row)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if est.Phase != "" {
		fmt.Fprintf(w, "The workloads not sized by users are priced as phase %s runs them, at its floor (the first phase whose users reach %d).\n", est.Phase, est.Users)
		if est.Beyond {
			fmt.Fprintf(w, "No phase's users reach %d: %s is the last phase, so it may not run enough of them.\n", est.Users, est.Phase)
		}
	}
	return nil
}

// rounded returns copies with money at cents and quantities at 1/1000, the
// precision JSON carries.
func rounded(p PhasePlan) PhasePlan {
	r := func(v float64) float64 { return math.Round(v*1000) / 1000 }
	p.CPUCores = Spread{r(p.CPUCores.Requests), r(p.CPUCores.Limits)}
	p.MemoryGiB = Spread{r(p.MemoryGiB.Requests), r(p.MemoryGiB.Limits)}
	p.StorageGiB = r(p.StorageGiB)
	p.MonthlyCost = MonthlyCost{cents(p.MonthlyCost.Min), cents(p.MonthlyCost.Max), cents(p.MonthlyCost.MinAfterPeak)}
	if len(p.Workloads) > 0 {
		ws := make([]WorkloadPlan, len(p.Workloads))
		for i, w := range p.Workloads {
			w.CPUCores = Spread{r(w.CPUCores.Requests), r(w.CPUCores.Limits)}
			w.MemoryGiB = Spread{r(w.MemoryGiB.Requests), r(w.MemoryGiB.Limits)}
			w.StorageGiB = r(w.StorageGiB)
			w.MonthlyCost = MonthlyCost{cents(w.MonthlyCost.Min), cents(w.MonthlyCost.Max), cents(w.MonthlyCost.MinAfterPeak)}
			ws[i] = w
		}
		p.Workloads = ws
	}
	return p
}

// ExamplePricesNote says the costs come from example prices.
const ExamplePricesNote = "Prices: these costs use example prices (spec.pricing.example: true in capacity.yaml, as init writes them), not your provider's: set cpuCoreHour, memoryGiBHour and storageGBMonth to yours and remove example."

// WriteJSON prints {"phases": [...]}, the documented JSON, with
// "examplePrices": true when the prices are examples.
func WriteJSON(w io.Writer, plans []PhasePlan) error {
	out := struct {
		Phases        []PhasePlan `json:"phases"`
		ExamplePrices bool        `json:"examplePrices,omitempty"`
	}{Phases: make([]PhasePlan, len(plans))}
	for i, p := range plans {
		out.Phases[i] = rounded(p)
		out.ExamplePrices = out.ExamplePrices || p.ExamplePrices
	}
	return writeJSON(w, out)
}

// WriteEstimatesJSON prints the Estimation: {"users", "phase"?, "beyond"?,
// "estimates": [...], "totals"?: [...]}.
func WriteEstimatesJSON(w io.Writer, est Estimation) error {
	r := func(v float64) float64 { return math.Round(v*1000) / 1000 }
	round := func(es []Estimate) []Estimate {
		out := make([]Estimate, 0, len(es))
		for _, e := range es {
			e.CPUCores = Spread{r(e.CPUCores.Requests), r(e.CPUCores.Limits)}
			e.MemoryGiB = Spread{r(e.MemoryGiB.Requests), r(e.MemoryGiB.Limits)}
			e.StorageGiB = r(e.StorageGiB)
			e.MonthlyCost.Compute, e.MonthlyCost.Storage, e.MonthlyCost.Total = cents(e.MonthlyCost.Compute), cents(e.MonthlyCost.Storage), cents(e.MonthlyCost.Total)
			e.CostPerUser = cents(e.CostPerUser)
			out = append(out, e)
		}
		return out
	}
	est.Estimates = round(est.Estimates)
	if est.Totals != nil {
		est.Totals = round(est.Totals)
	}
	return writeJSON(w, est)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// WriteMarkdown prints the phases as a GitHub table, the notes, a Mermaid
// xychart-beta of monthly cost per phase (bars at the floor, a line at the
// ceiling) and, for each phase with an SLO, one of the replicas the HPA sets
// over time at the peak. The promotion PR body uses the same renderer.
func WriteMarkdown(w io.Writer, plans []PhasePlan) error {
	return WriteMarkdownOf(w, plans, nil)
}

// WriteMarkdownOf is WriteMarkdown with the rows of an app of several
// workloads limited to those named in only (nil: every workload); one line
// after the table names the others, which the totals still count.
func WriteMarkdownOf(w io.Writer, plans []PhasePlan, only []string) error {
	if several(plans) {
		writeWorkloadsMarkdown(w, plans, only)
	} else {
		serves := "Serves"
		if len(plans) > 0 && plans[0].UserSized {
			serves = fmt.Sprintf("Serves (%s/pod)", strings.Replace(span(num(plans[0].PerPod.Min), num(plans[0].PerPod.Max)), "-", "–", 1))
		}
		fmt.Fprintf(w, "| Phase | Users | Pods | HPA | %s | Cores req/lim | Memory GiB req/lim | Storage GiB | $/month | After a peak | Ready | Floor → ceiling | Peak pods / s / limit |\n", serves)
		fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|---:|---:|")
		for _, p := range plans {
			mdRow(w, append([]string{p.Name, p.users()}, p.cells(" / ")...))
		}
	}
	if len(plans) == 0 {
		return nil
	}
	fmt.Fprintln(w)
	for _, n := range Notes(plans) {
		fmt.Fprintln(w, "- "+n)
	}
	names := make([]string, len(plans))
	lo := make([]string, len(plans))
	hi := make([]string, len(plans))
	top := 0.0
	for i, p := range plans {
		names[i] = fmt.Sprintf("%q", p.Name)
		lo[i] = fmt.Sprintf("%.2f", cents(p.MonthlyCost.Min))
		hi[i] = fmt.Sprintf("%.2f", cents(p.MonthlyCost.Max))
		top = math.Max(top, p.MonthlyCost.Max)
	}
	fmt.Fprintln(w, "\n```mermaid\nxychart-beta")
	fmt.Fprintln(w, `    title "Monthly cost per phase (USD): bars at the floor, line at the ceiling"`)
	fmt.Fprintf(w, "    x-axis [%s]\n", strings.Join(names, ", "))
	fmt.Fprintf(w, "    y-axis \"USD / month\" 0 --> %d\n", int(math.Ceil(top/100)*100))
	fmt.Fprintf(w, "    bar [%s]\n", strings.Join(lo, ", "))
	fmt.Fprintf(w, "    line [%s]\n```\n", strings.Join(hi, ", "))
	for _, p := range plans {
		if p.Scaling != nil && p.Scaling.Peak != nil {
			writePeakChart(w, p)
		}
		for _, wp := range p.Workloads {
			if wp.Scaling != nil && wp.Scaling.Peak != nil {
				q := wp.Plan
				q.Name = p.Name + " " + wp.Name
				writePeakChart(w, q)
			}
		}
	}
	return nil
}

// writeWorkloadsMarkdown is WriteMarkdown's table for several workloads:
// a row per workload and a total per phase.
func writeWorkloadsMarkdown(w io.Writer, plans []PhasePlan, only []string) {
	fmt.Fprintln(w, "| Phase | Workload | Users | Pods | HPA | Serves | Cores req/lim | Memory GiB req/lim | Storage GiB | $/month | After a peak | Ready | Floor → ceiling | Peak pods / s / limit |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|---:|---:|")
	var others []string
	for i, p := range plans {
		for _, wp := range p.Workloads {
			if only != nil && !slices.Contains(only, wp.Name) {
				if i == 0 {
					others = append(others, wp.Name)
				}
				continue
			}
			mdRow(w, append([]string{p.Name, wp.Name + " (" + wp.kindCell() + ")", p.users()}, wp.Plan.cells(" / ")...))
		}
		mdRow(w, append([]string{p.Name, "**total**", p.users()}, p.totalCells(" / ")...))
	}
	if len(others) > 0 {
		fmt.Fprintf(w, "\nNot shown, sized alike at every phase here (%d): %s; the totals count them.\n", len(others), strings.Join(others, ", "))
	}
}

// mdRow writes one row of a Markdown table.
func mdRow(w io.Writer, cells []string) {
	fmt.Fprintln(w, "| "+strings.Join(cells, " | ")+" |")
}

// maxChartPoints caps a peak chart's points; longer traces are sampled.
const maxChartPoints = 121

// writePeakChart draws the replicas the HPA sets at each sync after the
// peak arrives: the phase's HPA, the HPA with the smallest change that meets
// the SLO when there is one, and the pods the peak needs.
func writePeakChart(w io.Writer, p PhasePlan) {
	k := p.Scaling.Peak
	if len(k.Trace) == 0 {
		return
	}
	step := (len(k.Trace) + maxChartPoints - 1) / maxChartPoints
	values := func(tr []autoscaler.Sync) string {
		var vs []string
		for i := 0; i < len(tr); i += step {
			vs = append(vs, fmt.Sprint(tr[i].Replicas))
		}
		return strings.Join(vs, ", ")
	}
	needed := max(k.Pods, k.Needed)
	top := needed
	for _, tr := range [][]autoscaler.Sync{k.Trace, k.ChangeTrace} {
		for _, x := range tr {
			top = max(top, int(x.Replicas))
		}
	}
	var need []string
	for i := 0; i < len(k.Trace); i += step {
		need = append(need, fmt.Sprint(needed))
	}
	last := k.Trace[(len(k.Trace)-1)/step*step].Second // the last point drawn
	lines := "the HPA as configured"
	if k.Change != nil && len(k.ChangeTrace) == len(k.Trace) {
		lines += ", with " + k.Change.fields()
	}
	fmt.Fprintln(w, "\n```mermaid\nxychart-beta")
	fmt.Fprintf(w, "    title \"%s: replicas after %d users arrive (need %d within %d s; lines: %s, the pods needed)\"\n", p.Name, k.Users, needed, k.Within, lines)
	fmt.Fprintf(w, "    x-axis \"seconds after the peak arrives\" 0 --> %d\n", last)
	fmt.Fprintf(w, "    y-axis \"replicas\" 0 --> %d\n", max(top, p.Replicas.Max))
	fmt.Fprintf(w, "    line [%s]\n", values(k.Trace))
	if k.Change != nil && len(k.ChangeTrace) == len(k.Trace) {
		fmt.Fprintf(w, "    line [%s]\n", values(k.ChangeTrace))
	}
	fmt.Fprintf(w, "    line [%s]\n```\n", strings.Join(need, ", "))
}
