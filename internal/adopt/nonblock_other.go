//go:build !unix

package adopt

const syscallNonblock = 0
