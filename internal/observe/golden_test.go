package observe

import (
	"bytes"
	"fmt"
	"io"
	"path/filepath"
	"testing"
	"time"

	goldenpkg "github.com/coditect/phasegen/internal/golden"
)

// golden compares got with testdata/golden/name (-update rewrites it).
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	goldenpkg.Assert(t, filepath.Join("testdata", "golden", name), got)
}

// TestStatusGolden pins the three outputs of status for one observation
// (JSON in the documented shape).
func TestStatusGolden(t *testing.T) {
	o := quiet()
	o.At = time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	o.SessionsPeak, o.HPAAtMaxMinutes, o.HPAAtMaxFraction, o.PVCUsedPercentMax, o.Volumes = 11, 90, 90.0/10080, 71.234, true
	s := judge(t, "pre-launch").Status(o, "7d")
	goldenpkg.AssertWrites(t, filepath.Join("testdata", "golden"), map[string]func(*bytes.Buffer) error{
		"status.json": func(b *bytes.Buffer) error { return WriteStatusJSON(b, s) },
		"status.txt":  func(b *bytes.Buffer) error { return WriteStatusTable(b, s) },
		"status.md":   func(b *bytes.Buffer) error { return WriteStatusMarkdown(b, s) },
	})
}

// TestStatusSoakGolden pins the soak in the three outputs: pending (with
// the time left), passed, a phase without a soak, a partial history.
func TestStatusSoakGolden(t *testing.T) {
	o := quiet()
	o.At = time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	since := time.Date(2026, 11, 29, 23, 0, 0, 0, time.UTC)
	commit := "0c97afe445fa1b2c3d4e5f60718293a4b5c6d7e8"
	var b bytes.Buffer
	for _, c := range []struct {
		name string
		soak *Soak
	}{
		{"pending", NewSoak("pre-launch", "24h", 24*time.Hour, "main", commit, since, false, o.At)},
		{"passed", NewSoak("pre-launch", "24h", 24*time.Hour, "main", commit, since, false, since.Add(30*time.Hour))},
		{"no soak", NewSoak("full-mvp", "", 0, "main", commit, since, false, o.At)},
		{"partial", NewSoak("beta", "7d", 7*24*time.Hour, "main", commit, since, true, since.Add(time.Minute+30*time.Second))},
	} {
		s := judge(t, "pre-launch").Status(o, "7d")
		s.Soak = c.soak
		fmt.Fprintf(&b, "== %s\n", c.name)
		for _, write := range []func(io.Writer, Status) error{WriteStatusJSON, WriteStatusTable, WriteStatusMarkdown} {
			if err := write(&b, s); err != nil {
				t.Fatal(err)
			}
		}
	}
	golden(t, "status-soak.txt", b.Bytes())
}
