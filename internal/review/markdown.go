package review

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/coditect/phasegen/internal/diff"
)

// Marker starts every review comment, so --comment finds its own comment
// again; it is an HTML comment, invisible on GitHub.
const Marker = "<!-- phasegen review -->"

// MaxCommentChars is GitHub's limit on a comment body, in characters.
const MaxCommentChars = 65536

// MaxSummaryBytes is GitHub Actions' limit on a job summary
// ($GITHUB_STEP_SUMMARY), in bytes.
const MaxSummaryBytes = 1 << 20

// Chars measures text in characters (GitHub's comment limit).
func Chars(s string) int { return utf8.RuneCountInString(s) }

// Bytes measures text in bytes (the job summary's limit).
func Bytes(s string) int { return len(s) }

// cutReserve is kept free for the notes that say what was cut.
const cutReserve = 4096

// Markdown is the review as a pull request comment that measures at most
// limit: a summary table, then one collapsed section per environment with
// its semantic change, gates and diff. When the whole text is too long it
// degrades in steps, saying each time what it left out: whole diffs, then
// diffs cut per object (the largest first to go), then the summary table
// alone, then the table's first rows. command is how to see everything
// (quoted in the notes).
func Markdown(r *Report, limit int, measure func(string) int, command string) string {
	m := &md{r: r, envs: r.notable(), command: command}
	m.keep = make([][]bool, len(m.envs))
	for i, e := range m.envs {
		m.keep[i] = make([]bool, len(e.Diffs))
		for j := range e.Diffs {
			m.keep[i][j] = true
		}
	}
	m.details, m.rows = true, len(m.envs)
	m.sections = make([]bool, len(m.envs))
	for i := range m.sections {
		m.sections[i] = true
	}
	if s := m.render(); measure(s) <= limit {
		return s
	}

	// Step 2: diffs cut per object, within a budget: each environment's
	// section (semantic change and gates) while it fits, then its object
	// diffs that fit; the sections that do not fit are left out.
	for i := range m.keep {
		for j := range m.keep[i] {
			m.keep[i][j] = false
		}
	}
	m.sections = make([]bool, len(m.envs))
	fixed := measure(m.render())
	if fixed+cutReserve <= limit {
		budget := limit - fixed - cutReserve
		type item struct{ i, j int } // j < 0: the section itself
		var kept []item
		for i, e := range m.envs {
			var sb strings.Builder
			m.section(&sb, i, e)
			n := measure(sb.String())
			if n > budget {
				break
			}
			m.sections[i] = true
			budget -= n
			kept = append(kept, item{i, -1})
			for j, d := range e.Diffs {
				if n := measure(d.Text) + 16; n <= budget {
					m.keep[i][j] = true
					budget -= n
					kept = append(kept, item{i, j})
				}
			}
		}
		for {
			s := m.render()
			if measure(s) <= limit {
				return s
			}
			if len(kept) == 0 {
				break
			}
			last := kept[len(kept)-1]
			if last.j < 0 {
				m.sections[last.i] = false
			} else {
				m.keep[last.i][last.j] = false
			}
			kept = kept[:len(kept)-1]
		}
	}

	// Step 3: the summary table alone; step 4: its first rows.
	m.details = false
	if s := m.render(); measure(s) <= limit {
		return s
	}
	lo, hi := 0, len(m.envs)
	for lo < hi {
		mid := (lo + hi + 1) / 2
		m.rows = mid
		if measure(m.render()) <= limit {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	m.rows = lo
	return m.render()
}

type md struct {
	r        *Report
	envs     []*Env
	command  string
	details  bool     // per-environment sections
	keep     [][]bool // which object diffs are shown
	sections []bool   // which environments' sections are shown
	rows     int      // table rows shown
}

func (m *md) render() string {
	var b strings.Builder
	r := m.r
	b.WriteString(Marker + "\n")
	switch {
	case r.Apps != nil:
		fmt.Fprintf(&b, "### phasegen review of %s\n\n", plural(len(r.Apps), "app"))
	case r.App != "":
		fmt.Fprintf(&b, "### phasegen review of app %s\n\n", r.App)
	default:
		b.WriteString("### phasegen review\n\n")
	}
	fmt.Fprintf(&b, "Compared with `%s`: **%d of %s** change their built manifests", short(r.Base), r.Changes(), plural(len(r.Environments), "environment"))
	fmt.Fprintf(&b, "; %d unchanged, %d of them not built (inputs identical).", len(r.Environments)-r.Changes(), r.Skipped)
	if g := r.Gates(); g > 0 {
		fmt.Fprintf(&b, " **%s fire.**", plural(g, "gate"))
	}
	b.WriteString("\n\n")
	if line := r.unchangedApps(); line != "" {
		b.WriteString(line + "\n\n")
	}
	if note := m.cutNote(); note != "" {
		b.WriteString("> [!NOTE]\n> " + note + "\n\n")
	}
	if len(m.envs) == 0 {
		b.WriteString("Nothing to review: no environment changes.\n")
		return b.String()
	}
	b.WriteString("| Environment | Phase | Objects changed | Δ $/month (min / max) | Gates |\n|---|---|---|---|---|\n")
	for _, e := range m.envs[:m.rows] {
		gates := e.gateNames("–")
		if len(e.Gates) > 0 {
			gates = "⚠️ " + gates
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s / %s | %s |\n", cell(e.label()), cell(e.Phase.String()), e.objectSummary("none"),
			Signed(e.MonthlyCost.Delta.Min), Signed(e.MonthlyCost.Delta.Max), cell(gates))
	}
	if !m.details {
		return b.String()
	}
	app := ""
	for i, e := range m.envs {
		if !m.sections[i] {
			continue
		}
		if r.Apps != nil && e.App != app {
			app = e.App
			fmt.Fprintf(&b, "\n#### App %s\n", htmlEscape(app))
		}
		m.section(&b, i, e)
	}
	return b.String()
}

func (m *md) section(b *strings.Builder, i int, e *Env) {
	summary := "<b>" + e.label() + "</b>: " + e.objectSummary("no change to the built manifests")
	fmt.Fprintf(b, "\n<details><summary>%s</summary>\n\n", htmlEscape(summary))
	if len(e.Rows) > 0 {
		b.WriteString("| | base | proposed |\n|---|---|---|\n")
		for _, row := range e.Rows {
			fmt.Fprintf(b, "| %s | %s | %s |\n", cell(row.Field), cell(row.From), cell(row.To))
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(b, "Monthly cost change: %s at the floor, %s at the ceiling.\n\n", Signed(e.MonthlyCost.Delta.Min), Signed(e.MonthlyCost.Delta.Max))
	if line := unchangedWorkloads(e.Workloads); line != "" {
		b.WriteString(line + "\n\n")
	}
	for _, g := range e.Gates {
		fmt.Fprintf(b, "- ⚠️ **%s**: %s\n", g.Name, oneLine(g.Message))
	}
	if len(e.Gates) > 0 {
		b.WriteString("\n")
	}
	var shown []diff.FileDiff
	var cut []string
	for j, d := range e.Diffs {
		if m.keep[i][j] {
			shown = append(shown, d)
		} else {
			cut = append(cut, fmt.Sprintf("`%s` (%s)", d.Path, plural(utf8.RuneCountInString(d.Text), "character")))
		}
	}
	if len(shown) > 0 {
		text := diff.Join(shown)
		f := diff.Fence(text)
		fmt.Fprintf(b, "%sdiff\n%s%s\n\n", f, text, f)
	}
	if len(cut) > 0 {
		fmt.Fprintf(b, "_Diff left out to fit the comment: %s._\n\n", strings.Join(cut, ", "))
	}
	b.WriteString("</details>\n")
}

// cutNote says what this rendering leaves out, or "".
func (m *md) cutNote() string {
	var parts []string
	cutObjects, cutEnvs, noSection := 0, 0, 0
	if m.details {
		for i := range m.keep {
			if !m.sections[i] {
				noSection++
				continue
			}
			n := 0
			for _, k := range m.keep[i] {
				if !k {
					n++
				}
			}
			cutObjects += n
			if n > 0 {
				cutEnvs++
			}
		}
		if cutObjects > 0 {
			parts = append(parts, fmt.Sprintf("the diffs of %s in %s are left out", plural(cutObjects, "object"), plural(cutEnvs, "environment")))
		}
		if noSection > 0 {
			parts = append(parts, fmt.Sprintf("the sections of %s (semantic changes, gates and diffs) are left out", plural(noSection, "environment")))
		}
	} else {
		parts = append(parts, "the per-environment sections (semantic changes, gates and diffs) are left out")
	}
	if m.rows < len(m.envs) {
		parts = append(parts, fmt.Sprintf("the table shows the first %d of %s", m.rows, plural(len(m.envs), "environment")))
	}
	if len(parts) == 0 {
		return ""
	}
	return "This review is cut to fit GitHub's limit: " + strings.Join(parts, "; ") +
		". The whole review is in the job summary, or run `" + m.command + "`."
}

func cell(s string) string {
	return strings.ReplaceAll(oneLine(s), "|", `\|`)
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func htmlEscape(s string) string {
	// Only what could end the summary element early.
	s = strings.ReplaceAll(s, "</summary>", "&lt;/summary>")
	return s
}

// unchangedWorkloads names, in one line, the workloads of an app of several
// whose built objects the change leaves alone ("" when there are none or
// the app has one workload).
func unchangedWorkloads(ws []WorkloadChange) string {
	if len(ws) < 2 {
		return ""
	}
	var names []string
	for _, w := range ws {
		if !w.Changed {
			names = append(names, w.Name)
		}
	}
	if len(names) == 0 {
		return ""
	}
	return fmt.Sprintf("Unchanged workloads (%d of %d): %s.", len(names), len(ws), strings.Join(names, ", "))
}
