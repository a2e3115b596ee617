package cli

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/coditect/phasegen/internal/fleet"
)

// benchCommand runs `phasegen ARGS` end to end (config load, render, build
// or compare, output discarded) over synthetic fleets; check runs against
// overlays render wrote first, so it finds them up to date.
func benchCommand(b *testing.B, args ...string) {
	for _, n := range fleet.Sizes() {
		dir := b.TempDir()
		if err := fleet.Write(dir, filepath.Join("..", "testdata", "example", "environments"), n); err != nil {
			b.Fatal(err)
		}
		a, global := renderedFleet(b, dir)
		full := append(append([]string{}, args...), global...)
		b.Run(fleet.SubName(n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if code := a.Run(context.Background(), full); code != ExitOK {
					b.Fatalf("%v: exit %d", args, code)
				}
			}
			b.ReportMetric(fleet.MsPerEnv(b.Elapsed().Seconds()/float64(b.N), n), fleet.PerEnv)
		})
	}
}

// renderedFleet returns an App and the global flags that point at the
// fleet laid out in dir, after rendering it.
func renderedFleet(b *testing.B, dir string) (*App, []string) {
	b.Helper()
	global := []string{
		"--config", filepath.Join(dir, fleet.ConfigDir),
		"--templates", filepath.Join(dir, fleet.TemplatesDir),
		"--overlays", filepath.Join(dir, fleet.OverlaysDir),
	}
	a := NewTestApp(b, nil).App
	if code := a.Run(context.Background(), append([]string{"render"}, global...)); code != ExitOK {
		b.Fatalf("render: exit %d", code)
	}
	return a, global
}

// BenchmarkBuildCommand is `phasegen build` of every environment.
func BenchmarkBuildCommand(b *testing.B) { benchCommand(b, "build") }

// BenchmarkCheckCommand is `phasegen check`.
func BenchmarkCheckCommand(b *testing.B) { benchCommand(b, "check") }

// BenchmarkRenderCommand is `phasegen render` of overlays that are already
// up to date (load, render, read and compare; nothing written).
func BenchmarkRenderCommand(b *testing.B) { benchCommand(b, "render") }
