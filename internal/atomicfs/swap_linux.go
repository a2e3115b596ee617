//go:build linux

package atomicfs

import "golang.org/x/sys/unix"

// exchange atomically swaps the directories a and b (renameat2 with
// RENAME_EXCHANGE). It fails on file systems that lack it; callers fall back
// to two renames.
func exchange(a, b string) error {
	return unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE)
}
