package promote_test

import (
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	goldenpkg "github.com/coditect/phasegen/internal/golden"

	"github.com/coditect/phasegen/internal/promote"
)

// golden compares got with testdata/golden/NAME (-update rewrites it).
func golden(t *testing.T, name, got string) {
	t.Helper()
	goldenpkg.Assert(t, filepath.Join("testdata", "golden", name), []byte(got))
}

// TestBodyGolden: the body of production's promotion from beta to full-mvp,
// the phase with the seed's stress test, byte for byte
// (go test ./internal/promote -run TestBodyGolden -update rewrites it).
func TestBodyGolden(t *testing.T) {
	f := shipped(t)
	dir := seeded(t, f)
	if _, err := promote.Promote(ctx, f.opts(openRepo(t, dir), "beta")); err != nil {
		t.Fatal(err)
	}
	merge(t, dir, "phasegen/coditect/production")
	o := f.opts(openRepo(t, dir), "full-mvp")
	o.DryRun = true
	out, err := promote.Promote(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if n := utf8.RuneCountInString(out.Body); n > promote.MaxBodyChars {
		t.Fatalf("body has %d characters", n)
	}
	mustContain(t, "body", out.Body,
		"| Monthly cost at the floor after a peak | $611.40 (volumes stay) | $611.40 (volumes stay) |",
		"| HPA scale-up, floor → ceiling | 405 s | 405 s |",
		"| Peak load test (spec.slo) | none | 30 users: 20 pods in 225 s, limit 180 s: ✗ not met |",
		"Smallest change that meets it: spec.autoscaling.scaleUp.pods: 3 → 4 (165 s).",
		"line [10, 10, 10, 13, 13, 13, 13, 16, 16, 16, 16, 19, 19, 19, 19, 20]")
	if strings.Count(out.Body, "```mermaid") != 2 {
		t.Errorf("want the cost chart and the peak's chart:\n%s", out.Body)
	}
	golden(t, "prbody-production-full-mvp.md", out.Body)
}
