package promote

import (
	"bytes"
	"fmt"
	"strings"
	"text/template"
	"unicode/utf8"

	corev1 "k8s.io/api/core/v1"

	"github.com/coditect/phasegen/internal/capacity"
	"github.com/coditect/phasegen/internal/config"
	"github.com/coditect/phasegen/internal/diff"
	"github.com/coditect/phasegen/internal/gate"
	"github.com/coditect/phasegen/internal/gitops"
	"github.com/coditect/phasegen/internal/manifest"
	"github.com/coditect/phasegen/templates"
)

// MaxBodyChars is the most characters a PR body may have (GitHub's limit).
const MaxBodyChars = gitops.MaxBodyChars

// cutReserve is kept free for the sentence that lists what was cut.
const cutReserve = 2048

// bodyData is what templates/prbody.md.tmpl is executed with.
type bodyData struct {
	scope
	Env, From, To string
	Branch        string
	First         bool
	Rollback      bool
	Description   string
	Rows          []row
	CostDelta     string
	Warnings      []string
	Runbook       string
	MoveRunbook   string // the Application changes namespace
	// StrategyRunbook: a workload's rollout strategy leaves RollingUpdate.
	StrategyRunbook string
	Checklist       []string
	Plan            string // capacity.WriteMarkdown of the two phases
	DiffSummary     string
	Diff            string
	Cut             string // what was left out of Diff, "" when nothing
	Command         string
	Soak            *soakView
	Fence           string // a code fence longer than any backtick run in the body's blocks
}

type row struct{ Name, From, To string }

// scope is what the body says of where the promotion writes: the app, the
// environment's tree, the app's other environments (which keep what they
// have), and a move out of the previous layout.
type scope struct {
	App         string
	Tree        string   // the environment's tree, from the repository's top
	Others      []string // the app's other environments
	BaseChanged bool     // the environment's base differs from the one it holds
	Moved       bool
	SharedBase  string   // the previous layout's shared base, when Moved
	BaseKept    []string // environments that keep reading SharedBase
}

// soakView is the soak block of the body: since when the environment has
// been at its phase, when that phase's soak ends, and what the new phase
// soaks after the merge. Times come from commits, never from the clock, so
// a rerun composes the same body.
type soakView struct {
	Since, Commit string // "" on a first promotion
	Spec, Ends    string // the current phase's soak; "" when it has none
	Partial       bool
	Early         bool   // promoted before Ends
	EarlyOverride string // how that was asked for (the flag), "" when unnamed
	Rollback      bool
	Same          bool   // a re-promotion to the phase it is at: the soak goes on
	Next          string // spec.soak of the phase promoted to, "" when none
}

func newSoakView(s *Soak, to *config.Phase, early string) *soakView {
	v := &soakView{Next: to.Spec.Soak, EarlyOverride: early}
	if s != nil {
		v.Since, v.Commit, v.Partial = stamp(s.Time), short(s.Commit), s.Partial
		v.Early, v.Rollback, v.Same = s.Early, s.Rollback, !s.Forward && !s.Rollback
		if s.Duration > 0 {
			v.Spec, v.Ends = s.Spec, stamp(s.Ends)
		}
	}
	if v.Since == "" && v.Next == "" {
		return nil
	}
	return v
}

var bodyTemplate = template.Must(template.New("prbody.md.tmpl").Parse(templates.PRBody()))

// composeBody renders the PR body, cutting the diff per object so the body
// stays under MaxBodyChars.
func composeBody(o Options, sc scope, env *config.Environment, from, to *config.Phase, rep gate.Report, soak *Soak, fromBuilt, toBuilt []byte) (string, error) {
	pl, err := capacity.NewPlanner(o.Config, o.Base)
	if err != nil {
		return "", fmt.Errorf("composing the pull request: %w", err)
	}
	phases := []*config.Phase{to}
	if from != nil {
		phases = []*config.Phase{from, to}
	}
	plans, err := pl.Plan(phases)
	if err != nil {
		return "", fmt.Errorf("composing the pull request: %w", err)
	}
	var fromPlan *capacity.PhasePlan
	toPlan := plans[len(plans)-1]
	if from != nil {
		fromPlan = &plans[0]
	}
	rows, changed := workloadRows(pl, from, to, fromPlan, toPlan)
	var plan bytes.Buffer
	if err := capacity.WriteMarkdownOf(&plan, plans, changed); err != nil {
		return "", err
	}
	d := bodyData{
		scope: sc,
		Env:   env.Metadata.Name, From: NoPhase, To: to.Metadata.Name,
		Branch: env.Spec.GitOps.Branch, First: from == nil, Rollback: rep.Rollback,
		Description: to.Spec.Description,
		Warnings:    rep.Warnings, Runbook: rep.Runbook, MoveRunbook: rep.MoveRunbook, StrategyRunbook: rep.StrategyRunbook, Checklist: to.Spec.Checklist,
		Plan:    plan.String(),
		Command: o.Command,
		Soak:    newSoakView(soak, to, o.Overrides.Early),
	}
	if d.Command == "" {
		d.Command = fmt.Sprintf("phasegen diff %s --to %s", d.Env, d.To)
	}
	if from != nil {
		d.From = from.Metadata.Name
	}
	d.Rows = rows
	d.CostDelta = costDelta(fromPlan, toPlan)

	folded := 0
	if from != nil {
		fromBuilt, folded = manifest.FoldPhase(fromBuilt, from.Metadata.Name, to.Metadata.Name)
	}
	diffs := manifest.SecretsMaskedDiff(fromBuilt, toBuilt)
	d.DiffSummary = summary(diffs)
	if folded > 0 {
		d.DiffSummary += "; " + manifest.Folded(from.Metadata.Name, to.Metadata.Name, folded)
	}
	d.Fence = diff.Fence(d.Runbook + d.MoveRunbook + d.StrategyRunbook + diff.Join(diffs))

	d.Cut = "(reserved)"
	fixed, err := execute(d)
	if err != nil {
		return "", err
	}
	budget := MaxBodyChars - utf8.RuneCountInString(fixed) - cutReserve
	var kept, cut []diff.FileDiff
	for _, fd := range diffs {
		if n := utf8.RuneCountInString(fd.Text); n <= budget {
			kept = append(kept, fd)
			budget -= n
		} else {
			cut = append(cut, fd)
		}
	}
	for {
		d.Diff, d.Cut = diff.Join(kept), describeCut(cut)
		body, err := execute(d)
		if err != nil {
			return "", err
		}
		if utf8.RuneCountInString(body) <= MaxBodyChars || len(kept) == 0 {
			return body, nil
		}
		cut = append([]diff.FileDiff{kept[len(kept)-1]}, cut...)
		kept = kept[:len(kept)-1]
	}
}

func execute(d bodyData) (string, error) {
	var b strings.Builder
	if err := bodyTemplate.Execute(&b, d); err != nil {
		return "", fmt.Errorf("composing the pull request: %w", err)
	}
	return b.String(), nil
}

// workloadRows are the body's table: rows of the one workload, or of each
// workload that changes (named) and the environment's total cost when there
// are several; changed names those workloads (nil for one workload, all of
// them shown).
func workloadRows(pl *capacity.Planner, from, to *config.Phase, fp *capacity.PhasePlan, tp capacity.PhasePlan) (out []row, changed []string) {
	view := func(p *config.Phase, w string) *config.Phase {
		if p == nil {
			return nil
		}
		return p.For(w)
	}
	if pl.One() {
		w := pl.Workloads[0].Workload
		return rows(w.Container.Resources, view(from, w.Name), view(to, w.Name), fp, tp), nil
	}
	changed = []string{}
	var unchanged []string
	for i, wp := range pl.Workloads {
		w := wp.Workload
		var wfp *capacity.PhasePlan
		if fp != nil {
			wfp = &fp.Workloads[i].Plan
		}
		wtp := tp.Workloads[i].Plan
		diff := changedRows(rows(w.Container.Resources, view(from, w.Name), view(to, w.Name), wfp, wtp))
		if len(diff) == 0 {
			unchanged = append(unchanged, w.Name)
			continue
		}
		changed = append(changed, w.Name)
		for _, r := range diff {
			r.Name = w.Name + ": " + r.Name
			out = append(out, r)
		}
		if d := costDelta(wfp, wtp); d != "none" {
			out = append(out, row{w.Name + ": Monthly cost change", "", d})
		}
	}
	if len(unchanged) > 0 {
		out = append(out, row{fmt.Sprintf("Unchanged (%d): %s", len(unchanged), strings.Join(unchanged, ", ")), "as is", "as is"})
	}
	total := func(p *capacity.PhasePlan) string {
		if p == nil {
			return "–"
		}
		return capacity.Money(p.MonthlyCost.Min) + "–" + capacity.Money(p.MonthlyCost.Max)
	}
	return append(out, row{"Monthly cost, all workloads (min–max)", total(fp), total(&tp)}), changed
}

func rows(baseRes corev1.ResourceRequirements, from, to *config.Phase, fp *capacity.PhasePlan, tp capacity.PhasePlan) []row {
	type side struct {
		replicas, hpa, cpu, mem, pdb, alerts, users, cost, afterPeak, toMax, peak string
	}
	of := func(ph *config.Phase, p *capacity.PhasePlan) side {
		if ph == nil || p == nil {
			return side{"–", "–", "–", "–", "–", "–", "–", "–", "–", "–", "–"}
		}
		res := ph.Spec.Resources.Apply(baseRes)
		hpa := "none"
		if p.Autoscaling {
			hpa = fmt.Sprintf("%d–%d", p.Replicas.Min, p.Replicas.Max)
		}
		users := fmt.Sprintf("%d / %d", p.UserCapacity.Conservative, p.UserCapacity.Optimistic)
		if !p.UserSized {
			users = "not sized by users"
		} else if p.Replicas.Max != p.Replicas.Min {
			users += fmt.Sprintf(" (%d / %d at %d pods)", p.MaxCapacity.Conservative, p.MaxCapacity.Optimistic, p.Replicas.Max)
		}
		return side{
			replicas:  fmt.Sprint(p.Replicas.Min),
			hpa:       hpa,
			cpu:       quantity(res.Requests, corev1.ResourceCPU) + " / " + quantity(res.Limits, corev1.ResourceCPU),
			mem:       quantity(res.Requests, corev1.ResourceMemory) + " / " + quantity(res.Limits, corev1.ResourceMemory),
			pdb:       ph.Spec.PDB.String(),
			alerts:    ph.Spec.Alerts.String(),
			users:     users,
			cost:      capacity.Money(p.MonthlyCost.Min) + "–" + capacity.Money(p.MonthlyCost.Max),
			afterPeak: afterPeak(p),
			toMax:     p.ScaleUpTime(),
			peak:      p.PeakSummary(),
		}
	}
	a, b := of(from, fp), of(to, &tp)
	return []row{
		{"Replicas", a.replicas, b.replicas},
		{"HPA range", a.hpa, b.hpa},
		{"CPU per pod (request / limit)", a.cpu, b.cpu},
		{"Memory per pod (request / limit)", a.mem, b.mem},
		{"Disruption budget", a.pdb, b.pdb},
		{"Alerts: CPU / memory / for / PVC / sessions a pod", a.alerts, b.alerts},
		{"Users served (conservative / optimistic)", a.users, b.users},
		{"Monthly cost (min–max)", a.cost, b.cost},
		{"Monthly cost at the floor after a peak", a.afterPeak, b.afterPeak},
		{"HPA scale-up, floor → ceiling", a.toMax, b.toMax},
		{"Peak load test (spec.slo)", a.peak, b.peak},
	}
}

// changedRows keeps the rows whose value changes, and, on a first
// promotion (nothing before), those that say more than "none".
func changedRows(rs []row) []row {
	var out []row
	for _, r := range rs {
		if r.From != r.To && !(r.From == "–" && nothing(r.To)) {
			out = append(out, r)
		}
	}
	return out
}

// nothing reports whether a table value says there is none.
func nothing(v string) bool {
	return v == "–" || v == "none" || v == "" || v == "not sized by users"
}

// afterPeak is the floor's cost after a peak and whether the volumes stay.
func afterPeak(p *capacity.PhasePlan) string {
	if p.StorageGiB == 0 {
		return capacity.Money(p.MonthlyCost.MinAfterPeak)
	}
	if p.KeepsVolumes && p.Replicas.Max > p.Replicas.Min {
		return capacity.Money(p.MonthlyCost.MinAfterPeak) + " (volumes stay)"
	}
	if p.Replicas.Max > p.Replicas.Min {
		return capacity.Money(p.MonthlyCost.MinAfterPeak) + " (volumes deleted)"
	}
	return capacity.Money(p.MonthlyCost.MinAfterPeak)
}

func quantity(l corev1.ResourceList, n corev1.ResourceName) string {
	if q, ok := l[n]; ok {
		return q.String()
	}
	return "none"
}

func costDelta(fp *capacity.PhasePlan, tp capacity.PhasePlan) string {
	if fp == nil {
		return fmt.Sprintf("%s–%s (from nothing)", signed(tp.MonthlyCost.Min), signed(tp.MonthlyCost.Max))
	}
	lo, hi := tp.MonthlyCost.Min-fp.MonthlyCost.Min, tp.MonthlyCost.Max-fp.MonthlyCost.Max
	if capacity.Money(lo) == capacity.Money(0) && capacity.Money(hi) == capacity.Money(0) {
		return "none"
	}
	return fmt.Sprintf("%s at the floor, %s at the ceiling", signed(lo), signed(hi))
}

// signed formats a money delta with its sign: +$12.34, −$5.00, $0.00.
func signed(v float64) string {
	m := capacity.Money(v)
	switch {
	case m == capacity.Money(0):
		return capacity.Money(0)
	case strings.HasPrefix(m, "$-"):
		return "−$" + m[2:]
	}
	return "+" + m
}

func summary(diffs []diff.FileDiff) string {
	if len(diffs) == 0 {
		return "no change"
	}
	n := map[diff.Status]int{}
	for _, d := range diffs {
		n[d.Status]++
	}
	var parts []string
	for _, s := range []diff.Status{diff.Modified, diff.Added, diff.Removed} {
		if n[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[s], s))
		}
	}
	return plural(len(diffs), "object") + " changed: " + strings.Join(parts, ", ")
}

func describeCut(cut []diff.FileDiff) string {
	if len(cut) == 0 {
		return ""
	}
	const show = 20
	var names []string
	for i, d := range cut {
		if i == show {
			names = append(names, fmt.Sprintf("and %d more", len(cut)-show))
			break
		}
		names = append(names, fmt.Sprintf("`%s` (%s)", d.Path, plural(utf8.RuneCountInString(d.Text), "character")))
	}
	return fmt.Sprintf("the diff of %s is not shown: %s", plural(len(cut), "object"), strings.Join(names, ", "))
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
