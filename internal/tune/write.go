package tune

import (
	"bytes"
	"fmt"

	"github.com/coditect/phasegen/internal/config"
)

// Rewrite returns phase p's file with r's edits applied in place, validated
// as a Phase; nil when nothing changes. Writing it is the caller's.
func Rewrite(p *config.Phase, r *Result) ([]byte, error) {
	file := p.Source.File
	if len(r.Edits) == 0 {
		return nil, nil
	}
	out, err := EditFile(p.Source.Raw, r.Edits)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if _, problems := config.Parse(file, out, config.KindPhase); len(problems) > 0 {
		return nil, fmt.Errorf("%s: the recommended values do not validate: %w", file, problems)
	}
	if bytes.Equal(out, p.Source.Raw) {
		return nil, nil
	}
	return out, nil
}
