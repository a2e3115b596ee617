package gittree_test

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/coditect/phasegen/internal/gittest"
	"github.com/coditect/phasegen/internal/gittree"
)

// A templates/base that is a symbolic link in the tree is an error saying
// so, not a missing base (which would silently mean the embedded one).
func TestFSPathThroughSymlink(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{"real/kustomization.yaml": "k: 1\n"})
	if err := os.MkdirAll(filepath.Join(dir, "templates"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../real", filepath.Join(dir, "templates", "base")); err != nil {
		t.Fatal(err)
	}
	r, err := gogit.PlainInit(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	commit(t, r, "link")
	repo, err := gittree.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	c, err := repo.Resolve("HEAD")
	if err != nil {
		t.Fatal(err)
	}
	fsys, err := repo.FS(c)
	if err != nil {
		t.Fatal(err)
	}
	_, err = fs.Stat(fsys, "templates/base/kustomization.yaml")
	if !errors.Is(err, gittree.ErrLink) || errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Stat through a link: %v, want ErrLink", err)
	}
	if !strings.Contains(err.Error(), "templates/base: is a symbolic link") {
		t.Errorf("the error does not name the link: %v", err)
	}
	if _, err := fs.Stat(fsys, "templates/none/k.yaml"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a missing path: %v, want ErrNotExist", err)
	}
}

// A 1.5 GB blob is refused by Open and ReadFile from its header; Stat
// gives its size without inflating it.
func TestFSBlobBomb(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{"README.md": "x\n"})
	r, err := gogit.PlainInit(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	id, err := gittest.ZeroBlob(1_500_000_000, filepath.Join(dir, ".git"))
	if err != nil {
		t.Fatal(err)
	}
	tree := putTree(t, r, []object.TreeEntry{{Name: "big.yaml", Mode: filemode.Regular, Hash: plumbing.NewHash(id)}})
	c := &object.Commit{TreeHash: tree, Message: "bomb\n"}
	fsys, err := repoFS(t, dir, r, c)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := fs.Stat(fsys, "big.yaml")
	if err != nil || fi.Size() != 1_500_000_000 {
		t.Fatalf("Stat: %v, %v", fi, err)
	}
	if _, err := fs.ReadFile(fsys, "big.yaml"); !errors.Is(err, gittree.ErrTooLarge) {
		t.Errorf("ReadFile: %v, want ErrTooLarge", err)
	}
	if _, err := fsys.Open("big.yaml"); !errors.Is(err, gittree.ErrTooLarge) || !strings.Contains(err.Error(), "1500000000 bytes") {
		t.Errorf("Open: %v, want ErrTooLarge with the size", err)
	}
}

// A directory of 100,000 entries in git's order (which is not name order:
// "a-" sorts before "a/" in git, after "a" as a name) is listed in name
// order; BenchmarkReadDirLarge times it.
func TestReadDirLargeSorted(t *testing.T) {
	fsys := largeDirFS(t, 100_000)
	es, err := fs.ReadDir(fsys, "d")
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 100_000 {
		t.Fatalf("%d entries", len(es))
	}
	for i := 1; i < len(es); i++ {
		if es[i-1].Name() >= es[i].Name() {
			t.Fatalf("entries %d and %d out of order: %q, %q", i-1, i, es[i-1].Name(), es[i].Name())
		}
	}
}

func BenchmarkReadDirLarge(b *testing.B) {
	fsys := largeDirFS(b, 100_000)
	for b.Loop() {
		if _, err := fs.ReadDir(fsys, "d"); err != nil {
			b.Fatal(err)
		}
	}
}

// largeDirFS is a tree whose directory d holds n files, half of them named
// so that git's order and name order differ, in reverse name order.
func largeDirFS(t testing.TB, n int) fs.FS {
	t.Helper()
	dir := t.TempDir()
	r, err := gogit.PlainInit(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	blob := putBlob(t, r, "x\n")
	entries := make([]object.TreeEntry, 0, n)
	for i := n - 1; i >= 0; i-- {
		entries = append(entries, object.TreeEntry{Name: fmt.Sprintf("f%06d", i), Mode: filemode.Regular, Hash: blob})
	}
	sub := putRawTree(t, r, entries) // unsorted: go-git's encoder refuses that, a hostile history need not
	top := putTree(t, r, []object.TreeEntry{{Name: "d", Mode: filemode.Dir, Hash: sub}})
	fsys, err := repoFS(t, dir, r, &object.Commit{TreeHash: top, Message: "large\n"})
	if err != nil {
		t.Fatal(err)
	}
	return fsys
}

func putBlob(t testing.TB, r *gogit.Repository, s string) plumbing.Hash {
	t.Helper()
	o := r.Storer.NewEncodedObject()
	o.SetType(plumbing.BlobObject)
	w, err := o.Writer()
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(s))
	w.Close()
	h, err := r.Storer.SetEncodedObject(o)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func putTree(t testing.TB, r *gogit.Repository, entries []object.TreeEntry) plumbing.Hash {
	t.Helper()
	o := r.Storer.NewEncodedObject()
	if err := (&object.Tree{Entries: entries}).Encode(o); err != nil {
		t.Fatal(err)
	}
	h, err := r.Storer.SetEncodedObject(o)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// putRawTree stores entries as a tree object in the order given.
func putRawTree(t testing.TB, r *gogit.Repository, entries []object.TreeEntry) plumbing.Hash {
	t.Helper()
	o := r.Storer.NewEncodedObject()
	o.SetType(plumbing.TreeObject)
	w, err := o.Writer()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		fmt.Fprintf(w, "%o %s\x00", uint32(e.Mode), e.Name)
		w.Write(e.Hash[:])
	}
	w.Close()
	h, err := r.Storer.SetEncodedObject(o)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// repoFS stores c and returns its tree as the repository at dir reads it.
func repoFS(t testing.TB, dir string, r *gogit.Repository, c *object.Commit) (fs.FS, error) {
	t.Helper()
	o := r.Storer.NewEncodedObject()
	if err := c.Encode(o); err != nil {
		return nil, err
	}
	h, err := r.Storer.SetEncodedObject(o)
	if err != nil {
		return nil, err
	}
	repo, err := gittree.Open(dir)
	if err != nil {
		return nil, err
	}
	cc, err := repo.Resolve(h.String())
	if err != nil {
		return nil, err
	}
	return repo.FS(cc)
}

// A name with control characters in a history is refused, quoted: it never
// reaches the output raw (a newline would forge a line of it).
func TestReadDirRefusesControlCharacters(t *testing.T) {
	dir := t.TempDir()
	r, err := gogit.PlainInit(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	blob := putBlob(t, r, "x\n")
	sub := putRawTree(t, r, []object.TreeEntry{{Name: "a.yaml\nphasegen: forged.yaml", Mode: filemode.Regular, Hash: blob}})
	top := putTree(t, r, []object.TreeEntry{{Name: "environments", Mode: filemode.Dir, Hash: sub}})
	fsys, err := repoFS(t, dir, r, &object.Commit{TreeHash: top, Message: "evil\n"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = fs.ReadDir(fsys, "environments")
	if err == nil || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), `"a.yaml\nphasegen: forged.yaml"`) {
		t.Fatalf("ReadDir: %v, want a quoted refusal", err)
	}
}
