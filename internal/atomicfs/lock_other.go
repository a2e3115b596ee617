//go:build !unix

package atomicfs

import "os"

// flock is a no-op where advisory locks are not available: concurrent
// renders of one checkout are not serialised there.
func flock(f *os.File, wait bool) error { return nil }
