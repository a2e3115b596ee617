package review

import (
	"crypto/sha256"
	"encoding/binary"
	"maps"
	"slices"

	"github.com/coditect/phasegen/internal/config"
	"github.com/coditect/phasegen/internal/workload"
)

// inputsOf is a digest of what rendering env at phase p reads besides the
// inputs every environment shares: its file, the files of p and of every
// phase p extends, the files of the components its overlay includes, and
// which other environment on its cluster deploys the base's cluster-scoped
// objects (its overlay then leaves them out).
func (s Side) inputsOf(e *config.Environment, p *config.Phase) [sha256.Size]byte {
	h := sha256.New()
	put := func(b []byte) {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	put(e.Source.Raw)
	seen := map[string]bool{}
	for q := p; q != nil && !seen[q.Metadata.Name]; {
		seen[q.Metadata.Name] = true
		put(q.Source.Raw)
		if q.Spec.Extends == "" {
			break
		}
		q, _ = s.Config.Phase(q.Spec.Extends)
	}
	for _, c := range e.ComponentsAt(p) {
		put([]byte(c))
		files := s.Base.Components[c]
		for _, f := range slices.Sorted(maps.Keys(files)) {
			put([]byte(f))
			put(files[f])
		}
	}
	put([]byte(workload.ClusterScopedOwner(e, s.Config.Environments)))
	var out [sha256.Size]byte
	h.Sum(out[:0])
	return out
}
