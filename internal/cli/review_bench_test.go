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
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/coditect/phasegen/internal/config"
	"github.com/coditect/phasegen/internal/fleet"
)

// reviewFleet lays out a 1,000-environment fleet in a git repository with
// one commit, makes it the current directory and returns the global flags
// and the fleet's configuration.
func reviewFleet(b *testing.B) ([]string, *config.Set) {
	b.Helper()
	dir := b.TempDir()
	if err := fleet.Write(dir, filepath.Join("..", "testdata", "example", "environments"), 1000); err != nil {
		b.Fatal(err)
	}
	commitTree(b, dir, "fleet")
	b.Chdir(dir)
	cfg, err := config.Load(fleet.ConfigDir)
	if err != nil {
		b.Fatal(err)
	}
	return []string{"--config", fleet.ConfigDir, "--templates", fleet.TemplatesDir, "--overlays", fleet.OverlaysDir}, cfg
}

// commitTree makes dir a git repository holding one commit of all its
// files and returns the repository.
func commitTree(b *testing.B, dir, msg string) *gogit.Repository {
	b.Helper()
	r, err := gogit.PlainInit(dir, false)
	if err != nil {
		b.Fatal(err)
	}
	w, err := r.Worktree()
	if err != nil {
		b.Fatal(err)
	}
	if err := w.AddWithOptions(&gogit.AddOptions{All: true}); err != nil {
		b.Fatal(err)
	}
	sig := &object.Signature{Name: "bench", Email: "bench@example.com", When: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	if _, err := w.Commit(msg, &gogit.CommitOptions{Author: sig, Committer: sig}); err != nil {
		b.Fatal(err)
	}
	return r
}

func runQuiet(b *testing.B, args []string) string {
	b.Helper()
	ta := NewTestApp(b, nil)
	stderr := ta.Err
	if code := ta.Run(args...); code != ExitOK {
		b.Fatalf("%s: exit %d\n%s", strings.Join(args[:1], " "), code, stderr.String())
	}
	return stderr.String()
}

// BenchmarkReviewOnePhase is `phasegen review` of a 1,000-environment
// fleet where one Phase file changed (beta's maxReplicas), against
// `phasegen build` of the environments at that phase alone, run
// alternately in each round so a host whose speed drifts slows both:
// review-ms and build-ms per run, and their ratio (the target is under 2).
func BenchmarkReviewOnePhase(b *testing.B) {
	global, cfg := reviewFleet(b)
	var atBeta []string
	for _, e := range cfg.Environments {
		if e.Spec.Phase == "beta" {
			atBeta = append(atBeta, e.Metadata.Name)
		}
	}
	beta := filepath.Join(fleet.ConfigDir, "phases", "beta.yaml")
	data, err := os.ReadFile(beta)
	if err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(beta, bytes.Replace(data, []byte("maxReplicas: 30"), []byte("maxReplicas: 40"), 1), 0o644); err != nil {
		b.Fatal(err)
	}
	reviewArgs := append([]string{"review"}, global...)
	buildArgs := append(append([]string{"build"}, atBeta...), global...)
	want := fmt.Sprintf("built %d environment(s) on both sides; %d skipped", len(atBeta), len(cfg.Environments)-len(atBeta))
	var review, build time.Duration
	for b.Loop() {
		t0 := time.Now()
		if out := runQuiet(b, reviewArgs); !strings.Contains(out, want) {
			b.Fatalf("review: %s, want %q", out, want)
		}
		t1 := time.Now()
		runQuiet(b, buildArgs)
		review, build = review+t1.Sub(t0), build+time.Since(t1)
	}
	n := float64(b.N)
	b.ReportMetric(float64(review.Milliseconds())/n, "review-ms")
	b.ReportMetric(float64(build.Milliseconds())/n, "build-ms")
	b.ReportMetric(review.Seconds()/build.Seconds(), "review/build")
	b.ReportMetric(float64(len(atBeta)), "envs-changed")
}

// BenchmarkReviewNothingChanged is `phasegen review` of the same fleet
// with nothing changed: it loads both sides, compares inputs and builds
// nothing (checked on every run).
func BenchmarkReviewNothingChanged(b *testing.B) {
	global, cfg := reviewFleet(b)
	args := append([]string{"review"}, global...)
	want := fmt.Sprintf("built 0 environment(s) on both sides; %d skipped", len(cfg.Environments))
	for b.Loop() {
		if out := runQuiet(b, args); !strings.Contains(out, want) {
			b.Fatalf("review: %s, want %q", out, want)
		}
	}
	b.ReportMetric(0, "builds")
}
