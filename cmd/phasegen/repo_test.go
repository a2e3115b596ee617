package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestRepositoryStandsAlone: no file of the repository names a file outside
// it (a design note or a seed beside the clone), and every relative link of
// the docs resolves to a file of the repository.
func TestRepositoryStandsAlone(t *testing.T) {
	top := filepath.Join("..", "..")
	out, err := exec.Command("git", "-C", top, "ls-files").Output()
	if err != nil {
		t.Skipf("not a git checkout: %v", err)
	}
	// The names are put together here so that this file, which must
	// spell them, does not itself point outside the repository.
	outside := regexp.MustCompile(`\.\./` + "shared|" + "DESIGN" + `\.md|` + "scaling-" + "analysis")
	link := regexp.MustCompile(`\]\(([^)#:]+)(#[^)]*)?\)`)
	for _, f := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		data, err := os.ReadFile(filepath.Join(top, f))
		if err != nil {
			continue // listed but deleted in the working tree
		}
		if loc := outside.FindIndex(data); loc != nil {
			t.Errorf("%s names a file outside the repository: %q", f, data[loc[0]:loc[1]])
		}
		if !strings.HasSuffix(f, ".md") {
			continue
		}
		for _, m := range link.FindAllSubmatch(data, -1) {
			target := filepath.Join(top, filepath.Dir(f), string(m[1]))
			if _, err := os.Stat(target); err != nil {
				t.Errorf("%s links to %s, which is not in the repository", f, m[1])
			}
		}
	}
}

// TestDemoHeadersPlain: make demo's section headers carry no terminal
// escapes into a file or a pipe (stderr here is not a terminal), and none
// with NO_COLOR set either.
func TestDemoHeadersPlain(t *testing.T) {
	for _, env := range [][]string{nil, {"NO_COLOR=1"}} {
		cmd := exec.Command("bash", "-c", `. ../../scripts/step.sh && step "a section"`)
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		if string(out) != "\n==> a section\n" {
			t.Errorf("header %q (env %v), want plain text", out, env)
		}
	}
}

// TestInstall: the README's install line names this module's command, and
// `go install ./cmd/phasegen` (what the line does from the module proxy)
// gives a binary whose version command answers.
func TestInstall(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	const line = "go install github.com/coditect/phasegen/cmd/phasegen@latest"
	if !strings.Contains(string(readme), line) {
		t.Fatalf("the README does not say %q", line)
	}
	mod, err := exec.Command("go", "list", "-m").Output()
	if err != nil {
		t.Skipf("go list -m: %v", err)
	}
	if got := strings.TrimSpace(string(mod)); !strings.HasPrefix(strings.TrimPrefix(line, "go install "), got+"/cmd/phasegen@") {
		t.Errorf("the module is %s: the install line does not name it", got)
	}
	bin := t.TempDir()
	install := exec.Command("go", "install", ".")
	install.Env = append(os.Environ(), "GOBIN="+bin)
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("go install: %v\n%s", err, out)
	}
	out, err := exec.Command(filepath.Join(bin, "phasegen"), "version").Output()
	if err != nil || !strings.HasPrefix(string(out), "phasegen ") {
		t.Errorf("phasegen version: %q, %v", out, err)
	}
}
