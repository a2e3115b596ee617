package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/coditect/phasegen/internal/cli"
	"github.com/coditect/phasegen/internal/gittest"
)

// TestPromoteRecordsTheKeptName: promoting an environment the previous
// release wrote keeps its Application's name and records it in
// spec.argocd.applicationName, so the local render and check agree with
// the repository.
func TestPromoteRecordsTheKeptName(t *testing.T) {
	ar, err := txtar.ParseFile(filepath.Join("..", "promote", "testdata", "previous-layout.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	gitDir := configCopy(t)
	work := t.TempDir()
	when := time.Now()
	gittest.At(t, work, when, "clone", "-q", gitDir, ".")
	for _, f := range ar.Files {
		p := filepath.Join(work, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	gittest.At(t, work, when.Add(-48*time.Hour), "add", "-A")
	gittest.At(t, work, when.Add(-48*time.Hour), "commit", "-q", "-m", "the previous release's tree")
	gittest.At(t, work, when, "push", "-q", "origin", "HEAD:main")

	a := cli.NewTestApp(t, nil)
	if code := a.Run("promote", "production", "--to", "beta", "--git-dir", gitDir); code != cli.ExitOK {
		t.Fatalf("promote: exit %d\n%s", code, a.Output())
	}
	out := a.Output()
	for _, want := range []string{
		"production is in the previous layout on main: this promotion moves it into apps/coditect/production/",
		"production keeps its Application's name coditect-combined-production",
		"recorded spec.argocd.applicationName coditect-combined-production in environments/production.yaml",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	env, err := os.ReadFile(filepath.Join("environments", "production.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(env), "applicationName: coditect-combined-production") || !strings.Contains(string(env), "phase: beta") {
		t.Errorf("environments/production.yaml:\n%s", env)
	}
	app, err := os.ReadFile(filepath.Join("overlays", "argocd", "production.yaml"))
	if err != nil || !strings.Contains(string(app), "name: coditect-combined-production\n") {
		t.Errorf("the local Application: %v\n%s", err, app)
	}
	if a := cli.NewTestApp(t, nil); a.Run("check") != cli.ExitOK {
		t.Errorf("check after the move: %s", a.Output())
	}
}
