package tune

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/coditect/phasegen/internal/config"
	"github.com/coditect/phasegen/internal/observe"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// TestTuneGolden pins the three outputs of tune for one observation (JSON
// in DESIGN.md's shape, quantities as Kubernetes strings).
func TestTuneGolden(t *testing.T) {
	r, err := recommend(t, "pre-launch", func(*observe.Observation, *config.Phase) {})
	if err != nil {
		t.Fatal(err)
	}
	for name, write := range map[string]func(*bytes.Buffer) error{
		"tune.json": func(b *bytes.Buffer) error { return WriteJSON(b, r) },
		"tune.txt":  func(b *bytes.Buffer) error { return WriteTable(b, r) },
		"tune.md":   func(b *bytes.Buffer) error { return WriteMarkdown(b, r) },
	} {
		var b bytes.Buffer
		if err := write(&b); err != nil {
			t.Fatal(err)
		}
		file := filepath.Join("testdata", "golden", name)
		if *update {
			if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(file, b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(file)
		if err != nil {
			t.Fatalf("%v (run go test -update)", err)
		}
		if !bytes.Equal(b.Bytes(), want) {
			t.Errorf("%s differs from the golden file:\n%s", name, b.Bytes())
		}
	}
}
