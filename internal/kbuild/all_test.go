package kbuild_test

import (
	"bytes"
	"errors"
	"fmt"
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

// smallFleet renders a fleet with one environment at every phase (the
// shipped ones and the fixed-replica one).
func smallFleet(t *testing.T) (*config.Set, fileset.Set) {
	t.Helper()
	dir := t.TempDir()
	if err := fleet.Write(dir, filepath.Join("..", "testdata", "example", "environments"), 5); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(filepath.Join(dir, fleet.ConfigDir))
	if err != nil {
		t.Fatal(err)
	}
	b, err := base.Load(templates.FS())
	if err != nil {
		t.Fatal(err)
	}
	files, err := overlay.RenderAll(cfg, b)
	if err != nil {
		t.Fatal(err)
	}
	return cfg, files
}

// The synthetic fleet the benchmarks build is what stock kustomize builds
// too, the fixed-replica (no HPA) phase included.
func TestFleetMatchesStockKustomize(t *testing.T) {
	cfg, files := smallFleet(t)
	seen := map[string]bool{}
	for _, env := range cfg.Environments {
		seen[env.Spec.Phase] = true
		t.Run(env.Metadata.Name, func(t *testing.T) {
			compareWithStock(t, files, env.Metadata.Name)
		})
	}
	if !seen[fleet.FixedPhase] || len(seen) != len(cfg.Phases) {
		t.Errorf("fleet covers phases %v, want all %v", seen, cfg.PhaseNames())
	}
}

// BuildAll returns, in order, exactly what Build returns for each job.
func TestBuildAllMatchesBuild(t *testing.T) {
	cfg, files := smallFleet(t)
	envs := cfg.EnvironmentNames()
	n := 3 * len(envs)
	got, err := kbuild.BuildAll(n, func(i int) (kbuild.Job, error) {
		return kbuild.Job{Files: files, Dir: overlay.EnvDir(envs[i%len(envs)])}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("BuildAll returned %d outputs, want %d", len(got), n)
	}
	for i := range got {
		want, err := kbuild.Build(files, overlay.EnvDir(envs[i%len(envs)]))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got[i], want) {
			t.Errorf("output %d (%s) differs from Build", i, envs[i%len(envs)])
		}
	}
}

// The error BuildAll reports is the first in index order, whichever
// worker hits an error first.
func TestBuildAllFirstError(t *testing.T) {
	_, files := smallFleet(t)
	errBad := errors.New("bad job")
	for _, bad := range []int{0, 3, 9} {
		_, err := kbuild.BuildAll(10, func(i int) (kbuild.Job, error) {
			switch {
			case i == bad:
				return kbuild.Job{}, fmt.Errorf("job %d: %w", i, errBad)
			case i > bad:
				return kbuild.Job{Files: files, Dir: "overlays/missing"}, nil
			}
			return kbuild.Job{Files: files, Dir: overlay.EnvDir(fleet.Name(0))}, nil
		})
		if !errors.Is(err, errBad) || err.Error() != fmt.Sprintf("job %d: bad job", bad) {
			t.Errorf("bad job %d: got error %v", bad, err)
		}
	}
	if out, err := kbuild.BuildAll(0, nil); err != nil || len(out) != 0 {
		t.Errorf("BuildAll(0) = %v, %v; want nothing", out, err)
	}
}
