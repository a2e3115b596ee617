//go:build !linux

package atomicfs

import "errors"

// exchange is not available here: callers fall back to two renames.
func exchange(a, b string) error {
	return errors.New("atomic exchange not supported")
}
