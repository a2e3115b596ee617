package promote

import (
	"bytes"
	"fmt"

	"github.com/coditect/phasegen/internal/atomicfs"
	"github.com/coditect/phasegen/internal/yamledit"
)

// SetPhase records phase as spec.phase of the Environment document in file
// (whose current bytes are raw, as config.Source.Raw holds them), changing
// nothing else: the scalar is replaced in place at the line and column the
// YAML parser reports, so comments, quoting and layout stay. The file is
// replaced as atomicfs.ReplaceFile does under root: only while it still holds
// raw, through a symbolic link that stays under root, never when read-only.
// It reports whether the file changed.
func SetPhase(root, file string, raw []byte, phase string) (bool, error) {
	out, err := EditPhase(raw, phase)
	if err != nil {
		return false, fmt.Errorf("%s: %w", file, err)
	}
	if bytes.Equal(out, raw) {
		return false, nil
	}
	if err := atomicfs.ReplaceFile(root, file, raw, out); err != nil {
		return false, err
	}
	return true, nil
}

// EditPhase returns raw with the value of spec.phase replaced by phase, in
// place and in its quoting (yamledit.Replace): the document must already
// have spec.phase, and nothing else changes.
func EditPhase(raw []byte, phase string) ([]byte, error) {
	return yamledit.Replace(raw, "spec.phase", phase)
}
