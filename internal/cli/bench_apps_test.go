package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gogit "github.com/go-git/go-git/v5"

	"github.com/coditect/phasegen/internal/fleet"
)

// Size of the config repository the apps benchmarks generate.
const (
	benchApps    = 100
	benchAppEnvs = 3
)

// appsRepository lays out a config repository of 100 apps × 3
// environments (the two shipped examples in turn, renamed), renders every
// app from the top, commits it all (packed, as a clone has it) and makes
// it the current directory.
func appsRepository(b *testing.B) string {
	b.Helper()
	dir := b.TempDir()
	examples := []string{filepath.Join("..", "testdata", "example"), filepath.Join("..", "..", "examples", "store")}
	if err := fleet.WriteApps(dir, examples, benchApps, benchAppEnvs); err != nil {
		b.Fatal(err)
	}
	b.Chdir(dir)
	runQuiet(b, []string{"render"})
	r := commitTree(b, dir, "apps")
	// Packed, as a clone (CI's checkout) has it.
	if err := r.RepackObjects(&gogit.RepackConfig{}); err != nil {
		b.Fatal(err)
	}
	return dir
}

// BenchmarkAppsCheck is `phasegen check` at the top of the config
// repository: all 300 environments of 100 apps, after one check has warmed
// the caches (the target is under 1 s).
func BenchmarkAppsCheck(b *testing.B) {
	appsRepository(b)
	want := fmt.Sprintf("%s: apps/%s/overlays/ is up to date", fleet.AppName(benchApps-1), fleet.AppName(benchApps-1))
	runQuiet(b, []string{"check"})
	for b.Loop() {
		if out := runQuiet(b, []string{"check"}); !strings.Contains(out, want) {
			b.Fatalf("check: %s", out)
		}
	}
	b.ReportMetric(benchApps*benchAppEnvs, "envs")
}

// BenchmarkAppsReviewOnePhase is `phasegen review` at the top of the
// config repository where one phase file of one app changed (app-001's
// beta, the phase of one of its environments), against `phasegen build`
// of that app's environments at that phase, alternately in each round:
// review-ms, build-ms and their ratio (the target is at most 2).
func BenchmarkAppsReviewOnePhase(b *testing.B) {
	appsRepository(b)
	app := fleet.AppName(0)
	beta := filepath.Join(fleet.AppsDir, app, fleet.ConfigDir, "phases", "beta.yaml")
	data, err := os.ReadFile(beta)
	if err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(beta, bytes.Replace(data, []byte("maxReplicas: 30"), []byte("maxReplicas: 40"), 1), 0o644); err != nil {
		b.Fatal(err)
	}
	// Environment i is at phase i mod phases: the second is at beta.
	env := fleet.Name(1)
	want := fmt.Sprintf("built 1 environment(s) on both sides; %d skipped (inputs identical); %d of %d apps unchanged (not loaded)", benchAppEnvs-1, benchApps-1, benchApps)
	var review, build time.Duration
	for b.Loop() {
		t0 := time.Now()
		if out := runQuiet(b, []string{"review"}); !strings.Contains(out, want) {
			b.Fatalf("review: %s, want %q", out, want)
		}
		t1 := time.Now()
		runQuiet(b, []string{"build", app + "/" + env})
		review, build = review+t1.Sub(t0), build+time.Since(t1)
	}
	n := float64(b.N)
	b.ReportMetric(float64(review.Milliseconds())/n, "review-ms")
	b.ReportMetric(float64(build.Milliseconds())/n, "build-ms")
	b.ReportMetric(review.Seconds()/build.Seconds(), "review/build")
}

// BenchmarkAppsReviewNothingChanged is `phasegen review` at the top of the
// config repository with nothing changed: it builds nothing (checked on
// every run).
func BenchmarkAppsReviewNothingChanged(b *testing.B) {
	appsRepository(b)
	want := fmt.Sprintf("built 0 environment(s) on both sides; 0 skipped (inputs identical); %d of %d apps unchanged (not loaded)", benchApps, benchApps)
	for b.Loop() {
		if out := runQuiet(b, []string{"review"}); !strings.Contains(out, want) {
			b.Fatalf("review: %s, want %q", out, want)
		}
	}
	b.ReportMetric(0, "builds")
}
