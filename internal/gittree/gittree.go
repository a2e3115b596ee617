// Package gittree reads a git repository's tree at a revision as an
// io/fs.FS, straight from git objects with go-git: no checkout, no
// temporary clone, nothing written. It also finds the revision a review
// compares with by default (the merge base with the current branch's
// upstream, else HEAD).
package gittree

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"

	"github.com/coditect/phasegen/internal/secret"
)

// ErrLink is wrapped by a path that leads through a symbolic link of the
// tree: the tree never follows one, and says so rather than report a
// missing file.
var ErrLink = errors.New("is a symbolic link in the git tree, which phasegen does not follow")

// Repo is a git repository opened from a directory inside its work tree.
type Repo struct {
	repo *gogit.Repository
	root string // the work tree's top, absolute

	idxOnce sync.Once
	idx     *statIndex // nil: no index could be read
}

// Open opens the repository whose work tree holds dir (dir or one of its
// parents has the .git).
func Open(dir string) (*Repo, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	r, err := gogit.PlainOpenWithOptions(abs, &gogit.PlainOpenOptions{DetectDotGit: true, EnableDotGitCommonDir: true})
	if err != nil {
		if errors.Is(err, gogit.ErrRepositoryNotExists) {
			return nil, fmt.Errorf("%s is not inside a git repository: review compares the working tree with a git revision", dir)
		}
		return nil, fmt.Errorf("opening the git repository of %s: %w", dir, err)
	}
	wt, err := r.Worktree()
	if err != nil {
		return nil, fmt.Errorf("opening the git repository of %s: %w", dir, err)
	}
	return &Repo{repo: r, root: wt.Filesystem.Root()}, nil
}

// Root returns the top of the work tree.
func (r *Repo) Root() string { return r.root }

// Rel returns dir (relative to the current directory or absolute) as a
// slash path relative to the work tree's top, or an error when dir is
// outside it.
func (r *Repo) Rel(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	root := r.root
	if real, err := filepath.EvalSymlinks(root); err == nil {
		root = real
	}
	rel, err := filepath.Rel(root, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("%s is outside the git repository at %s", dir, r.root)
	}
	return filepath.ToSlash(rel), nil
}

// FS returns the tree of commit c as a read-only file system. Paths are
// slash paths from the tree's top; symbolic links are reported as such
// (fs.ModeSymlink) and never followed, and a path through one is an error
// saying so (not a missing file); submodules are left out. A file over
// MaxFileSize is refused, its size read from the object header before
// anything of it is inflated.
func (r *Repo) FS(c *object.Commit) (fs.FS, error) {
	return treeOf(r.repo.Storer, c)
}

func treeOf(st storer.EncodedObjectStorer, c *object.Commit) (fs.FS, error) {
	t, err := c.Tree()
	if err != nil {
		return nil, fmt.Errorf("reading the tree of %s: %w", c.Hash, err)
	}
	return &treeFS{st: st, root: t, when: c.Committer.When, dirs: map[string]*object.Tree{".": t}}, nil
}

type treeFS struct {
	st   storer.EncodedObjectStorer
	root *object.Tree
	when time.Time

	mu   sync.Mutex
	dirs map[string]*object.Tree // directory trees read so far, by path
}

// dirTree returns the tree of directory p, reading each directory on the
// way once (go-git's Tree.FindEntry decodes every tree on the path again
// on every call: quadratic over a folder of a thousand files).
func (f *treeFS) dirTree(p string) (*object.Tree, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.dirTreeLocked(p)
}

func (f *treeFS) dirTreeLocked(p string) (*object.Tree, error) {
	if t, ok := f.dirs[p]; ok {
		return t, nil
	}
	parent, err := f.dirTreeLocked(path.Dir(p))
	if err != nil {
		return nil, err
	}
	e, err := parent.FindEntry(path.Base(p))
	if err != nil {
		return nil, fs.ErrNotExist
	}
	if e.Mode == filemode.Symlink {
		return nil, fmt.Errorf("%s: %w", p, ErrLink)
	}
	if e.Mode != filemode.Dir {
		return nil, errors.New("not a directory")
	}
	t, err := parent.Tree(e.Name)
	if err != nil {
		return nil, err
	}
	f.dirs[p] = t
	return t, nil
}

var (
	_ fs.ReadDirFS  = (*treeFS)(nil)
	_ fs.ReadFileFS = (*treeFS)(nil)
	_ fs.StatFS     = (*treeFS)(nil)
	_ fs.ReadLinkFS = (*treeFS)(nil)
)

// SameContent reports whether name is a regular file holding exactly data,
// by comparing git blob ids: the blob is not read.
func (f *treeFS) SameContent(name string, data []byte) bool {
	e, err := f.lookup("read", name)
	if err != nil || e == nil || !e.Mode.IsRegular() {
		return false
	}
	return plumbing.ComputeHash(plumbing.BlobObject, data) == e.Hash
}

// Lstat is Stat: the tree never follows a symbolic link.
func (f *treeFS) Lstat(name string) (fs.FileInfo, error) { return f.Stat(name) }

// ReadLink returns the target a symbolic link holds.
func (f *treeFS) ReadLink(name string) (string, error) {
	e, err := f.lookup("readlink", name)
	if err != nil {
		return "", err
	}
	if e == nil || e.Mode != filemode.Symlink {
		return "", &fs.PathError{Op: "readlink", Path: name, Err: fs.ErrInvalid}
	}
	b, err := f.ReadFile(name)
	return string(b), err
}

// lookup returns the entry at name ("." is the root, entry nil).
func (f *treeFS) lookup(op, name string) (*object.TreeEntry, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	if name == "." {
		return nil, nil
	}
	parent, err := f.dirTree(path.Dir(name))
	if errors.Is(err, ErrLink) {
		return nil, &fs.PathError{Op: op, Path: name, Err: err}
	}
	if err != nil {
		return nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
	}
	f.mu.Lock()
	e, err := parent.FindEntry(path.Base(name))
	f.mu.Unlock()
	if err != nil || e.Mode == filemode.Submodule {
		return nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
	}
	return e, nil
}

func (f *treeFS) tree(op, name string, e *object.TreeEntry) (*object.Tree, error) {
	if e == nil {
		return f.root, nil
	}
	if e.Mode != filemode.Dir {
		return nil, &fs.PathError{Op: op, Path: name, Err: errors.New("not a directory")}
	}
	t, err := f.dirTree(name)
	if err != nil {
		return nil, &fs.PathError{Op: op, Path: name, Err: err}
	}
	return t, nil
}

func (f *treeFS) Open(name string) (fs.File, error) {
	e, err := f.lookup("open", name)
	if err != nil {
		return nil, err
	}
	if e == nil || e.Mode == filemode.Dir {
		t, err := f.tree("open", name, e)
		if err != nil {
			return nil, err
		}
		es, err := f.entries(name, t)
		if err != nil {
			return nil, err
		}
		return &dir{info: f.info(path.Base(name), filemode.Dir, 0), entries: es}, nil
	}
	data, err := f.ReadFile(name)
	if err != nil {
		return nil, err
	}
	return &file{info: f.info(path.Base(name), e.Mode, int64(len(data))), data: data}, nil
}

func (f *treeFS) ReadFile(name string) ([]byte, error) {
	e, err := f.lookup("read", name)
	if err != nil {
		return nil, err
	}
	if e == nil || e.Mode == filemode.Dir {
		return nil, &fs.PathError{Op: "read", Path: name, Err: errors.New("is a directory")}
	}
	// go-git's object storage is read one blob at a time: its caches and
	// pack readers are not documented safe for concurrent use.
	f.mu.Lock()
	defer f.mu.Unlock()
	data, err := ReadBlob(f.st, e.Hash, MaxFileSize)
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: name, Err: err}
	}
	return data, nil
}

// size reads the blob's size from its object header, not its content.
func (f *treeFS) size(e *object.TreeEntry) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return BlobSize(f.st, e.Hash)
}

func (f *treeFS) ReadDir(name string) ([]fs.DirEntry, error) {
	e, err := f.lookup("readdir", name)
	if err != nil {
		return nil, err
	}
	t, err := f.tree("readdir", name, e)
	if err != nil {
		return nil, err
	}
	return f.entries(name, t)
}

func (f *treeFS) Stat(name string) (fs.FileInfo, error) {
	e, err := f.lookup("stat", name)
	if err != nil {
		return nil, err
	}
	if e == nil {
		return f.info(".", filemode.Dir, 0), nil
	}
	size := int64(0)
	if e.Mode != filemode.Dir {
		if size, err = f.size(e); err != nil {
			return nil, &fs.PathError{Op: "stat", Path: name, Err: err}
		}
	}
	return f.info(path.Base(name), e.Mode, size), nil
}

// entries lists the directory p (tree t) sorted by name (git sorts a
// directory as if its name ended in a slash; fs.ReadDir promises plain
// name order).
//
// A name holding control characters is an error (quoted): no name from a
// history reaches phasegen's output raw.
func (f *treeFS) entries(p string, t *object.Tree) ([]fs.DirEntry, error) {
	out := make([]fs.DirEntry, 0, len(t.Entries))
	for _, e := range t.Entries {
		if e.Mode == filemode.Submodule {
			continue
		}
		if secret.Escape(e.Name) != e.Name {
			return nil, &fs.PathError{Op: "readdir", Path: p, Err: fmt.Errorf("the tree holds a name with control characters, %q", e.Name)}
		}
		out = append(out, &dirEntry{fs: f, path: path.Join(p, e.Name), info: f.info(e.Name, e.Mode, 0)})
	}
	sortEntries(out)
	return out, nil
}

// dirEntry reads its size only when Info is called.
type dirEntry struct {
	fs   *treeFS
	path string
	info fileInfo
}

func (d *dirEntry) Name() string               { return d.info.name }
func (d *dirEntry) IsDir() bool                { return d.info.IsDir() }
func (d *dirEntry) Type() fs.FileMode          { return d.info.mode.Type() }
func (d *dirEntry) Info() (fs.FileInfo, error) { return d.fs.Stat(d.path) }

func sortEntries(es []fs.DirEntry) {
	sort.Slice(es, func(i, j int) bool { return es[i].Name() < es[j].Name() })
}

func (f *treeFS) info(name string, m filemode.FileMode, size int64) fileInfo {
	mode := fs.FileMode(0o444)
	switch m {
	case filemode.Dir:
		mode = fs.ModeDir | 0o555
	case filemode.Symlink:
		mode = fs.ModeSymlink | 0o777
	case filemode.Executable:
		mode = 0o555
	}
	return fileInfo{name: name, mode: mode, size: size, when: f.when}
}

type fileInfo struct {
	name string
	mode fs.FileMode
	size int64
	when time.Time
}

func (i fileInfo) Name() string       { return i.name }
func (i fileInfo) Size() int64        { return max(i.size, 0) }
func (i fileInfo) Mode() fs.FileMode  { return i.mode }
func (i fileInfo) ModTime() time.Time { return i.when }
func (i fileInfo) IsDir() bool        { return i.mode.IsDir() }
func (i fileInfo) Sys() any           { return nil }

type file struct {
	info fileInfo
	data []byte
	off  int
}

func (f *file) Stat() (fs.FileInfo, error) { return f.info, nil }
func (f *file) Close() error               { return nil }
func (f *file) Read(p []byte) (int, error) {
	if f.off >= len(f.data) {
		return 0, io.EOF
	}
	n := copy(p, f.data[f.off:])
	f.off += n
	return n, nil
}

type dir struct {
	info    fileInfo
	entries []fs.DirEntry
	off     int
}

func (d *dir) Stat() (fs.FileInfo, error) { return d.info, nil }
func (d *dir) Close() error               { return nil }
func (d *dir) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.info.name, Err: errors.New("is a directory")}
}

func (d *dir) ReadDir(n int) ([]fs.DirEntry, error) {
	rest := d.entries[d.off:]
	if n <= 0 {
		d.off = len(d.entries)
		return rest, nil
	}
	if len(rest) == 0 {
		return nil, io.EOF
	}
	n = min(n, len(rest))
	d.off += n
	return rest[:n], nil
}

// Commit is a commit of the repository (go-git's).
type Commit = object.Commit
