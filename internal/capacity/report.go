package capacity

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
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

// WriteTable prints the phases as aligned columns.
func WriteTable(w io.Writer, plans []PhasePlan) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PHASE\tORDER\tUSERS\tPODS\tHPA\tSERVES\tCORES req/lim\tMEMORY GiB req/lim\tSTORAGE GiB\t$/MONTH min-max\tREADY")
	for _, p := range plans {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%s\t%s\t%s/%s\t%s/%s\t%s\t%s\t%s\n",
			p.Name, p.Order, span(fmt.Sprint(p.Users.Min), fmt.Sprint(p.Users.Max)), p.Replicas.Min, p.HPA(),
			span(fmt.Sprint(p.UserCapacity.Conservative), fmt.Sprint(p.UserCapacity.Optimistic)),
			num(p.CPUCores.Requests), num(p.CPUCores.Limits), num(p.MemoryGiB.Requests), num(p.MemoryGiB.Limits),
			num(p.StorageGiB), span(Money(p.MonthlyCost.Min), Money(p.MonthlyCost.Max)), p.ReadyMark())
	}
	return tw.Flush()
}

// WriteEstimatesTable prints what serving users takes.
func WriteEstimatesTable(w io.Writer, users int, es []Estimate) error {
	fmt.Fprintf(w, "Serving %d users:\n", users)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ESTIMATE\tUSERS/POD\tPODS\tCORES req-lim\tMEMORY GiB req-lim\tSTORAGE GiB\tCOMPUTE\tSTORAGE\tTOTAL/MONTH\tPER USER")
	for _, e := range es {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s-%s\t%s-%s\t%s\t%s\t%s\t%s\t%s\n", e.Name, num(e.UsersPerPod), e.Pods,
			num(e.CPUCores.Requests), num(e.CPUCores.Limits), num(e.MemoryGiB.Requests), num(e.MemoryGiB.Limits),
			num(e.StorageGiB), Money(e.MonthlyCost.Compute), Money(e.MonthlyCost.Storage), Money(e.MonthlyCost.Total), Money(e.CostPerUser))
	}
	return tw.Flush()
}

// rounded returns copies with money at cents and quantities at 1/1000, the
// precision JSON carries.
func rounded(p PhasePlan) PhasePlan {
	r := func(v float64) float64 { return math.Round(v*1000) / 1000 }
	p.CPUCores = Spread{r(p.CPUCores.Requests), r(p.CPUCores.Limits)}
	p.MemoryGiB = Spread{r(p.MemoryGiB.Requests), r(p.MemoryGiB.Limits)}
	p.StorageGiB = r(p.StorageGiB)
	p.MonthlyCost = MonthlyCost{cents(p.MonthlyCost.Min), cents(p.MonthlyCost.Max), cents(p.MonthlyCost.MinAfterPeak)}
	return p
}

// WriteJSON prints {"phases": [...]} as DESIGN.md specifies.
func WriteJSON(w io.Writer, plans []PhasePlan) error {
	out := struct {
		Phases []PhasePlan `json:"phases"`
	}{Phases: make([]PhasePlan, len(plans))}
	for i, p := range plans {
		out.Phases[i] = rounded(p)
	}
	return writeJSON(w, out)
}

// WriteEstimatesJSON prints {"users": N, "estimates": [...]}.
func WriteEstimatesJSON(w io.Writer, users int, es []Estimate) error {
	r := func(v float64) float64 { return math.Round(v*1000) / 1000 }
	out := struct {
		Users     int        `json:"users"`
		Estimates []Estimate `json:"estimates"`
	}{Users: users}
	for _, e := range es {
		e.CPUCores = Spread{r(e.CPUCores.Requests), r(e.CPUCores.Limits)}
		e.MemoryGiB = Spread{r(e.MemoryGiB.Requests), r(e.MemoryGiB.Limits)}
		e.StorageGiB = r(e.StorageGiB)
		e.MonthlyCost.Compute, e.MonthlyCost.Storage, e.MonthlyCost.Total = cents(e.MonthlyCost.Compute), cents(e.MonthlyCost.Storage), cents(e.MonthlyCost.Total)
		e.CostPerUser = cents(e.CostPerUser)
		out.Estimates = append(out.Estimates, e)
	}
	return writeJSON(w, out)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// WriteMarkdown prints the phases as a GitHub table and a Mermaid
// xychart-beta of monthly cost per phase (bars at the floor, a line at the
// ceiling). The promotion PR body uses the same renderer.
func WriteMarkdown(w io.Writer, plans []PhasePlan) error {
	fmt.Fprintln(w, "| Phase | Users | Pods | HPA | Serves (1.5–2/pod) | Cores req/lim | Memory GiB req/lim | Storage GiB | $/month | Ready |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|:---:|")
	for _, p := range plans {
		fmt.Fprintf(w, "| %s | %s | %d | %s | %s | %s / %s | %s / %s | %s | %s | %s |\n",
			p.Name, span(fmt.Sprint(p.Users.Min), fmt.Sprint(p.Users.Max)), p.Replicas.Min, p.HPA(),
			span(fmt.Sprint(p.UserCapacity.Conservative), fmt.Sprint(p.UserCapacity.Optimistic)),
			num(p.CPUCores.Requests), num(p.CPUCores.Limits), num(p.MemoryGiB.Requests), num(p.MemoryGiB.Limits),
			num(p.StorageGiB), span(Money(p.MonthlyCost.Min), Money(p.MonthlyCost.Max)), p.ReadyMark())
	}
	if len(plans) == 0 {
		return nil
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
	return nil
}
