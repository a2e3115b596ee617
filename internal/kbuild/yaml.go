package kbuild

import (
	"encoding/json"
	"unicode/utf8"

	yamlv2 "go.yaml.in/yaml/v2"
	"sigs.k8s.io/kustomize/api/resmap"
	"sigs.k8s.io/kustomize/api/resource"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/coditect/phasegen/internal/printer"
)

// asYAML is resmap.ResMap.AsYaml, byte for byte, at well under half the
// cost. Kustomize prints each resource by encoding its node to YAML,
// decoding that into a map, encoding the map as JSON, decoding the JSON with
// yaml.v2 and encoding the result with yaml.v2. The only effect of the
// middle steps on the printed text is the JSON round trip of scalars, so
// this decodes the node once, passes each scalar whose JSON round trip could
// change it (floats, wide integers) through exactly that round trip, and
// encodes with yaml.v2. Anything it is not sure about (invalid UTF-8, which
// JSON would replace; non-string map keys, which JSON rejects) goes the
// library's own way. Tests compare both paths and stock kustomize.
func asYAML(m resmap.ResMap) ([]byte, error) {
	// One buffer for the whole stream: the printer appends to it.
	out := make([]byte, 0, 16<<10)
	for i, res := range m.Resources() {
		if i > 0 {
			out = append(out, "---\n"...)
		}
		var err error
		if out, err = appendResourceYAML(out, res); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// appendResourceYAML appends res printed as kustomize prints it to out.
func appendResourceYAML(out []byte, res *resource.Resource) ([]byte, error) {
	n := res.YNode()
	if n == nil || n.Kind != kyaml.MappingNode {
		return appendYAML(out, res.AsYAML)
	}
	if m, ok := nodeObject(n); ok {
		if printed, ok := printer.Append(out, m); ok {
			return printed, nil
		}
	}
	v := map[string]interface{}{}
	if err := n.Decode(&v); err != nil {
		return appendYAML(out, res.AsYAML)
	}
	norm, ok := jsonRoundTrip(v)
	if !ok {
		return appendYAML(out, res.AsYAML)
	}
	if printed, ok := printer.Append(out, norm.(map[string]interface{})); ok {
		return printed, nil
	}
	return appendYAML(out, func() ([]byte, error) { return yamlv2.Marshal(norm) })
}

func appendYAML(out []byte, print func() ([]byte, error)) ([]byte, error) {
	b, err := print()
	if err != nil {
		return nil, err
	}
	return append(out, b...), nil
}

// jsonRoundTrip returns v as encoding it to JSON and decoding that with
// yaml.v2 would, or false when it cannot tell cheaply.
func jsonRoundTrip(v interface{}) (interface{}, bool) {
	switch x := v.(type) {
	case nil, bool, int:
		return x, true
	case string:
		return x, utf8.ValidString(x)
	case map[string]interface{}:
		for k, e := range x {
			if !utf8.ValidString(k) {
				return nil, false
			}
			n, ok := jsonRoundTrip(e)
			if !ok {
				return nil, false
			}
			x[k] = n
		}
		return x, true
	case []interface{}:
		for i, e := range x {
			n, ok := jsonRoundTrip(e)
			if !ok {
				return nil, false
			}
			x[i] = n
		}
		return x, true
	case map[interface{}]interface{}:
		return nil, false // JSON rejects it: let kustomize report that
	default:
		// float64, int64, uint64, time.Time: what JSON and yaml.v2 make of it.
		b, err := json.Marshal(x)
		if err != nil {
			return nil, false
		}
		var out interface{}
		if err := yamlv2.Unmarshal(b, &out); err != nil {
			return nil, false
		}
		return out, true
	}
}
