package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coditect/phasegen/internal/cli"
	"github.com/coditect/phasegen/internal/gittest"
)

// promote refuses before writing anything when it could not record the
// phase locally (a read-only environment file, one linked out of the
// repository), refuses to replace a phasegen/ENV branch of unrelated
// commits unless --force-branch, and then says what it replaced.
func TestPromoteRefusesWhatItWouldBreak(t *testing.T) {
	gitDir := configCopy(t)
	run := func(args ...string) (int, string) {
		a := cli.NewTestApp(t, nil)
		code := a.Run(args...)
		return code, a.Output()
	}
	promote := []string{"promote", "production", "--to", "pre-launch", "--git-dir", gitDir}
	env := filepath.Join("environments", "production.yaml")

	if err := os.Chmod(env, 0o444); err != nil {
		t.Fatal(err)
	}
	if code, out := run(promote...); code != cli.ExitError || !strings.Contains(out, "read-only") {
		t.Fatalf("read-only environment file: exit %d, want 1:\n%s", code, out)
	}
	if err := os.Chmod(env, 0o644); err != nil {
		t.Fatal(err)
	}
	outside := filepath.Join(t.TempDir(), "production.yaml")
	raw, err := os.ReadFile(env)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(outside, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(env, env+".orig"); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, env); err != nil {
		t.Fatal(err)
	}
	if code, out := run(promote...); code != cli.ExitError || !strings.Contains(out, "outside") {
		t.Fatalf("environment file linked out of the repository: exit %d, want 1:\n%s", code, out)
	}
	if err := os.Remove(env); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(env+".orig", env); err != nil {
		t.Fatal(err)
	}
	if heads := gittest.At(t, gitDir, time.Now(), "for-each-ref", "refs/heads/phasegen"); heads != "" {
		t.Fatalf("a refused promotion wrote a branch: %s", heads)
	}

	// Someone's unrelated branch under phasegen's name.
	work := t.TempDir()
	when := time.Now()
	gittest.At(t, work, when, "init", "-q", "-b", "phasegen/coditect/production")
	if err := os.WriteFile(filepath.Join(work, "mine.txt"), []byte("mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	gittest.At(t, work, when, "add", "mine.txt")
	gittest.At(t, work, when, "commit", "-q", "-m", "someone else's work")
	gittest.At(t, work, when, "push", "-q", gitDir, "phasegen/coditect/production")
	foreign := gittest.At(t, gitDir, when, "rev-parse", "phasegen/coditect/production")
	for _, extra := range [][]string{nil, {"--force-branch"}} {
		if code, out := run(append(promote, extra...)...); code != cli.ExitError || !strings.Contains(out, "a commit that is not this promotion's") || !strings.Contains(out, foreign[:12]) {
			t.Fatalf("a foreign branch %v: exit %d, want 1 naming it:\n%s", extra, code, out)
		}
		if got := gittest.At(t, gitDir, when, "rev-parse", "phasegen/coditect/production"); got != foreign {
			t.Fatalf("the foreign branch moved to %s", got)
		}
	}
}

// A file of the GitOps repository named to forge lines (an escape
// sequence, a newline) is never printed raw, whatever promote says of it.
func TestPromoteEscapesTargetNames(t *testing.T) {
	gitDir := credSetup(t)
	work := t.TempDir()
	when := time.Now()
	gittest.At(t, work, when, "clone", "-q", gitDir, ".")
	name := "apps/coditect/production/overlays/production/x\x1b[2J\nphasegen promote: all gates passed.yaml"
	if err := os.MkdirAll(filepath.Dir(filepath.Join(work, name)), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(work, name), []byte("kind: ConfigMap\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	gittest.At(t, work, when, "add", "-A")
	gittest.At(t, work, when, "commit", "-q", "-m", "a hostile name")
	gittest.At(t, work, when, "push", "-q", "origin", "HEAD:main")
	a := cli.NewTestApp(t, nil)
	code := a.Run("promote", "production", "--to", "beta", "--git-dir", gitDir)
	out := a.Output()
	if code != cli.ExitError || !strings.Contains(out, `x\x1b[2J\nphasegen promote: all gates passed.yaml"`) {
		t.Fatalf("exit %d, want 1 naming the file escaped:\n%s", code, out)
	}
	if strings.Contains(out, "\x1b") || strings.Contains(out, "\nphasegen promote: all gates passed") {
		t.Fatalf("a name from the repository was printed raw:\n%q", out)
	}
}

// The overlays directory promote re-renders after its write is checked
// before it: `--overlays .` (the repository itself) writes no branch and
// leaves the environment's file alone.
func TestPromoteChecksOverlaysFirst(t *testing.T) {
	gitDir := configCopy(t)
	env := filepath.Join("environments", "production.yaml")
	raw, err := os.ReadFile(env)
	if err != nil {
		t.Fatal(err)
	}
	gittest.At(t, ".", time.Now(), "init", "-q")
	a := cli.NewTestApp(t, nil)
	code := a.Run("promote", "production", "--to", "pre-launch", "--git-dir", gitDir, "--overlays", ".")
	if out := a.Output(); code != cli.ExitError || !strings.Contains(out, "--overlays .") || !strings.Contains(out, "refusing to replace it") {
		t.Fatalf("exit %d, want 1 refusing the overlays directory:\n%s", code, out)
	}
	if heads := gittest.At(t, gitDir, time.Now(), "for-each-ref", "refs/heads/phasegen"); heads != "" {
		t.Errorf("a refused promotion wrote a branch: %s", heads)
	}
	if now, _ := os.ReadFile(env); string(now) != string(raw) {
		t.Error("the environment's file was edited")
	}
}
