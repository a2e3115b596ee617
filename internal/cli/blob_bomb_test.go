package cli_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coditect/phasegen/internal/cli"
	"github.com/coditect/phasegen/internal/gittest"
)

const bombSize = 1_500_000_000 // 1.5 GB of zeros, a few MB as a loose object

// bombRepos makes a config repository whose previous commit holds a 1.5 GB
// environments/production.yaml, and a GitOps repository whose main holds a
// 1.5 GB overlays/production/kustomization.yaml.
func bombRepos(t testing.TB) (cfgDir, gitopsDir string) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	when := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	cfgDir = t.TempDir()
	for _, d := range []string{"environments", "templates/base"} {
		if err := copyTree(filepath.Join("..", "testdata", "example", d), filepath.Join(cfgDir, d)); err != nil {
			t.Fatal(err)
		}
	}
	gitopsDir = t.TempDir()
	gittest.At(t, cfgDir, when, "init", "-q", "-b", "main")
	gittest.At(t, gitopsDir, when, "init", "-q", "-b", "main")
	id, err := gittest.ZeroBlob(bombSize, filepath.Join(cfgDir, ".git"), filepath.Join(gitopsDir, ".git"))
	if err != nil {
		t.Fatal(err)
	}
	gittest.At(t, cfgDir, when, "add", "-A")
	gittest.At(t, cfgDir, when, "update-index", "--cacheinfo", "100644,"+id+",environments/production.yaml")
	gittest.At(t, cfgDir, when, "commit", "-q", "-m", "bomb")
	gittest.At(t, cfgDir, when, "add", "-A")
	gittest.At(t, cfgDir, when, "commit", "-q", "-m", "defused")

	if err := os.WriteFile(filepath.Join(gitopsDir, "README.md"), []byte("apps\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The tree's owner record lists the bomb as phasegen's own file, so
	// promote gets as far as reading it.
	owner := "app: coditect\nenvironment: production\nfiles:\n  production/overlays/production/kustomization.yaml: " + id + "\n"
	if err := os.MkdirAll(filepath.Join(gitopsDir, "apps/coditect/production/.phasegen"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(gitopsDir, "apps/coditect/production/.phasegen/owner.yaml"), []byte(owner), 0o644); err != nil {
		t.Fatal(err)
	}
	gittest.At(t, gitopsDir, when, "add", "-A")
	gittest.At(t, gitopsDir, when, "update-index", "--add", "--cacheinfo", "100644,"+id+",apps/coditect/production/overlays/production/kustomization.yaml")
	gittest.At(t, gitopsDir, when, "commit", "-q", "-m", "bomb")
	gittest.At(t, gitopsDir, when, "checkout", "-q", "--detach")
	return cfgDir, gitopsDir
}

// TestBlobBombsBounded runs review (a 1.5 GB config in the base revision)
// and promote (a 1.5 GB overlay file in the GitOps repository) each in a
// child process and reads its peak RSS: each exits 1 naming the size, and
// stays under 200 MB (the time is BenchmarkBlobBombRefused's).
func TestBlobBombsBounded(t *testing.T) {
	if os.Getenv("PHASEGEN_BOMB_ARGS") != "" {
		t.Skip("the child's own run")
	}
	cfgDir, gitopsDir := bombRepos(t)
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"review", []string{"review", "--base", "HEAD~1"}, "file is larger than 1048576 bytes"},
		{"promote", []string{"promote", "production", "--to", "pre-launch", "--git-dir", gitopsDir}, "1500000000 bytes, over the 8388608-byte limit"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestBlobBombChild$", "-test.v")
			cmd.Dir = cfgDir
			cmd.Env = append(os.Environ(), "PHASEGEN_BOMB_ARGS="+strings.Join(c.args, "\x1f"))
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("child: %v\n%s", err, out)
			}
			if !bytes.Contains(out, []byte("phasegen exit 1")) || !bytes.Contains(out, []byte(c.want)) {
				t.Fatalf("want exit 1 saying %q:\n%s", c.want, out)
			}
			rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss << 10 // KiB on Linux
			t.Logf("%s: peak RSS %d MB", c.name, rss>>20)
			if rss > 200<<20 {
				t.Errorf("%s: peak RSS %d MB, over 200 MB", c.name, rss>>20)
			}
		})
	}
}

// TestBlobBombChild is the child of TestBlobBombsBounded: it runs phasegen
// with the arguments it is given, in its working directory.
func TestBlobBombChild(t *testing.T) {
	raw := os.Getenv("PHASEGEN_BOMB_ARGS")
	if raw == "" {
		t.Skip("run by TestBlobBombsBounded")
	}
	a := cli.NewTestApp(t, nil)
	code := a.Run(strings.Split(raw, "\x1f")...)
	fmt.Printf("%s\nphasegen exit %d\n", a.Output(), code)
}

// BenchmarkBlobBombRefused times the refusals of TestBlobBombsBounded.
func BenchmarkBlobBombRefused(b *testing.B) {
	cfgDir, gitopsDir := bombRepos(b)
	b.Chdir(cfgDir)
	for _, c := range []struct {
		name string
		args []string
	}{
		{"review", []string{"review", "--base", "HEAD~1"}},
		{"promote", []string{"promote", "production", "--to", "pre-launch", "--git-dir", gitopsDir}},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				a := cli.NewTestApp(b, nil)
				if code := a.Run(c.args...); code != cli.ExitError {
					b.Fatalf("exit %d\n%s", code, a.Output())
				}
			}
		})
	}
}
