package tune

import (
	"bytes"
	"fmt"
	"os"

	"github.com/coditect/phasegen/internal/config"
	"github.com/coditect/phasegen/internal/target/disk"
)

// WritePhase applies r's edits to phase p's file: in place, validated as a
// Phase before anything is written, then written to a temporary file beside
// it and renamed over it. It reports whether the file changed.
func WritePhase(p *config.Phase, r *Result) (bool, error) {
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
	cur, err := os.ReadFile(file)
	if err != nil {
		return false, err
	}
	if !bytes.Equal(cur, p.Source.Raw) {
		return false, fmt.Errorf("%s changed while phasegen ran; rerun tune", file)
	}
	return true, disk.WriteFile(file, out)
}
