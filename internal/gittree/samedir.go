package gittree

import (
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/index"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// SameDir reports whether folder name of fsys (a tree of r.FS) holds
// exactly what folder disk of the work tree holds: the same names at every
// level, each file of the same content (git blob ids compared: no blob is
// read), no link, submodule or empty folder on either side. A file the git
// index records with its current size and modification time (older than
// the index itself, as git status trusts it) has the index's blob id;
// any other is read and hashed. Whatever it cannot read, and an fsys that
// is no tree, counts as different, so a caller that skips work on true
// never skips a change git status would show.
func (r *Repo) SameDir(fsys fs.FS, name, disk string) bool {
	f, ok := fsys.(*treeFS)
	return ok && f.sameDir(name, disk, r.index())
}

// statIndex is what the git index records of the work tree's files.
type statIndex struct {
	entries map[string]*index.Entry // by repository path
	written time.Time               // the index file's modification time
}

// index reads the git index once; nil when it cannot.
func (r *Repo) index() *statIndex {
	r.idxOnce.Do(func() {
		st, ok := r.repo.Storer.(*filesystem.Storage)
		if !ok {
			return
		}
		fi, err := os.Stat(filepath.Join(st.Filesystem().Root(), "index"))
		if err != nil {
			return
		}
		idx, err := r.repo.Storer.Index()
		if err != nil {
			return
		}
		si := &statIndex{entries: make(map[string]*index.Entry, len(idx.Entries)), written: fi.ModTime()}
		for _, e := range idx.Entries {
			si.entries[e.Name] = e
		}
		r.idx = si
	})
	return r.idx
}

// known returns the blob id the index records for the file at p (a
// repository path) as fi describes it, if it may be trusted.
func (si *statIndex) known(p string, fi fs.FileInfo) (plumbing.Hash, bool) {
	if si == nil {
		return plumbing.ZeroHash, false
	}
	e := si.entries[p]
	if e == nil || int64(e.Size) != fi.Size() || !e.ModifiedAt.Equal(fi.ModTime()) || !fi.ModTime().Before(si.written) {
		return plumbing.ZeroHash, false
	}
	return e.Hash, true
}

func (f *treeFS) sameDir(name, disk string, si *statIndex) bool {
	t, err := f.dirTree(name)
	if err != nil {
		return false
	}
	onDisk, err := os.ReadDir(disk)
	if err != nil || len(onDisk) != len(t.Entries) || len(onDisk) == 0 {
		return false
	}
	for _, e := range t.Entries {
		p := filepath.Join(disk, e.Name)
		fi, err := os.Lstat(p)
		if err != nil {
			return false
		}
		switch e.Mode {
		case filemode.Dir:
			if !fi.IsDir() || !f.sameDir(path.Join(name, e.Name), p, si) {
				return false
			}
		case filemode.Regular, filemode.Executable, filemode.Deprecated:
			if !fi.Mode().IsRegular() || fi.Size() > MaxFileSize {
				return false
			}
			if h, ok := si.known(path.Join(name, e.Name), fi); ok {
				if h != e.Hash {
					return false
				}
				continue
			}
			data, err := os.ReadFile(p)
			if err != nil || plumbing.ComputeHash(plumbing.BlobObject, data) != e.Hash {
				return false
			}
		default:
			return false
		}
	}
	return true
}
