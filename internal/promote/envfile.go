package promote

import (
	"github.com/coditect/phasegen/internal/yamledit"
)

// EditPhase returns raw with the value of spec.phase replaced by phase, in
// place and in its quoting (yamledit.Replace): the document must already
// have spec.phase, and nothing else changes.
func EditPhase(raw []byte, phase string) ([]byte, error) {
	return yamledit.Replace(raw, "spec.phase", phase)
}
