package manifest

import (
	"fmt"
	"regexp"
)

// phaseLine is the phase annotation's line in a built object.
var phaseLine = regexp.MustCompile(`(?m)^(\s+)phasegen\.dev/phase: ("?)([A-Za-z0-9-]+)("?)$`)

// FoldPhase returns from with every phase annotation at fromPhase set to
// toPhase, and how many there were: a diff of the result against the
// proposed build then shows only what the phase really changes, the
// annotation said once (Folded) instead of on every object.
func FoldPhase(from []byte, fromPhase, toPhase string) ([]byte, int) {
	if fromPhase == toPhase || fromPhase == "" {
		return from, 0
	}
	n := 0
	out := phaseLine.ReplaceAllFunc(from, func(m []byte) []byte {
		sub := phaseLine.FindSubmatch(m)
		if string(sub[3]) != fromPhase {
			return m
		}
		n++
		return []byte(string(sub[1]) + "phasegen.dev/phase: " + string(sub[2]) + toPhase + string(sub[4]))
	})
	return out, n
}

// Folded is the one line that stands for the folded annotations.
func Folded(fromPhase, toPhase string, n int) string {
	return fmt.Sprintf("phasegen.dev/phase: %s → %s on every object (%d); the diff leaves it out", fromPhase, toPhase, n)
}
