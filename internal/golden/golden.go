// Package golden compares what a test produced with a golden file, and
// rewrites the file instead when the test binary runs with -update (go
// test ./internal/PKG -update), for a change reviewed in the diff.
package golden

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/coditect/phasegen/internal/diff"
	"github.com/coditect/phasegen/internal/fileset"
)

var update = flag.Bool("update", false, "rewrite the golden files with what the tests produce")

// Updating reports whether the run rewrites golden files.
func Updating() bool { return *update }

// Assert checks that got equals the file at path (relative to the test's
// package), showing the difference when it does not; with -update it
// writes got there instead.
func Assert(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update creates it)", err)
	}
	if !bytes.Equal(got, want) {
		d := diff.Join(diff.Files(fileset.Set{path: want}, fileset.Set{path: got}))
		t.Errorf("%s differs from what the test produced (go test -update rewrites it, after review):\n%s", path, d)
	}
}

// AssertWrites runs each writer and asserts what it wrote against the file
// of its name under dir: the outputs of one result in several formats.
func AssertWrites(t testing.TB, dir string, writers map[string]func(*bytes.Buffer) error) {
	t.Helper()
	for name, write := range writers {
		var b bytes.Buffer
		if err := write(&b); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		Assert(t, filepath.Join(dir, name), b.Bytes())
	}
}
