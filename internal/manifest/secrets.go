package manifest

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// MaskSecrets returns a built YAML stream with the value of every key of
// every Secret's data and stringData replaced by a mask holding a digest of
// the value: the keys stay, a changed value shows as a changed digest, and
// no value appears in any encoding (as Argo CD's diff hides them). The rest
// of the stream is kept byte for byte; masked reports whether any value was
// replaced. A document that is not YAML is kept as it is.
func MaskSecrets(stream []byte) (out []byte, masked bool) {
	if !bytes.Contains(stream, []byte("Secret")) {
		return stream, false
	}
	docs := documents(string(stream))
	var b strings.Builder
	b.Grow(len(stream))
	for i, doc := range docs {
		if i > 0 {
			b.WriteString("---\n")
		}
		m, ok := maskSecretDoc(doc)
		masked = masked || ok
		b.WriteString(m)
	}
	return []byte(b.String()), masked
}

// SecretMask is how a masked value begins.
const SecretMask = "<secret value hidden: sha256 "

// maskValue is the mask of one value: a digest of the key and the value
// (data decoded from base64 first, so the same value reads the same in
// data and stringData), cut to 12 hex digits.
func maskValue(key, value string, encoded bool) string {
	if encoded {
		if d, err := base64.StdEncoding.DecodeString(strings.TrimSpace(value)); err == nil {
			value = string(d)
		}
	}
	sum := sha256.Sum256([]byte(key + "\x00" + value))
	return strconv.Quote(SecretMask + hex.EncodeToString(sum[:6]) + ">")
}

// maskSecretDoc masks the values of one document when it is a Secret,
// rewriting only the lines that hold them.
func maskSecretDoc(doc string) (string, bool) {
	if !strings.Contains(doc, "Secret") {
		return doc, false
	}
	var root yaml.Node
	if err := yaml.Unmarshal([]byte(doc), &root); err != nil || len(root.Content) == 0 {
		return doc, false
	}
	top := root.Content[0]
	if top.Kind != yaml.MappingNode || scalarOf(top, "kind") != "Secret" {
		return doc, false
	}
	lines := strings.SplitAfter(doc, "\n")
	masked := false
	for _, field := range []string{"data", "stringData"} {
		m := valueOf(top, field)
		if m == nil || m.Kind != yaml.MappingNode {
			continue
		}
		for i := 0; i+1 < len(m.Content); i += 2 {
			k, v := m.Content[i], m.Content[i+1]
			if v.Kind != yaml.ScalarNode || v.Line < 1 || v.Line > len(lines) {
				continue
			}
			maskLines(lines, k, v, maskValue(k.Value, v.Value, field == "data"))
			masked = true
		}
	}
	return strings.Join(lines, ""), masked
}

// maskLines replaces value v (of key k) in lines: from its column to the
// end of its line, and the lines of a block or folded scalar below it.
func maskLines(lines []string, k, v *yaml.Node, mask string) {
	l := v.Line - 1
	line := strings.TrimRight(lines[l], "\n")
	col := v.Column - 1
	if col < 0 || col > len(line) {
		col = len(line)
	}
	lines[l] = line[:col] + mask + "\n"
	// A value continuing on the lines below is indented deeper than its
	// key (or is blank): those lines go with it.
	for j := l + 1; j < len(lines); j++ {
		t := strings.TrimRight(lines[j], "\n")
		if strings.TrimSpace(t) != "" && indent(t) <= k.Column-1 {
			break
		}
		lines[j] = ""
	}
}

func indent(s string) int { return len(s) - len(strings.TrimLeft(s, " ")) }

// valueOf is the value of key in mapping n, or nil.
func valueOf(n *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func scalarOf(n *yaml.Node, key string) string {
	if v := valueOf(n, key); v != nil && v.Kind == yaml.ScalarNode {
		return v.Value
	}
	return ""
}
