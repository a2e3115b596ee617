package tune

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/coditect/phasegen/internal/golden"

	"github.com/coditect/phasegen/internal/config"
	"github.com/coditect/phasegen/internal/observe"
)

// TestTuneGolden pins the three outputs of tune for one observation (JSON
// in the documented shape, quantities as Kubernetes strings).
func TestTuneGolden(t *testing.T) {
	r, err := recommend(t, "pre-launch", func(*observe.Observation, *config.Phase) {})
	if err != nil {
		t.Fatal(err)
	}
	golden.AssertWrites(t, filepath.Join("testdata", "golden"), map[string]func(*bytes.Buffer) error{
		"tune.json": func(b *bytes.Buffer) error { return WriteJSON(b, r) },
		"tune.txt":  func(b *bytes.Buffer) error { return WriteTable(b, r) },
		"tune.md":   func(b *bytes.Buffer) error { return WriteMarkdown(b, r) },
	})
}
