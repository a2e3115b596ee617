package atomicfs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// ErrLocked is returned by TryLock when another process holds the lock.
var ErrLocked = errors.New("another phasegen is writing it")

// Lock waits for, then takes, the write lock of dir: an advisory lock on
// dir's parent directory, so that two processes rendering into the same
// checkout take turns (read, render, write) instead of one clearing the
// other's temporary tree. The returned func releases it.
func Lock(dir string) (func(), error) { return lock(dir, true) }

// TryLock is Lock without waiting: it wraps ErrLocked when the lock is held.
func TryLock(dir string) (func(), error) { return lock(dir, false) }

func lock(dir string, wait bool) (func(), error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("locking %q: %w", dir, err)
	}
	parent := filepath.Dir(abs)
	if err := os.MkdirAll(parent, DirMode); err != nil {
		return nil, fmt.Errorf("locking %q: %w", dir, err)
	}
	f, err := os.Open(parent)
	if err != nil {
		return nil, fmt.Errorf("locking %q: %w", dir, err)
	}
	if err := flock(f, wait); err != nil {
		f.Close()
		return nil, fmt.Errorf("locking %q: %w", dir, err)
	}
	return func() { f.Close() }, nil // closing the descriptor releases the lock
}
