package config_test

import (
	"path/filepath"
	"testing"

	"github.com/coditect/phasegen/internal/config"
	"github.com/coditect/phasegen/internal/fleet"
)

// BenchmarkLoad loads and validates the configs of synthetic fleets.
func BenchmarkLoad(b *testing.B) {
	for _, n := range fleet.Sizes() {
		dir := b.TempDir()
		if err := fleet.Write(dir, filepath.Join("..", "testdata", "example", "environments"), n); err != nil {
			b.Fatal(err)
		}
		cfgDir := filepath.Join(dir, fleet.ConfigDir)
		b.Run(fleet.SubName(n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := config.Load(cfgDir); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(fleet.MsPerEnv(b.Elapsed().Seconds()/float64(b.N), n), fleet.PerEnv)
		})
	}
}
