package cli

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coditect/phasegen/internal/atomicfs"
)

// TestRenderRefusesToReplaceWhatItDidNotGenerate: --overlays naming the
// repository, the configs, the templates, a directory inside them or inside
// .git, one holding the repository, or a directory of someone else's files
// exits 1 and changes nothing anywhere.
func TestRenderRefusesToReplaceWhatItDidNotGenerate(t *testing.T) {
	w := newWorkspace(t, filepath.Join("..", "testdata", "example", "environments"))
	if err := os.MkdirAll(w.path(".git/refs"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(w.path(".git/HEAD"), []byte("ref: refs/heads/main\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	w.mustRun("render")
	if err := os.MkdirAll(w.path("docs"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(w.path("docs/README.md"), []byte("# ours\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A generated tree with one hand-written file added.
	copyDir(t, w.path("overlays"), w.path("mixed"))
	if err := os.WriteFile(w.path("mixed/production/notes.yaml"), []byte("mine: true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	before := snapshotDir(t, filepath.Dir(w.root))
	cases := map[string]string{
		".":                        "holds the git repository",
		"..":                       "holds the git repository",
		"environments":             "is the config directory",
		"environments/phases":      "lies inside the config directory",
		"templates":                "is the templates directory",
		"templates/base":           "lies inside the templates directory",
		".git":                     "inside a .git directory",
		".git/refs":                "inside a .git directory",
		"docs":                     "holds files phasegen did not generate (README.md;",
		"mixed":                    "holds files phasegen did not generate (production/notes.yaml;",
		"environments/../overlays": "",
	}
	for dir, want := range cases {
		a := NewTestApp(t, nil)
		stderr := a.Err
		code := a.Run("render", "--config", w.path("environments"),
			"--templates", w.path("templates"), "--overlays", w.path(dir))
		if want == "" {
			if code != ExitOK {
				t.Errorf("--overlays %s: exit %d, want 0\n%s", dir, code, stderr.String())
			}
			continue
		}
		if code != ExitError || !strings.Contains(stderr.String(), want) || !strings.Contains(stderr.String(), "refusing to replace it") {
			t.Errorf("--overlays %s: exit %d, want 1 saying %q:\n%s", dir, code, want, stderr.String())
		}
	}
	after := snapshotDir(t, filepath.Dir(w.root))
	if len(before) != len(after) {
		t.Errorf("%d files before, %d after", len(before), len(after))
	}
	for p, b := range before {
		if !bytes.Equal(after[p], b) {
			t.Errorf("%s changed", p)
		}
	}
}

func TestCheckReplaceableSymlinks(t *testing.T) {
	root := t.TempDir()
	cfg := filepath.Join(root, "environments")
	if err := os.MkdirAll(cfg, 0o755); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(root, "out")
	if err := os.Symlink(cfg, link); err != nil {
		t.Fatal(err)
	}
	err := atomicfs.CheckReplaceable(link, map[string]string{"config directory": cfg})
	if !errors.Is(err, atomicfs.ErrNotGenerated) || !strings.Contains(err.Error(), "is the config directory") {
		t.Fatalf("a link to the configs: %v", err)
	}
	if err := atomicfs.CheckReplaceable(filepath.Join(root, "overlays"), map[string]string{"config directory": cfg}); err != nil {
		t.Fatalf("a fresh overlays directory: %v", err)
	}
}

// snapshotDir reads every regular file under root.
func snapshotDir(t *testing.T, root string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err != nil || !fi.Mode().IsRegular() {
			return err
		}
		b, err := os.ReadFile(p)
		out[p] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
