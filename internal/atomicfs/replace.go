package atomicfs

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// ErrChanged is wrapped by ReplaceFile when the file no longer holds what
// was read from it.
var ErrChanged = errors.New("changed while phasegen ran")

// ReplaceFile replaces the content of file, which must still be old, with
// data, atomically (WriteFile). A symbolic link is edited through to its
// target, which must lie under root (the repository or configuration
// directory): a link, or a linked directory, that leads out of it is
// refused, as is a read-only file. The content is checked again just before
// the rename, so an edit made while phasegen ran is never erased.
func ReplaceFile(root, file string, old, data []byte) error {
	real, mode, err := Editable(root, file)
	if err != nil {
		return err
	}
	check := func() error {
		cur, err := os.ReadFile(real)
		if err != nil {
			return fmt.Errorf("writing %s: %w", file, err)
		}
		if !bytes.Equal(cur, old) {
			return fmt.Errorf("writing %s: the file %w; rerun", file, ErrChanged)
		}
		return nil
	}
	if err := check(); err != nil {
		return err
	}
	return replaceWith(real, data, mode, check)
}

// Editable checks that ReplaceFile may write file under root, and returns
// the file it would write (file, or the target of its symbolic links) and
// its permissions: a regular file, not read-only, under root.
func Editable(root, file string) (string, os.FileMode, error) {
	abs, err := filepath.Abs(file)
	if err != nil {
		return "", 0, fmt.Errorf("writing %s: %w", file, err)
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return "", 0, fmt.Errorf("writing %s: %w", file, err)
	}
	top, err := realPath(root)
	if err != nil {
		return "", 0, fmt.Errorf("writing %s: %w", file, err)
	}
	if !within(real, top) {
		return "", 0, fmt.Errorf("writing %s: it leads, through a symbolic link, to %s, outside %s; refusing to write there", file, real, root)
	}
	fi, err := os.Stat(real)
	if err != nil {
		return "", 0, fmt.Errorf("writing %s: %w", file, err)
	}
	if !fi.Mode().IsRegular() {
		return "", 0, fmt.Errorf("writing %s: not a regular file", file)
	}
	if fi.Mode().Perm()&0o200 == 0 {
		return "", 0, fmt.Errorf("writing %s: the file is read-only; refusing to replace it", file)
	}
	return real, fi.Mode().Perm(), nil
}
