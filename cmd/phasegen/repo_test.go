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
	outside := regexp.MustCompile(`\.\./shared|DESIGN\.md|scaling-analysis`)
	link := regexp.MustCompile(`\]\(([^)#:]+)(#[^)]*)?\)`)
	for _, f := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if f == "cmd/phasegen/repo_test.go" {
			continue
		}
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
