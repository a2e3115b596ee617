package capacity

import (
	"bytes"
	"flag"
	"io"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

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
			path := filepath.Join("testdata", "golden", g.file)
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("%s differs from the golden file (rerun with -update if intended):\n%s", g.file, buf.String())
			}
		})
	}
}
