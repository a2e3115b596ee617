//go:build unix

package adopt

import "syscall"

// syscallNonblock opens a file without waiting for a writer, should a FIFO
// take a regular file's place between the check and the open.
const syscallNonblock = syscall.O_NONBLOCK
