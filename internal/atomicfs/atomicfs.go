// Package atomicfs writes files and file trees atomically: a generated file
// set replaces a directory whole (render's overlays), built beside it and
// swapped in by renames, so an interruption leaves either the old tree or the
// new tree whole and the next write cleans what is left; a file is replaced
// by a temporary file renamed over it, only while it still holds what was
// read. It also refuses to replace what phasegen did not generate, and
// serialises writers of one directory.
package atomicfs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/coditect/phasegen/internal/fileset"
)

// File and directory permissions of a written tree.
const (
	FileMode os.FileMode = 0o644
	DirMode  os.FileMode = 0o755
)

// Steps of a write at which the test hook can stop it.
const (
	stepBuilt    = "built"     // new tree complete beside dir, dir untouched
	stepOldMoved = "old-moved" // two-rename swap: old tree moved to the backup name
	stepSwapped  = "swapped"   // new tree at dir, old tree not yet removed
)

// Write makes dir hold exactly files (stale files and directories are
// removed). It refuses invalid paths and a dir that is a symbolic link.
// Writers of one dir in different processes serialise with Lock around
// their read-render-write.
func Write(dir string, files fileset.Set) error {
	return writer{}.write(dir, files)
}

// writer carries the test hooks of Write.
type writer struct {
	// fault, when set, is called at each step; an error stops the write at
	// once, leaving everything as an interrupted process would.
	fault func(step string) error
	// noExchange forces the two-rename swap instead of an atomic exchange.
	noExchange bool
}

func (w writer) hit(step string) error {
	if w.fault == nil {
		return nil
	}
	return w.fault(step)
}

func (w writer) write(dir string, files fileset.Set) (err error) {
	if err := checkPaths(files); err != nil {
		return fmt.Errorf("writing %q: %w", dir, err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("writing %q: %w", dir, err)
	}
	parent, base := filepath.Dir(abs), filepath.Base(abs)
	if abs == parent {
		return fmt.Errorf("writing %q: refusing to replace a file system root", dir)
	}
	if err := os.MkdirAll(parent, DirMode); err != nil {
		return fmt.Errorf("writing %q: %w", dir, err)
	}
	if err := recoverLeftovers(parent, base); err != nil {
		return fmt.Errorf("writing %q: %w", dir, err)
	}
	exists, err := isDir(abs)
	if err != nil {
		return fmt.Errorf("writing %q: %w", dir, err)
	}

	tmp, err := os.MkdirTemp(parent, tmpPrefix(base))
	if err != nil {
		return fmt.Errorf("writing %q: %w", dir, err)
	}
	interrupted := false
	defer func() {
		if err != nil && !interrupted {
			os.RemoveAll(tmp)
		}
	}()
	if err := build(tmp, files); err != nil {
		return fmt.Errorf("writing %q: %w", dir, err)
	}
	if err := w.hit(stepBuilt); err != nil {
		interrupted = true
		return err
	}
	if !exists {
		if err := os.Rename(tmp, abs); err != nil {
			return fmt.Errorf("writing %q: %w", dir, err)
		}
		return syncDir(parent)
	}

	if !w.noExchange && exchange(tmp, abs) == nil {
		// tmp now holds the old tree.
		if err := w.hit(stepSwapped); err != nil {
			interrupted = true
			return err
		}
		if err := os.RemoveAll(tmp); err != nil {
			return fmt.Errorf("removing old tree of %q: %w", dir, err)
		}
		return syncDir(parent)
	}

	backup, err := reserveName(parent, oldPrefix(base))
	if err != nil {
		return fmt.Errorf("writing %q: %w", dir, err)
	}
	if err := os.Rename(abs, backup); err != nil {
		return fmt.Errorf("writing %q: moving old tree aside: %w", dir, err)
	}
	if err := w.hit(stepOldMoved); err != nil {
		interrupted = true
		return err
	}
	if err := os.Rename(tmp, abs); err != nil {
		if rerr := os.Rename(backup, abs); rerr != nil {
			return fmt.Errorf("writing %q: %w (old tree left at %q: %v)", dir, err, backup, rerr)
		}
		return fmt.Errorf("writing %q: %w", dir, err)
	}
	if err := w.hit(stepSwapped); err != nil {
		interrupted = true
		return err
	}
	if err := os.RemoveAll(backup); err != nil {
		return fmt.Errorf("removing old tree of %q: %w", dir, err)
	}
	return syncDir(parent)
}

func tmpPrefix(base string) string { return "." + base + ".tmp-" }
func oldPrefix(base string) string { return "." + base + ".old-" }

// reserveName returns a fresh unused path in parent starting with prefix.
func reserveName(parent, prefix string) (string, error) {
	p, err := os.MkdirTemp(parent, prefix)
	if err != nil {
		return "", err
	}
	return p, os.Remove(p)
}

// recoverLeftovers undoes an interrupted write of parent/base: when the
// directory is missing but a backup of it exists, the backup goes back in
// place; then every temporary tree and backup is removed.
func recoverLeftovers(parent, base string) error {
	ents, err := os.ReadDir(parent)
	if err != nil {
		return err
	}
	var tmps, olds []string
	for _, e := range ents {
		switch name := e.Name(); {
		case strings.HasPrefix(name, tmpPrefix(base)):
			tmps = append(tmps, filepath.Join(parent, name))
		case strings.HasPrefix(name, oldPrefix(base)):
			olds = append(olds, filepath.Join(parent, name))
		}
	}
	dir := filepath.Join(parent, base)
	if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) && len(olds) > 0 {
		// Only one write at a time leaves a backup; should there be more,
		// the newest is the last tree that was in place.
		sort.Slice(olds, func(i, j int) bool { return modTime(olds[i]) < modTime(olds[j]) })
		last := olds[len(olds)-1]
		if err := os.Rename(last, dir); err != nil {
			return fmt.Errorf("restoring %q: %w", last, err)
		}
		olds = olds[:len(olds)-1]
	}
	for _, p := range append(tmps, olds...) {
		if err := os.RemoveAll(p); err != nil {
			return fmt.Errorf("removing leftover %q: %w", p, err)
		}
	}
	return nil
}

func modTime(p string) int64 {
	fi, err := os.Lstat(p)
	if err != nil {
		return 0
	}
	return fi.ModTime().UnixNano()
}

// isDir reports whether p is an existing directory; it fails when p is a
// symbolic link or another kind of file.
func isDir(p string) (bool, error) {
	fi, err := os.Lstat(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	case err != nil:
		return false, err
	case fi.Mode()&fs.ModeSymlink != 0:
		return false, fmt.Errorf("refusing: %q is a symbolic link", p)
	case !fi.IsDir():
		return false, fmt.Errorf("%q exists and is not a directory", p)
	}
	return true, nil
}

// checkPaths rejects invalid paths and a path that is both a file and a
// directory of another.
func checkPaths(files fileset.Set) error {
	for p := range files {
		if p == "." || !fileset.ValidPath(p) {
			return fmt.Errorf("invalid path %q", p)
		}
		for d := path.Dir(p); d != "."; d = path.Dir(d) {
			if _, ok := files[d]; ok {
				return fmt.Errorf("%q is both a file and the directory of %q", d, p)
			}
		}
	}
	return nil
}

// build writes files under the fresh directory root.
func build(root string, files fileset.Set) error {
	if err := os.Chmod(root, DirMode); err != nil {
		return err
	}
	made := map[string]bool{".": true}
	for _, p := range files.Paths() {
		if err := mkdirs(root, path.Dir(p), made); err != nil {
			return err
		}
		if err := writeFile(filepath.Join(root, filepath.FromSlash(p)), files[p]); err != nil {
			return fmt.Errorf("writing %q: %w", p, err)
		}
	}
	return syncDir(root)
}

// mkdirs creates dir and its parents under root; each must be new, so
// nothing can lead outside root.
func mkdirs(root, dir string, made map[string]bool) error {
	if made[dir] {
		return nil
	}
	if err := mkdirs(root, path.Dir(dir), made); err != nil {
		return err
	}
	full := filepath.Join(root, filepath.FromSlash(dir))
	if err := os.Mkdir(full, DirMode); err != nil {
		return fmt.Errorf("creating %q: %w", dir, err)
	}
	if err := os.Chmod(full, DirMode); err != nil {
		return err
	}
	made[dir] = true
	return nil
}

// writeFile creates p, which must not exist (so never through a symbolic
// link), and syncs it.
func writeFile(p string, b []byte) error {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, FileMode)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Chmod(FileMode)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// syncDir flushes a directory's entries, so renames in it are durable.
func syncDir(p string) error {
	d, err := os.Open(p)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return fmt.Errorf("syncing %q: %w", p, err)
	}
	return nil
}

// Read returns the regular files under dir, with slash-separated paths
// relative to it. A symbolic link is followed only when it leads to a
// regular file inside dir; dir itself must not be a link. A missing dir is
// an error wrapping fs.ErrNotExist.
func Read(dir string) (fileset.Set, error) {
	ok, err := isDir(dir)
	if err != nil {
		return nil, fmt.Errorf("reading %q: %w", dir, err)
	}
	if !ok {
		return nil, fmt.Errorf("reading %q: %w", dir, fs.ErrNotExist)
	}
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, fmt.Errorf("reading %q: %w", dir, err)
	}
	out := fileset.Set{}
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		switch t := d.Type(); {
		case d.IsDir():
			return nil
		case t.IsRegular():
		case t&fs.ModeSymlink != 0:
			if err := insideFile(root, p); err != nil {
				return fmt.Errorf("%q: %w", rel, err)
			}
		default:
			return fmt.Errorf("%q is not a regular file", rel)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		out[rel] = b
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading %q: %w", dir, err)
	}
	return out, nil
}

// insideFile checks that the link p resolves to a regular file under root.
func insideFile(root, p string) error {
	target, err := filepath.EvalSymlinks(p)
	if err != nil {
		return fmt.Errorf("resolving symbolic link: %w", err)
	}
	rel, err := filepath.Rel(root, target)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
		return fmt.Errorf("symbolic link points outside the tree, to %q", target)
	}
	fi, err := os.Stat(target)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("symbolic link points to %q, not a regular file", target)
	}
	return nil
}

// WriteFile replaces file with data atomically: a temporary file in the same
// directory, with file's permissions (FileMode for a new file), synced and
// renamed over it. On any error file is unchanged and the temporary file is
// gone.
func WriteFile(file string, data []byte) error {
	mode := FileMode
	if fi, err := os.Stat(file); err == nil {
		mode = fi.Mode().Perm()
	}
	return replaceWith(file, data, mode, nil)
}

// writeFile writes data to a temporary file beside file and renames it over
// file; before the rename, check (when not nil) may still refuse.
func replaceWith(file string, data []byte, mode os.FileMode, check func() error) error {
	tmp, err := os.CreateTemp(filepath.Dir(file), "."+filepath.Base(file)+".*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", file, err)
	}
	name := tmp.Name()
	_, werr := tmp.Write(data)
	if werr == nil {
		werr = tmp.Chmod(mode)
	}
	if werr == nil {
		werr = tmp.Sync()
	}
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil && check != nil {
		if err := check(); err != nil {
			os.Remove(name)
			return err
		}
	}
	if werr == nil {
		werr = os.Rename(name, file)
	}
	if werr != nil {
		os.Remove(name)
		return fmt.Errorf("writing %s: %w", file, werr)
	}
	return nil
}
