package promtest

import "syscall"

// sysProcAttr has the kernel kill Prometheus when the test binary dies
// without calling Stop (a panic, a test timeout), so no server outlives it.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
