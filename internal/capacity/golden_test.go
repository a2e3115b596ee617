package capacity

import (
	"bytes"
	"io"
	"path/filepath"
	"testing"

	"github.com/coditect/phasegen/internal/golden"
)

// TestGolden: the plan of the shipped phases in each format, byte for byte
// (go test ./internal/capacity -run TestGolden -update rewrites them).
func TestGolden(t *testing.T) {
	cfg, pl := shipped(t)
	plans, err := pl.Plan(cfg.Phases)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range []struct {
		file  string
		write func(io.Writer, []PhasePlan) error
	}{{"plan.txt", WriteTable}, {"plan.json", WriteJSON}, {"plan.md", WriteMarkdown}} {
		t.Run(g.file, func(t *testing.T) {
			var buf bytes.Buffer
			if err := g.write(&buf, plans); err != nil {
				t.Fatal(err)
			}
			golden.Assert(t, filepath.Join("testdata", "golden", g.file), buf.Bytes())
		})
	}
}
