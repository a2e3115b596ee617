package review

import (
	"fmt"
	"strings"
	"testing"

	"github.com/coditect/phasegen/internal/diff"
)

// synthetic returns a report of n changed environments, each with two
// object diffs of about size characters.
func synthetic(n, size int) *Report {
	r := &Report{Base: strings.Repeat("a", 40)}
	beta := "beta"
	for i := range n {
		e := Env{Name: fmt.Sprintf("env-%03d", i), Phase: FromTo{From: &beta, To: &beta}, Changed: true,
			MonthlyCost: CostDelta{Delta: Money{Max: 501.4}}, Rows: []Row{{"HPA range", "10–30", "10–40"}}}
		for _, obj := range []string{"HorizontalPodAutoscaler/hpa", "PrometheusRule/alerts"} {
			text := "--- a/" + obj + "\n+++ b/" + obj + "\n" + strings.Repeat("-  old line\n+  new line\n", size/22)
			e.Diffs = append(e.Diffs, diff.FileDiff{Path: obj, Status: diff.Modified, Text: text})
			kind, name, _ := strings.Cut(obj, "/")
			e.Objects = append(e.Objects, Object{Kind: kind, Name: name, Change: "modified"})
		}
		r.Environments = append(r.Environments, e)
	}
	return r
}

func TestMarkdownDegrades(t *testing.T) {
	cases := []struct {
		name       string
		report     *Report
		limit      int
		want       []string // in the text
		wantNot    []string
		diffsShown int // "-1": don't count
	}{
		{"fits", synthetic(3, 500), MaxCommentChars, []string{"<details>"}, []string{"cut to fit"}, 6},
		{"diffs cut per object", synthetic(3, 3000), 9000,
			[]string{"the diffs of", "Diff left out to fit the comment: `PrometheusRule/alerts`"}, nil, -1},
		{"sections left out", synthetic(40, 3000), 12000, []string{"the sections of"}, nil, -1},
		{"summary table alone", synthetic(60, 100), 5200, []string{"the per-environment sections (semantic changes, gates and diffs) are left out"}, []string{"<details>"}, 0},
		{"table rows cut", synthetic(200, 100), 3000, []string{"the table shows the first"}, []string{"<details>", "env-199"}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := Markdown(c.report, c.limit, Chars, "phasegen review --base X")
			if n := Chars(s); n > c.limit {
				t.Errorf("%d characters, over the limit %d", n, c.limit)
			}
			if !strings.HasPrefix(s, Marker+"\n") {
				t.Errorf("does not start with the marker")
			}
			for _, w := range c.want {
				if !strings.Contains(s, w) {
					t.Errorf("missing %q in:\n%.1500s", w, s)
				}
			}
			for _, w := range c.wantNot {
				if strings.Contains(s, w) {
					t.Errorf("has %q", w)
				}
			}
			if got := strings.Count(s, "```diff"); c.diffsShown >= 0 && got != c.diffsShown/2 && got != c.diffsShown {
				t.Errorf("%d diff blocks", got)
			}
			full := Markdown(c.report, 1<<30, Chars, "x")
			if strings.Contains(full, "cut to fit") || strings.Count(full, "--- a/") != 2*len(c.report.Environments) {
				t.Errorf("uncut rendering is cut")
			}
		})
	}
}

func TestMarkdownNothingChanged(t *testing.T) {
	r := &Report{Base: "abc", Skipped: 2, Environments: []Env{{Name: "a", Skipped: true}, {Name: "b", Skipped: true}}}
	s := Markdown(r, MaxCommentChars, Chars, "x")
	if !strings.Contains(s, "Nothing to review: no environment changes.") || !strings.Contains(s, "2 of them not built") {
		t.Errorf("%s", s)
	}
}
