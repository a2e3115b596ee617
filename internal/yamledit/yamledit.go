// Package yamledit locates parsed YAML nodes in their file's bytes, so edits
// of users' files (promote's spec.phase, tune's resources) splice new values
// in place and keep comments, quoting and layout.
package yamledit

import (
	"bytes"
	"fmt"
	"unicode/utf8"
)

// Offset converts a 1-based line and column (in characters), as yaml.v3
// reports a node's position, to a byte offset in raw.
func Offset(raw []byte, line, col int) (int, error) {
	off := 0
	for l := 1; l < line; l++ {
		i := bytes.IndexByte(raw[off:], '\n')
		if i < 0 {
			return 0, fmt.Errorf("line %d is past the end", line)
		}
		off += i + 1
	}
	for c := 1; c < col; c++ {
		if off >= len(raw) || raw[off] == '\n' {
			return 0, fmt.Errorf("column %d is past the end of line %d", col, line)
		}
		_, size := utf8.DecodeRune(raw[off:])
		off += size
	}
	return off, nil
}
