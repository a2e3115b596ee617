package observe

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	file := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file:\n%s", name, got)
	}
}

// TestStatusGolden pins the three outputs of status for one observation
// (JSON in DESIGN.md's shape).
func TestStatusGolden(t *testing.T) {
	o := quiet()
	o.At = time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	o.SessionsPeak, o.HPAAtMaxMinutes, o.HPAAtMaxFraction, o.PVCUsedPercentMax = 11, 90, 90.0/10080, 71.234
	s := judge(t, "pre-launch").Status(o, "7d")
	for name, write := range map[string]func(*bytes.Buffer) error{
		"status.json": func(b *bytes.Buffer) error { return WriteStatusJSON(b, s) },
		"status.txt":  func(b *bytes.Buffer) error { return WriteStatusTable(b, s) },
		"status.md":   func(b *bytes.Buffer) error { return WriteStatusMarkdown(b, s) },
	} {
		var b bytes.Buffer
		if err := write(&b); err != nil {
			t.Fatal(err)
		}
		golden(t, name, b.Bytes())
	}
}
