package tune

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/coditect/phasegen/internal/atomicfs"
	"github.com/coditect/phasegen/internal/config"
)

// WritePhase applies r's edits to phase p's file: in place, validated as a
// Phase before anything is written, then replaced as atomicfs.ReplaceFile does
// under root (only while the file still holds what was read, through a
// symbolic link that stays under root, never when read-only). It reports
// whether the file changed.
func WritePhase(root string, p *config.Phase, r *Result) (bool, error) {
	file := p.Source.File
	if len(r.Edits) == 0 {
		return false, nil
	}
	out, err := EditFile(p.Source.Raw, r.Edits)
	if err != nil {
		return false, fmt.Errorf("%s: %w", file, err)
	}
	if _, problems := config.Parse(file, out, config.KindPhase); len(problems) > 0 {
		return false, fmt.Errorf("%s: the recommended values do not validate: %w", file, problems)
	}
	if bytes.Equal(out, p.Source.Raw) {
		return false, nil
	}
	if err := atomicfs.ReplaceFile(root, file, p.Source.Raw, out); err != nil {
		if errors.Is(err, atomicfs.ErrChanged) {
			return false, fmt.Errorf("%s changed while phasegen ran; rerun tune", file)
		}
		return false, err
	}
	return true, nil
}
