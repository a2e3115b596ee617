package promote

import (
	"fmt"
	"strings"

	"github.com/coditect/phasegen/internal/diff"
	"github.com/coditect/phasegen/internal/fileset"
	"github.com/coditect/phasegen/internal/gate"
)

// SplitObjects splits a kustomize-built YAML stream into one document per
// object, keyed "<Kind>/<name>" (with a numeric suffix if two objects share
// kind and name), so diffs of built manifests read, and are cut, per object.
func SplitObjects(built []byte) fileset.Set {
	out := fileset.Set{}
	for i, doc := range documents(string(built)) {
		key := fmt.Sprintf("document-%d", i+1)
		if m, err := gate.Objects([]byte(doc)); err == nil && len(m.Objects) == 1 {
			o := m.Objects[0]
			key = o.Kind + "/" + o.Name
		}
		k := key
		for n := 2; out[k] != nil; n++ {
			k = fmt.Sprintf("%s-%d", key, n)
		}
		out[k] = []byte(doc)
	}
	return out
}

// documents splits a YAML stream on its "---" separator lines, dropping
// empty documents.
func documents(s string) []string {
	var out []string
	var cur strings.Builder
	flush := func() {
		if strings.TrimSpace(cur.String()) != "" {
			out = append(out, cur.String())
		}
		cur.Reset()
	}
	for _, line := range strings.SplitAfter(s, "\n") {
		if strings.TrimRight(line, " \r\n") == "---" {
			flush()
			continue
		}
		cur.WriteString(line)
	}
	flush()
	return out
}

// BuiltDiff returns the unified diff, object by object, of two built YAML
// streams ("" when they are equal).
func BuiltDiff(from, to []byte) string {
	return diff.Join(diff.Files(SplitObjects(from), SplitObjects(to)))
}
