package promote

import (
	"bytes"
	"fmt"

	"go.yaml.in/yaml/v3"

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

// EditPhase returns raw with the value of spec.phase replaced by phase.
func EditPhase(raw []byte, phase string) ([]byte, error) {
	n, err := phaseNode(raw)
	if err != nil {
		return nil, err
	}
	start, err := yamledit.Offset(raw, n.Line, n.Column)
	if err != nil {
		return nil, err
	}
	end, err := scalarEnd(raw, start, n)
	if err != nil {
		return nil, err
	}
	val := phase
	switch n.Style {
	case yaml.DoubleQuotedStyle:
		val = `"` + phase + `"`
	case yaml.SingleQuotedStyle:
		val = `'` + phase + `'`
	}
	out := make([]byte, 0, len(raw)+len(val))
	out = append(out, raw[:start]...)
	out = append(out, val...)
	out = append(out, raw[end:]...)
	// Check the edit says what it should and nothing else moved.
	check, err := phaseNode(out)
	if err != nil {
		return nil, fmt.Errorf("editing spec.phase in place broke the document: %w", err)
	}
	if check.Value != phase {
		return nil, fmt.Errorf("editing spec.phase in place went wrong: it reads %q, want %q", check.Value, phase)
	}
	return out, nil
}

// phaseNode returns the scalar node of spec.phase.
func phaseNode(raw []byte) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("not YAML: %w", err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, fmt.Errorf("empty document")
	}
	spec := child(doc.Content[0], "spec")
	if spec == nil {
		return nil, fmt.Errorf("no spec")
	}
	p := child(spec, "phase")
	if p == nil || p.Kind != yaml.ScalarNode {
		return nil, fmt.Errorf("no spec.phase scalar")
	}
	if p.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return nil, fmt.Errorf("spec.phase is a block scalar; write it on one line")
	}
	return p, nil
}

func child(m *yaml.Node, key string) *yaml.Node {
	if m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// scalarEnd returns the byte offset just past the scalar that starts at
// start: the closing quote of a quoted one, the value's own length for a
// plain one (a one-line plain scalar is written as its value).
func scalarEnd(raw []byte, start int, n *yaml.Node) (int, error) {
	switch n.Style {
	case yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle:
		q := raw[start]
		i := bytes.IndexByte(raw[start+1:], q)
		if i < 0 || bytes.IndexByte(raw[start+1:start+1+i], '\n') >= 0 {
			return 0, fmt.Errorf("spec.phase: unterminated quoted value")
		}
		return start + 1 + i + 1, nil
	}
	end := start + len(n.Value)
	if end > len(raw) || string(raw[start:end]) != n.Value {
		return 0, fmt.Errorf("spec.phase is not written as its plain value at line %d", n.Line)
	}
	return end, nil
}
