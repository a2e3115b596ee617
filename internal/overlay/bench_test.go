package overlay_test

import (
	"path/filepath"
	"testing"

	"github.com/coditect/phasegen/internal/fleet"
	"github.com/coditect/phasegen/internal/overlay"
)

// BenchmarkRenderAll renders every environment of synthetic fleets.
func BenchmarkRenderAll(b *testing.B) {
	for _, n := range fleet.Sizes() {
		dir := b.TempDir()
		if err := fleet.Write(dir, filepath.Join("..", "testdata", "example", "environments"), n); err != nil {
			b.Fatal(err)
		}
		cfg, bs := load(b, filepath.Join(dir, fleet.ConfigDir))
		b.Run(fleet.SubName(n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := overlay.RenderAll(cfg, bs); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(fleet.MsPerEnv(b.Elapsed().Seconds()/float64(b.N), n), fleet.PerEnv)
		})
	}
}
