package cli

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/coditect/phasegen/internal/fleet"
	"github.com/coditect/phasegen/internal/kbuild"
)

// storeFleet is the size of the two-workload fleet BenchmarkStoreBuildVsKrusty builds.
const storeFleet = 300

// BenchmarkStoreBuildVsKrusty times `phasegen build` of 300 environments
// of the two-workload example (examples/store) against a bare krusty loop
// over the same rendered overlays on disk (one Kustomizer run and YAML
// print per overlay, one after another, as a script calling kustomize per
// overlay would), alternating the two in every iteration. It reports both
// in ms/env and their ratio, phasegen/krusty, whose target is at most 0.75.
func BenchmarkStoreBuildVsKrusty(b *testing.B) {
	dir := b.TempDir()
	if err := fleet.WriteApp(dir, filepath.Join("..", "..", "examples", "store"), storeFleet); err != nil {
		b.Fatal(err)
	}
	a, global := renderedFleet(b, dir)
	fsys := filesys.MakeFsOnDisk()
	bare := func() {
		for i := 0; i < storeFleet; i++ {
			m, err := krusty.MakeKustomizer(kbuild.Options()).Run(fsys, filepath.Join(dir, fleet.OverlaysDir, fleet.Name(i)))
			if err != nil {
				b.Fatal(err)
			}
			if _, err := m.AsYaml(); err != nil {
				b.Fatal(err)
			}
		}
	}
	bare() // kustomize's one-time set-up, outside the timings
	var pg, kr time.Duration
	for b.Loop() {
		t0 := time.Now()
		if code := a.Run(context.Background(), append([]string{"build"}, global...)); code != ExitOK {
			b.Fatalf("build: exit %d", code)
		}
		t1 := time.Now()
		bare()
		pg, kr = pg+t1.Sub(t0), kr+time.Since(t1)
	}
	b.ReportMetric(fleet.MsPerEnv(pg.Seconds()/float64(b.N), storeFleet), "phasegen-ms/env")
	b.ReportMetric(fleet.MsPerEnv(kr.Seconds()/float64(b.N), storeFleet), "krusty-ms/env")
	b.ReportMetric(pg.Seconds()/kr.Seconds(), "phasegen/krusty")
}
