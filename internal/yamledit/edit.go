package yamledit

import (
	"bytes"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Edit sets one field of a YAML document: Path is dotted
// ("spec.resources.requests.cpu"), Value a string or an int.
type Edit struct {
	Path  string
	Value any
}

// Apply returns raw with every edit applied and nothing else changed:
// scalars are replaced in place at the line and column the YAML parser
// reports (their quoting kept), and a field the document does not have is
// inserted into its mapping (block or flow) at the mapping's indentation,
// spec.resources before spec.alerts. Comments, order and layout stay. The
// result is checked: decoded, it equals the input decoded with the edits
// applied.
func Apply(raw []byte, edits []Edit) ([]byte, error) {
	return apply(raw, edits, true)
}

// Replace is Apply of one edit that must find its field: a scalar already
// written in the document (nothing is inserted).
func Replace(raw []byte, path string, value any) ([]byte, error) {
	return apply(raw, []Edit{{Path: path, Value: value}}, false)
}

func apply(raw []byte, edits []Edit, insert bool) ([]byte, error) {
	out := raw
	for _, e := range edits {
		var err error
		if out, err = editOne(out, e, insert); err != nil {
			return nil, fmt.Errorf("%s: %w", e.Path, err)
		}
	}
	if err := Verify(raw, out, edits); err != nil {
		return nil, err
	}
	return out, nil
}

func parseRoot(raw []byte) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("not YAML: %w", err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("not a YAML mapping")
	}
	return doc.Content[0], nil
}

func child(m *yaml.Node, key string) (k, v *yaml.Node) {
	if m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i], m.Content[i+1]
		}
	}
	return nil, nil
}

// render writes v as a YAML scalar: ints plain, strings plain unless YAML
// would read them as something else (a number, a bool, null).
func render(v any) string {
	switch x := v.(type) {
	case int:
		return strconv.Itoa(x)
	case int32:
		return strconv.Itoa(int(x))
	case string:
		var n yaml.Node
		if err := yaml.Unmarshal([]byte(x), &n); err == nil && len(n.Content) == 1 &&
			n.Content[0].Kind == yaml.ScalarNode && n.Content[0].Tag == "!!str" && n.Content[0].Value == x {
			return x
		}
		return strconv.Quote(x)
	}
	return fmt.Sprint(v)
}

func editOne(raw []byte, e Edit, canInsert bool) ([]byte, error) {
	root, err := parseRoot(raw)
	if err != nil {
		return nil, err
	}
	keys := strings.Split(e.Path, ".")
	parent := root
	for i, k := range keys {
		_, v := child(parent, k)
		if v == nil {
			if parent.Kind != yaml.MappingNode {
				return nil, fmt.Errorf("%s is not a mapping", strings.Join(keys[:i], "."))
			}
			if !canInsert {
				return nil, fmt.Errorf("not in the document")
			}
			return insert(raw, parent, keys[i:], render(e.Value), i == 1 && keys[0] == "spec")
		}
		if i == len(keys)-1 {
			if v.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("is not a scalar")
			}
			return replaceScalar(raw, v, e.Value)
		}
		if v.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("%s is not a mapping (line %d)", strings.Join(keys[:i+1], "."), v.Line)
		}
		parent = v
	}
	return raw, nil
}

// replaceScalar puts v where scalar n is written, in n's quoting style.
func replaceScalar(raw []byte, n *yaml.Node, v any) ([]byte, error) {
	if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return nil, fmt.Errorf("is a block scalar at line %d; write it on one line", n.Line)
	}
	start, err := Offset(raw, n.Line, n.Column)
	if err != nil {
		return nil, err
	}
	var end int
	val := render(v)
	switch n.Style {
	case yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle:
		q := raw[start]
		i := start + 1
		for ; i < len(raw) && raw[i] != '\n'; i++ {
			if q == '"' && raw[i] == '\\' {
				i++
				continue
			}
			if raw[i] == q {
				if q == '\'' && i+1 < len(raw) && raw[i+1] == '\'' {
					i++
					continue
				}
				break
			}
		}
		if i >= len(raw) || raw[i] != q {
			return nil, fmt.Errorf("unterminated quoted value at line %d", n.Line)
		}
		end = i + 1
		s := fmt.Sprint(v)
		if q == '"' {
			val = strconv.Quote(s)
		} else {
			val = "'" + strings.ReplaceAll(s, "'", "''") + "'"
		}
	default:
		end = start + len(n.Value)
		if end > len(raw) || string(raw[start:end]) != n.Value {
			return nil, fmt.Errorf("is not written as its plain value at line %d", n.Line)
		}
	}
	return splice(raw, start, end, val), nil
}

func splice(raw []byte, start, end int, s string) []byte {
	out := make([]byte, 0, len(raw)+len(s))
	out = append(out, raw[:start]...)
	out = append(out, s...)
	return append(out, raw[end:]...)
}

// insert adds keys (nested, the last holding val) to mapping m.
func insert(raw []byte, m *yaml.Node, keys []string, val string, inSpec bool) ([]byte, error) {
	if m.Style&yaml.FlowStyle != 0 || len(m.Content) == 0 {
		return insertFlow(raw, m, keys, val)
	}
	indent := m.Content[0].Column - 1
	var b strings.Builder
	for i, k := range keys {
		b.WriteString(strings.Repeat(" ", indent+2*i))
		b.WriteString(k)
		b.WriteString(":")
		if i == len(keys)-1 {
			b.WriteString(" " + val)
		}
		b.WriteString("\n")
	}
	lines := splitLines(raw)
	at := -1 // the line index (0-based) to insert before
	if inSpec && keys[0] == "resources" {
		if k, _ := child(m, "alerts"); k != nil {
			at = k.Line - 1
			for at > 0 && isComment(lines[at-1]) && leading(lines[at-1]) == indent {
				at--
			}
		}
	}
	if at < 0 {
		last := m.Content[0].Line - 1
		for i := last + 1; i < len(lines); i++ {
			l := lines[i]
			if blank(l) || isComment(l) {
				continue
			}
			if leading(l) < indent || strings.HasPrefix(string(l), "---") || strings.HasPrefix(string(l), "...") {
				break
			}
			last = i
		}
		at = last + 1
	}
	off := 0
	for i := 0; i < at && i < len(lines); i++ {
		off += len(lines[i])
	}
	prefix := ""
	if off > 0 && raw[off-1] != '\n' {
		prefix = "\n"
	}
	return splice(raw, off, off, prefix+b.String()), nil
}

// insertFlow adds keys to a flow mapping {…} before its closing brace.
func insertFlow(raw []byte, m *yaml.Node, keys []string, val string) ([]byte, error) {
	start, err := Offset(raw, m.Line, m.Column)
	if err != nil {
		return nil, err
	}
	if start >= len(raw) || raw[start] != '{' {
		return nil, fmt.Errorf("the mapping at line %d is empty; write its fields or remove it", m.Line)
	}
	end, err := closingBrace(raw, start)
	if err != nil {
		return nil, err
	}
	text := ""
	for i, k := range keys {
		text += k + ": "
		if i < len(keys)-1 {
			text += "{"
		}
	}
	text += val + strings.Repeat("}", len(keys)-1)
	if len(m.Content) > 0 {
		text = ", " + text
	}
	// Before the closing brace, after any spaces that precede it.
	at := end
	for at > start+1 && raw[at-1] == ' ' {
		at--
	}
	return splice(raw, at, at, text), nil
}

func closingBrace(raw []byte, start int) (int, error) {
	depth := 0
	for i := start; i < len(raw); i++ {
		switch c := raw[i]; c {
		case '"', '\'':
			for j := i + 1; j < len(raw); j++ {
				if c == '"' && raw[j] == '\\' {
					j++
					continue
				}
				if raw[j] == c {
					i = j
					break
				}
			}
		case '#':
			if i > 0 && (raw[i-1] == ' ' || raw[i-1] == '\t') {
				for i < len(raw) && raw[i] != '\n' {
					i++
				}
			}
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return i, nil
			}
		}
	}
	return 0, fmt.Errorf("unterminated flow mapping")
}

func splitLines(raw []byte) [][]byte { return bytes.SplitAfter(raw, []byte("\n")) }

func blank(l []byte) bool { return len(bytes.TrimSpace(l)) == 0 }

func isComment(l []byte) bool { return bytes.HasPrefix(bytes.TrimSpace(l), []byte("#")) }

func leading(l []byte) int { return len(l) - len(bytes.TrimLeft(l, " ")) }

// Verify decodes before and after and checks after is before with the
// edits and nothing else.
func Verify(before, after []byte, edits []Edit) error {
	var b, a map[string]any
	if err := yaml.Unmarshal(before, &b); err != nil {
		return fmt.Errorf("not YAML: %w", err)
	}
	if err := yaml.Unmarshal(after, &a); err != nil {
		return fmt.Errorf("editing in place went wrong: the result is not YAML: %w", err)
	}
	for _, e := range edits {
		m := b
		keys := strings.Split(e.Path, ".")
		for _, k := range keys[:len(keys)-1] {
			next, ok := m[k].(map[string]any)
			if !ok {
				next = map[string]any{}
				m[k] = next
			}
			m = next
		}
		v := e.Value
		if i, ok := v.(int32); ok {
			v = int(i)
		}
		m[keys[len(keys)-1]] = v
	}
	if !reflect.DeepEqual(a, b) {
		return fmt.Errorf("editing in place went wrong: the result holds more changes than the edits")
	}
	return nil
}
