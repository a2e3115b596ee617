package atomicfs

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReplaceFile(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	write := func(p, s string, mode os.FileMode) string {
		t.Helper()
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(s), mode); err != nil {
			t.Fatal(err)
		}
		return full
	}
	read := func(p string) string {
		t.Helper()
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}

	// Edited while phasegen ran: refused, the edit kept.
	f := write("envs/a.yaml", "edited meanwhile\n", 0o644)
	if err := ReplaceFile(root, f, []byte("as read\n"), []byte("new\n")); !errors.Is(err, ErrChanged) {
		t.Errorf("changed file: %v, want ErrChanged", err)
	}
	if read(f) != "edited meanwhile\n" {
		t.Error("the concurrent edit was erased")
	}
	// Unchanged: replaced, permissions kept.
	if err := os.Chmod(f, 0o640); err != nil {
		t.Fatal(err)
	}
	if err := ReplaceFile(root, f, []byte("edited meanwhile\n"), []byte("new\n")); err != nil || read(f) != "new\n" {
		t.Fatalf("replace: %v, %q", err, read(f))
	}
	if fi, _ := os.Stat(f); fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want 0640", fi.Mode().Perm())
	}
	// A link inside root: edited through, still a link.
	target := write("common/b.yaml", "b\n", 0o644)
	link := filepath.Join(root, "envs", "b.yaml")
	if err := os.Symlink("../common/b.yaml", link); err != nil {
		t.Fatal(err)
	}
	if err := ReplaceFile(root, link, []byte("b\n"), []byte("b2\n")); err != nil {
		t.Fatalf("through a link: %v", err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 || read(target) != "b2\n" {
		t.Errorf("the link was replaced by a file, or its target not edited (%v)", err)
	}
	// A link, or a linked directory, leading out of root: refused.
	if err := os.WriteFile(filepath.Join(outside, "c.yaml"), []byte("c\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "c.yaml"), filepath.Join(root, "envs", "c.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(root, "phases")); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"envs/c.yaml", "phases/c.yaml"} {
		err := ReplaceFile(root, filepath.Join(root, p), []byte("c\n"), []byte("x\n"))
		if err == nil || !strings.Contains(err.Error(), "outside") {
			t.Errorf("%s: %v, want a refusal", p, err)
		}
	}
	if read(filepath.Join(outside, "c.yaml")) != "c\n" {
		t.Error("a file outside root was written")
	}
	// Read-only: refused.
	ro := write("envs/ro.yaml", "ro\n", 0o444)
	if err := ReplaceFile(root, ro, []byte("ro\n"), []byte("x\n")); err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Errorf("read-only: %v", err)
	}
	if read(ro) != "ro\n" {
		t.Error("a read-only file was replaced")
	}
	if ents, _ := os.ReadDir(filepath.Join(root, "envs")); len(ents) != 4 {
		t.Errorf("%d entries in envs/, want 4 (no temporary file left)", len(ents))
	}
}
