package kbuild

import (
	"strconv"
	"unicode/utf8"

	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
)

// nodeObject converts a resource's node to what decoding it with yaml.v3
// and passing the result through jsonRoundTrip gives, without yaml.v3's
// reflective decoder, for the nodes a Kubernetes object is made of: string
// keys, and string, boolean, null and decimal integer scalars. For anything
// else (other tags, aliases, duplicate keys, invalid UTF-8, numbers in
// other notations) it reports false and the caller decodes.
func nodeObject(n *kyaml.Node) (map[string]any, bool) {
	if n.Kind != kyaml.MappingNode {
		return nil, false
	}
	v, ok := nodeValue(n)
	if !ok {
		return nil, false
	}
	return v.(map[string]any), true
}

func nodeValue(n *kyaml.Node) (any, bool) {
	switch n.Kind {
	case kyaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != kyaml.ScalarNode || k.ShortTag() != kyaml.NodeTagString || !utf8.ValidString(k.Value) {
				return nil, false
			}
			if _, dup := m[k.Value]; dup {
				return nil, false
			}
			v, ok := nodeValue(n.Content[i+1])
			if !ok {
				return nil, false
			}
			m[k.Value] = v
		}
		return m, true
	case kyaml.SequenceNode:
		s := make([]any, len(n.Content))
		for i, c := range n.Content {
			v, ok := nodeValue(c)
			if !ok {
				return nil, false
			}
			s[i] = v
		}
		return s, true
	case kyaml.ScalarNode:
		return scalarValue(n)
	}
	return nil, false
}

func scalarValue(n *kyaml.Node) (any, bool) {
	switch n.ShortTag() {
	case kyaml.NodeTagString:
		return n.Value, utf8.ValidString(n.Value)
	case kyaml.NodeTagBool:
		switch n.Value {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	case kyaml.NodeTagNull:
		switch n.Value {
		case "", "~", "null":
			return nil, true
		}
	case kyaml.NodeTagInt:
		if decimal(n.Value) {
			i, err := strconv.Atoi(n.Value)
			return i, err == nil
		}
	}
	return nil, false
}

// decimal is an integer written in plain decimal: an optional minus, then
// a zero or digits not starting with one.
func decimal(s string) bool {
	if len(s) > 0 && s[0] == '-' {
		s = s[1:]
	}
	if s == "" || (s[0] == '0' && len(s) > 1) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
