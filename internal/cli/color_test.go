package cli_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/coditect/phasegen/internal/cli"
)

// TestDiffColour: diff colours its output on a terminal only, and never
// with NO_COLOR set (https://no-color.org).
func TestDiffColour(t *testing.T) {
	src, err := filepath.Abs(filepath.Join("..", "testdata", "example"))
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())
	for _, d := range []string{"environments", "templates/base", "overlays"} {
		if err := copyTree(filepath.Join(src, d), d); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		terminal bool
		env      map[string]string
		colour   bool
	}{{false, nil, false}, {true, nil, true}, {true, map[string]string{"NO_COLOR": "1"}, false}} {
		a := cli.NewTestApp(t, c.env)
		a.IsTerminal = c.terminal
		if code := a.Run("diff", "production", "--to", "full-mvp"); code != cli.ExitOK {
			t.Fatalf("diff: exit %d\n%s", code, a.Output())
		}
		if got := strings.Contains(a.Out.String(), "\x1b["); got != c.colour {
			t.Errorf("terminal %v, env %v: escapes in the output %v, want %v", c.terminal, c.env, got, c.colour)
		}
	}
}
