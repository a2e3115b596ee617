package atomicfs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWriteFile: a new file gets FileMode, an existing one keeps its mode,
// and a failed write leaves the directory as it was.
func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "phase.yaml")
	if err := WriteFile(p, []byte("a: 1\n")); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != FileMode {
		t.Fatalf("new file: %v, %v", fi, err)
	}
	if err := os.Chmod(p, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(p, []byte("a: 2\n")); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	fi, _ := os.Stat(p)
	if err != nil || string(b) != "a: 2\n" || fi.Mode().Perm() != 0o600 {
		t.Fatalf("rewritten file: %q %v %v", b, fi.Mode(), err)
	}
	// A directory where the file should be: the rename fails.
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(sub, []byte("x")); err == nil || !strings.Contains(err.Error(), "writing "+sub+": rename") {
		t.Fatalf("writing over a directory: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("a failed write left %d entries, want 2: %v", len(entries), entries)
	}
}
