package manifest

import (
	"fmt"
	"strings"

	"github.com/coditect/phasegen/internal/diff"
	"github.com/coditect/phasegen/internal/fileset"
)

// Split splits a kustomize-built YAML stream into one document per
// object, keyed "<Kind>/<name>" (with a numeric suffix if two objects share
// kind and name), so diffs of built manifests read, and are cut, per object.
// A document whose top-level kind and metadata.name lines are plain words,
// as kustomize prints them, is keyed from those lines; any other is decoded
// (Decode), which costs a thousand times more.
func Split(built []byte) fileset.Set {
	out := fileset.Set{}
	for i, doc := range documents(string(built)) {
		key := fmt.Sprintf("document-%d", i+1)
		if kind, name, ok := plainKindName(doc); ok {
			key = kind + "/" + name
		} else if m, err := Decode([]byte(doc), Lenient); err == nil && len(m.Objects) == 1 {
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

// plainKindName reads kind and metadata.name from a document's lines when
// both are plain words YAML reads as strings: "kind: X" at the top level,
// "  name: Y" directly under a top-level "metadata:". ok is false when
// either is missing, repeated, quoted, flow-styled or could be read as
// something other than a string; the caller decodes the document then.
func plainKindName(doc string) (kind, name string, ok bool) {
	inMeta, kinds, names := false, 0, 0
	for _, line := range strings.Split(doc, "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		if line[0] != ' ' && line[0] != '-' {
			inMeta = false
			switch {
			case strings.HasPrefix(line, "kind:"):
				kind, kinds = strings.TrimPrefix(line, "kind:"), kinds+1
			case line == "metadata:":
				inMeta = true
			case strings.HasPrefix(line, "metadata:"):
				return "", "", false // flow style
			}
			continue
		}
		if inMeta && strings.HasPrefix(line, "  name:") {
			name, names = strings.TrimPrefix(line, "  name:"), names+1
		}
	}
	if kinds != 1 || names != 1 {
		return "", "", false
	}
	kind, okK := plainWord(kind)
	name, okN := plainWord(name)
	return kind, name, okK && okN
}

// plainWord trims the single space after the colon and accepts a word of
// letters, digits, '-', '.' and '_' that starts with a letter and is not
// one YAML reads as a boolean or null (y, n, yes, no, on, off, true,
// false, null in any case).
func plainWord(v string) (string, bool) {
	if !strings.HasPrefix(v, " ") {
		return "", false
	}
	v = v[1:]
	if v == "" {
		return "", false
	}
	for i, r := range v {
		letter := (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')
		if i == 0 && !letter {
			return "", false
		}
		if !letter && !(r >= '0' && r <= '9') && r != '-' && r != '.' && r != '_' {
			return "", false
		}
	}
	switch strings.ToLower(v) {
	case "y", "n", "yes", "no", "on", "off", "true", "false", "null":
		return "", false
	}
	return v, true
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
// streams ("" when they are equal), Secret values masked (MaskSecrets).
func BuiltDiff(from, to []byte) string {
	return diff.Join(SecretsMaskedDiff(from, to))
}

// SecretsMaskedDiff is the per-object diff of two built YAML streams with
// every Secret value masked on both sides (MaskSecrets): what any diff
// phasegen shows is made of.
func SecretsMaskedDiff(from, to []byte) []diff.FileDiff {
	from, _ = MaskSecrets(from)
	to, _ = MaskSecrets(to)
	return diff.Files(Split(from), Split(to))
}
