// Package gittest runs the git binary for tests that need real history with
// chosen dates (a promotion merged 1 h or 30 h ago), as a person's git would
// write it: merge commits, first-parent history, committer dates.
package gittest

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// At runs git with args in dir, its author and committer dates set to when
// (GIT_AUTHOR_DATE, GIT_COMMITTER_DATE), a fixed identity and no user or
// system configuration, and returns its trimmed output. A failure ends the
// test with git's output.
func At(t testing.TB, dir string, when time.Time, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	date := when.Format(time.RFC3339)
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_DATE="+date, "GIT_COMMITTER_DATE="+date,
		"GIT_AUTHOR_NAME=merger", "GIT_AUTHOR_EMAIL=merger@example.com",
		"GIT_COMMITTER_NAME=merger", "GIT_COMMITTER_EMAIL=merger@example.com",
		"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_SYSTEM=/dev/null")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}
