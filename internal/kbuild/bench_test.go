package kbuild_test

import (
	"path/filepath"
	"testing"

	"github.com/coditect/phasegen/internal/base"
	"github.com/coditect/phasegen/internal/config"
	"github.com/coditect/phasegen/internal/fileset"
	"github.com/coditect/phasegen/internal/fleet"
	"github.com/coditect/phasegen/internal/kbuild"
	"github.com/coditect/phasegen/internal/overlay"
	"github.com/coditect/phasegen/templates"
)

// BenchmarkBuildAll builds every environment of synthetic fleets from
// their rendered files (kustomize only: rendering is not timed), on
// GOMAXPROCS goroutines, with the runtime's default GC settings.
func BenchmarkBuildAll(b *testing.B) {
	bs, err := base.Load(templates.FS())
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range fleet.Sizes() {
		dir := b.TempDir()
		if err := fleet.Write(dir, filepath.Join("..", "testdata", "example", "environments"), n); err != nil {
			b.Fatal(err)
		}
		cfg, err := config.Load(filepath.Join(dir, fleet.ConfigDir))
		if err != nil {
			b.Fatal(err)
		}
		r := overlay.NewRenderer(cfg, bs)
		jobs := make([]kbuild.Job, n)
		for i, env := range cfg.Environments {
			phase, _ := cfg.Phase(env.Spec.Phase)
			var files fileset.Set
			if files, err = r.Overlay(env, phase); err != nil {
				b.Fatal(err)
			}
			jobs[i] = kbuild.Job{Files: files, Dir: overlay.EnvDir(env.Metadata.Name)}
		}
		b.Run(fleet.SubName(n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := kbuild.BuildAll(n, func(i int) (kbuild.Job, error) { return jobs[i], nil }); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(fleet.MsPerEnv(b.Elapsed().Seconds()/float64(b.N), n), fleet.PerEnv)
		})
	}
}
