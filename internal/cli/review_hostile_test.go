package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coditect/phasegen/internal/cli"
	"github.com/coditect/phasegen/internal/gittest"
)

// review refuses what it cannot resolve or read exactly: a revision git
// would resolve otherwise, a base revision whose templates/base is a
// symbolic link, an event about a plain issue, an event path that is a
// FIFO (read without blocking, refused).
func TestReviewRefusesWhatResolvesWrong(t *testing.T) {
	dir, _ := reviewRepo(t)
	for _, rev := range []string{"main@{upstream}", "HEAD@{5}", "main@{push}", "HEAD^{blob}"} {
		code, _, errOut := runCLI(t, nil, "review", "--base", rev)
		if code != cli.ExitError || !strings.Contains(errOut, `revision "`+rev+`"`) {
			t.Errorf("review --base %s: exit %d, want 1 naming it:\n%s", rev, code, errOut)
		}
	}

	// The base revision's templates/base is a link; the working tree's is
	// a directory again.
	base := filepath.Join(dir, "templates", "base")
	if err := os.Rename(base, filepath.Join(dir, "real-base")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../real-base", base); err != nil {
		t.Fatal(err)
	}
	gittest.At(t, dir, time.Now(), "add", "-A") // go-git's worktree refuses a linked directory
	gittest.At(t, dir, time.Now(), "commit", "-q", "-m", "base as a link")
	if err := os.Remove(base); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(dir, "real-base"), base); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runCLI(t, nil, "review", "--base", "HEAD")
	if code != cli.ExitError || !strings.Contains(errOut, "templates/base: is a symbolic link in the git tree") {
		t.Errorf("review of a base revision whose templates/base is a link: exit %d, want 1 saying so:\n%s", code, errOut)
	}

	env := map[string]string{"GITHUB_TOKEN": "t", "GITHUB_REPOSITORY": "o/r", "GITHUB_API_URL": "http://127.0.0.1:1/"}
	issue := filepath.Join(t.TempDir(), "issue.json")
	if err := os.WriteFile(issue, []byte(`{"action":"created","issue":{"number":7,"title":"a bug"},"comment":{"body":"hi"}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	env["GITHUB_EVENT_PATH"] = issue
	code, _, errOut = runCLI(t, env, "review", "--base", "HEAD~1", "--comment")
	if code != cli.ExitError || !strings.Contains(errOut, "issue #7, which is not a pull request") {
		t.Errorf("an issue_comment event on a plain issue: exit %d, want 1 refusing it:\n%s", code, errOut)
	}
	fifo := filepath.Join(t.TempDir(), "event.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	env["GITHUB_EVENT_PATH"] = fifo
	code, _, errOut = runCLI(t, env, "review", "--base", "HEAD~1", "--comment")
	if code != cli.ExitError || !strings.Contains(errOut, "is not a regular file") {
		t.Errorf("a FIFO as the event: exit %d, want 1 refusing it:\n%s", code, errOut)
	}
}
