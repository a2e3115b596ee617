package kbuild_test

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coditect/phasegen/internal/base"
	"github.com/coditect/phasegen/internal/config"
	"github.com/coditect/phasegen/internal/fileset"
	"github.com/coditect/phasegen/internal/kbuild"
	"github.com/coditect/phasegen/internal/kbuild/stocktest"
	"github.com/coditect/phasegen/internal/overlay"
	"github.com/coditect/phasegen/templates"
)

// shipped renders the repository's own environments.
func shipped(tb testing.TB) (*config.Set, fileset.Set) {
	tb.Helper()
	cfg, err := config.Load(filepath.Join("..", "testdata", "example", "environments"))
	if err != nil {
		tb.Fatal(err)
	}
	b, err := base.Load(templates.FS())
	if err != nil {
		tb.Fatal(err)
	}
	files, err := overlay.RenderAll(cfg, b)
	if err != nil {
		tb.Fatal(err)
	}
	return cfg, files
}

func compareWithStock(t *testing.T, files fileset.Set, env string) {
	t.Helper()
	dir := stocktest.WriteTree(t, files)
	got, err := kbuild.Build(files, overlay.EnvDir(env))
	if err != nil {
		t.Fatal(err)
	}
	if want := stocktest.Build(t, dir, overlay.EnvDir(env)); !bytes.Equal(got, want) {
		t.Errorf("kbuild.Build(%s) differs from stock kustomize overlays/%s:\n--- in process\n%s\n--- stock\n%s", env, env, got, want)
	}
}

// Acceptance 1: for every shipped environment, the in-process build is byte
// for byte what stock kustomize prints.
func TestBuildMatchesStockKustomize(t *testing.T) {
	cfg, files := shipped(t)
	if len(cfg.Environments) == 0 {
		t.Fatal("no shipped environments")
	}
	for _, env := range cfg.Environments {
		t.Run(env.Metadata.Name, func(t *testing.T) {
			compareWithStock(t, files, env.Metadata.Name)
		})
	}
}

// Every environment at every phase, including phases it is not declared at
// (what build --phase and promote produce).
func TestBuildMatchesStockKustomizeAtEveryPhase(t *testing.T) {
	cfg, _ := shipped(t)
	b, err := base.Load(templates.FS())
	if err != nil {
		t.Fatal(err)
	}
	for _, env := range cfg.Environments {
		for _, ph := range cfg.Phases {
			t.Run(env.Metadata.Name+"@"+ph.Metadata.Name, func(t *testing.T) {
				files, err := overlay.Render(overlay.Input{Config: cfg, Base: b, Env: env, Phase: ph})
				if err != nil {
					t.Fatal(err)
				}
				compareWithStock(t, files, env.Metadata.Name)
			})
		}
	}
}

func TestBuildErrors(t *testing.T) {
	_, files := shipped(t)
	for dir, want := range map[string]string{
		"":                     `kustomize build: "" is not a relative path inside the tree`,
		"/overlays/production": `kustomize build: "/overlays/production" is not a relative path inside the tree`,
		"../x":                 `kustomize build: "../x" is not a relative path inside the tree`,
		"overlays/nope":        "kustomize build overlays/nope: must build at directory: not a valid directory",
	} {
		if _, err := kbuild.Build(files, dir); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Build(%q): %v, want %q", dir, err, want)
		}
	}
	if _, err := kbuild.Build(fileset.Set{"../escape.yaml": nil}, "x"); err == nil || !strings.Contains(err.Error(), `file "../escape.yaml" is not a relative path inside the tree`) {
		t.Errorf("Build with a path leaving the tree: %v", err)
	}
}

// BenchmarkBuild reports the cost of building one environment.
func BenchmarkBuild(b *testing.B) {
	cfg, files := shipped(b)
	envs := cfg.EnvironmentNames()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		env := envs[i%len(envs)]
		if _, err := kbuild.Build(files, overlay.EnvDir(env)); err != nil {
			b.Fatal(err)
		}
	}
}
