// Package stocktest runs the stock kustomize of the machine (kubectl's
// bundled one, or a kustomize binary) for tests that compare phasegen's
// in-process builds with it.
package stocktest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Command returns the command line that runs the stock kustomize on this
// machine. Without one the test is skipped, except in CI (CI=true), where
// it fails.
func Command(t testing.TB) []string {
	t.Helper()
	if p, err := exec.LookPath("kubectl"); err == nil {
		return []string{p, "kustomize"}
	}
	if p, err := exec.LookPath("kustomize"); err == nil {
		return []string{p, "build"}
	}
	msg := "neither kubectl nor kustomize is on PATH: cannot compare with stock kustomize (install kubectl to run this test)"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg + "; CI=true, so this is a failure, not a skip")
	}
	t.Skip(msg)
	return nil
}

// Build runs the stock kustomize on dir/path (a slash-separated path) and
// returns what it prints.
func Build(t testing.TB, dir, path string) []byte {
	t.Helper()
	cmdline := Command(t)
	cmd := exec.Command(cmdline[0], append(cmdline[1:], filepath.FromSlash(path))...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v: %v\n%s", cmd.Args, err, stderr.String())
	}
	return out
}

// WriteTree writes files (slash-separated paths) under a new temporary
// directory and returns it.
func WriteTree(t testing.TB, files map[string][]byte) string {
	t.Helper()
	dir := t.TempDir()
	for p, b := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
