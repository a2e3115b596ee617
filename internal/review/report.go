package review

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/coditect/phasegen/internal/diff"
)

// WriteJSON writes the report as indented JSON.
func WriteJSON(w io.Writer, r *Report) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// WriteTable writes a summary table of the environments that change (or
// whose cost or gates do), then each one's semantic change, gates and
// diff, and a closing line with the counts.
func WriteTable(w io.Writer, r *Report) error {
	shown := r.notable()
	if len(shown) > 0 {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ENVIRONMENT\tPHASE\tCHANGED\tOBJECTS\tΔ $/MONTH min/max\tGATES")
		for _, e := range shown {
			changed := "no"
			if e.Changed {
				changed = "yes"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s/%s\t%s\n", e.label(), e.Phase.String(), changed, e.objectSummary("-"),
				Signed(e.MonthlyCost.Delta.Min), Signed(e.MonthlyCost.Delta.Max), e.gateNames("-"))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	for _, e := range shown {
		fmt.Fprintf(w, "\n== %s ==\n", e.label())
		for _, row := range e.Rows {
			fmt.Fprintf(w, "%s: %s → %s\n", row.Field, row.From, row.To)
		}
		if !e.Changed && !e.Added && !e.Removed {
			fmt.Fprintln(w, "Built manifests: unchanged.")
		}
		for _, g := range e.Gates {
			fmt.Fprintf(w, "gate %s: %s\n", g.Name, g.Message)
		}
		if len(e.Diffs) > 0 {
			fmt.Fprint(w, diff.Join(e.Diffs))
		}
	}
	if line := r.unchangedApps(); line != "" {
		if len(shown) > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintln(w, line)
	}
	_, err := fmt.Fprintf(w, "%s\n", r.summaryLine())
	return err
}

// notable returns the environments a report lists: built manifests,
// semantic fields, cost or gates change, or the environment is added or
// removed.
func (r *Report) notable() []*Env {
	var out []*Env
	for i := range r.Environments {
		e := &r.Environments[i]
		if e.Changed || e.Added || e.Removed || len(e.Gates) > 0 || len(e.Rows) > 0 ||
			e.MonthlyCost.Delta.Min != 0 || e.MonthlyCost.Delta.Max != 0 {
			out = append(out, e)
		}
	}
	return out
}

func (r *Report) summaryLine() string {
	n := len(r.Environments)
	s := ""
	if r.Apps != nil {
		s = plural(len(r.Apps), "app") + ": "
	}
	s += fmt.Sprintf("%d of %s change their built manifests; %d unchanged, %d of them skipped (inputs identical); base %s",
		r.Changes(), plural(n, "environment"), n-r.Changes(), r.Skipped, short(r.Base))
	if g := r.Gates(); g > 0 {
		s += fmt.Sprintf("; %s fire", plural(g, "gate"))
	}
	return s
}

func (e *Env) label() string {
	name := e.Name
	if e.qualified {
		name = e.App + "/" + e.Name
	}
	switch {
	case e.Added:
		return name + " (added)"
	case e.Removed:
		return name + " (removed)"
	}
	return name
}

func (p FromTo) String() string {
	name := func(s *string) string {
		if s == nil {
			return "–"
		}
		return *s
	}
	if p.From != nil && p.To != nil && *p.From == *p.To {
		return *p.From
	}
	return name(p.From) + " → " + name(p.To)
}

func (e *Env) objectSummary(none string) string {
	n := map[string]int{}
	for _, o := range e.Objects {
		n[o.Change]++
	}
	var parts []string
	for _, c := range []string{string(diff.Modified), string(diff.Added), string(diff.Removed)} {
		if n[c] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[c], c))
		}
	}
	if len(parts) == 0 {
		return none
	}
	return strings.Join(parts, ", ")
}

func (e *Env) gateNames(none string) string {
	var names []string
	seen := map[string]bool{}
	for _, g := range e.Gates {
		if !seen[g.Name] {
			seen[g.Name] = true
			names = append(names, g.Name)
		}
	}
	if len(names) == 0 {
		return none
	}
	return strings.Join(names, ", ")
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}
