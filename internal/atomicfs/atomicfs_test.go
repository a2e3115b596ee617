package atomicfs

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/coditect/phasegen/internal/fileset"
)

var (
	oldSet = fileset.Set{
		"kustomization.yaml":   []byte("old: 1\n"),
		"patches/stale.yaml":   []byte("stale\n"),
		"deep/er/gone.yaml":    []byte("gone\n"),
		"argocd/app.yaml":      []byte("app: old\n"),
		"no-final-newline.txt": []byte("x"),
	}
	newSet = fileset.Set{
		"kustomization.yaml":   []byte("new: 2\n"),
		"argocd/app.yaml":      []byte("app: new\n"),
		"patches/hpa.yaml":     []byte("kind: HorizontalPodAutoscaler\n"),
		"no-final-newline.txt": []byte("y"),
		"empty":                {},
	}
)

func mustRead(t *testing.T, dir string) fileset.Set {
	t.Helper()
	got, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func assertTree(t *testing.T, dir string, want fileset.Set) {
	t.Helper()
	got := mustRead(t, dir)
	if !fileset.Equal(got, want) {
		t.Fatalf("%s holds %v, want %v", dir, got.Paths(), want.Paths())
	}
}

// siblings lists the names in dir's parent.
func siblings(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(filepath.Dir(dir))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	sort.Strings(out)
	return out
}

func TestWriteAndReplace(t *testing.T) {
	parent := t.TempDir()
	if err := os.WriteFile(filepath.Join(parent, "neighbour.txt"), []byte("n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(parent, "overlays", "production")
	if err := Write(dir, oldSet); err != nil {
		t.Fatal(err)
	}
	assertTree(t, dir, oldSet)
	if err := Write(dir, newSet); err != nil {
		t.Fatal(err)
	}
	assertTree(t, dir, newSet)
	if _, err := os.Stat(filepath.Join(dir, "deep")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("stale directory kept: %v", err)
	}
	if got := siblings(t, dir); strings.Join(got, ",") != "production" {
		t.Errorf("leftovers beside dir: %v", got)
	}
	if b, err := os.ReadFile(filepath.Join(parent, "neighbour.txt")); err != nil || string(b) != "n" {
		t.Errorf("neighbour touched: %q, %v", b, err)
	}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		want := FileMode
		if d.IsDir() {
			want = DirMode | fs.ModeDir
		}
		if fi.Mode() != want {
			t.Errorf("%s mode %v, want %v", p, fi.Mode(), want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Writing the same set again is harmless; an empty set empties dir.
	if err := Write(dir, newSet); err != nil {
		t.Fatal(err)
	}
	assertTree(t, dir, newSet)
	if err := Write(dir, fileset.Set{}); err != nil {
		t.Fatal(err)
	}
	assertTree(t, dir, fileset.Set{})
}

func TestInterruptedWrite(t *testing.T) {
	for _, noExchange := range []bool{false, true} {
		for _, step := range []string{stepBuilt, stepOldMoved, stepSwapped} {
			if !noExchange && step == stepOldMoved {
				continue // the atomic exchange has no such step
			}
			name := step
			if noExchange {
				name += "/renames"
			}
			t.Run(name, func(t *testing.T) {
				dir := filepath.Join(t.TempDir(), "overlays")
				if err := Write(dir, oldSet); err != nil {
					t.Fatal(err)
				}
				stop := errors.New("interrupted")
				hit := false
				w := writer{noExchange: noExchange, fault: func(s string) error {
					if s == step {
						hit = true
						return stop
					}
					return nil
				}}
				if err := w.write(dir, newSet); !errors.Is(err, stop) || !hit {
					t.Fatalf("write = %v, hook hit %v", err, hit)
				}
				switch step {
				case stepBuilt:
					assertTree(t, dir, oldSet)
				case stepSwapped:
					assertTree(t, dir, newSet)
					if !noExchange {
						// The atomic exchange left the old tree under the
						// temporary name.
						var tmp string
						for _, n := range siblings(t, dir) {
							if strings.HasPrefix(n, tmpPrefix("overlays")) {
								tmp = filepath.Join(filepath.Dir(dir), n)
							}
						}
						if tmp == "" {
							t.Fatalf("exchange not used: %v", siblings(t, dir))
						}
						assertTree(t, tmp, oldSet)
					}
				case stepOldMoved:
					// dir is absent for a moment; the old tree is whole
					// under the backup name.
					var backup string
					for _, n := range siblings(t, dir) {
						if strings.HasPrefix(n, oldPrefix("overlays")) {
							backup = filepath.Join(filepath.Dir(dir), n)
						}
					}
					if backup == "" {
						t.Fatalf("no backup among %v", siblings(t, dir))
					}
					assertTree(t, backup, oldSet)
				}
				if len(siblings(t, dir)) < 2 {
					t.Errorf("no leftover to clean: %v", siblings(t, dir))
				}
				// A rerun cleans the leftovers and finishes the job.
				if err := Write(dir, newSet); err != nil {
					t.Fatal(err)
				}
				assertTree(t, dir, newSet)
				if got := siblings(t, dir); strings.Join(got, ",") != "overlays" {
					t.Errorf("leftovers after rerun: %v", got)
				}
			})
		}
	}
}

func TestRecoverRestoresOldTree(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "overlays")
	if err := Write(dir, oldSet); err != nil {
		t.Fatal(err)
	}
	stop := errors.New("interrupted")
	w := writer{noExchange: true, fault: func(s string) error {
		if s == stepOldMoved {
			return stop
		}
		return nil
	}}
	if err := w.write(dir, newSet); !errors.Is(err, stop) {
		t.Fatal(err)
	}
	// dir is missing now; a rerun interrupted after its build finds the
	// old tree back in place.
	if _, err := Read(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Read = %v, want missing dir", err)
	}
	w.fault = func(s string) error {
		if s == stepBuilt {
			return stop
		}
		return nil
	}
	if err := w.write(dir, newSet); !errors.Is(err, stop) {
		t.Fatal(err)
	}
	assertTree(t, dir, oldSet)
}

func TestWriteRefuses(t *testing.T) {
	for name, c := range map[string]struct {
		files fileset.Set
		want  string
	}{
		"dotdot":        {fileset.Set{"../escape": nil}, `invalid path "../escape"`},
		"absolute":      {fileset.Set{"/etc/passwd": nil}, `invalid path "/etc/passwd"`},
		"unclean":       {fileset.Set{"a/./b": nil}, `invalid path "a/./b"`},
		"dot":           {fileset.Set{".": nil}, `invalid path "."`},
		"backslash":     {fileset.Set{`a\b`: nil}, `invalid path "a\\b"`},
		"file and dir":  {fileset.Set{"a": nil, "a/b": nil}, `"a" is both a file and the directory of "a/b"`},
		"deep conflict": {fileset.Set{"a/b": nil, "a/b/c/d": nil}, `"a/b" is both a file and the directory of "a/b/c/d"`},
	} {
		t.Run(name, func(t *testing.T) {
			parent := t.TempDir()
			dir := filepath.Join(parent, "out")
			if err := Write(dir, c.files); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Write: %v, want %q", err, c.want)
			}
			if got := siblings(t, dir); len(got) != 0 {
				t.Errorf("left behind: %v", got)
			}
		})
	}
}

func TestWriteRefusesSymlinkDir(t *testing.T) {
	parent := t.TempDir()
	elsewhere := filepath.Join(t.TempDir(), "elsewhere")
	if err := Write(elsewhere, oldSet); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(parent, "overlays")
	if err := os.Symlink(elsewhere, dir); err != nil {
		t.Fatal(err)
	}
	if err := Write(dir, newSet); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Fatalf("Write error = %v, want refusal", err)
	}
	assertTree(t, elsewhere, oldSet)
	if _, err := Read(dir); err == nil || !strings.Contains(err.Error(), "is a symbolic link") {
		t.Errorf("Read through a symlinked dir: %v", err)
	}
	// A regular file in the way is refused too.
	file := filepath.Join(parent, "file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Write(file, newSet); err == nil || !strings.Contains(err.Error(), "exists and is not a directory") {
		t.Errorf("Write over a regular file: %v", err)
	}
}

func TestRead(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tree")
	if err := Write(dir, oldSet); err != nil {
		t.Fatal(err)
	}
	// A link to a file inside the tree reads as that file.
	if err := os.Symlink("../kustomization.yaml", filepath.Join(dir, "patches", "link.yaml")); err != nil {
		t.Fatal(err)
	}
	got := mustRead(t, dir)
	if string(got["patches/link.yaml"]) != "old: 1\n" || len(got) != len(oldSet)+1 {
		t.Errorf("Read = %v", got.Paths())
	}
	// A link leading outside is rejected.
	outside := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(outside, []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "leak.yaml")); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(dir); err == nil || !strings.Contains(err.Error(), "outside") {
		t.Errorf("Read error = %v, want link outside", err)
	}
	if _, err := Read(filepath.Join(t.TempDir(), "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Read(missing) error = %v, want ErrNotExist", err)
	}
}
