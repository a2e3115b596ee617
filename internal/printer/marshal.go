package printer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	sigsyaml "sigs.k8s.io/yaml"
)

// Marshal returns what sigs.k8s.io/yaml's Marshal returns for v, byte for
// byte: v encoded as JSON, the JSON read back as yaml.v2 reads it, and that
// printed by yaml.v2. The printer does the last two steps when the value
// is in its subset (objects of strings, integers, booleans and nulls);
// anything else (floats, integers beyond int, a top level that is not a
// non-empty object) goes to sigs.k8s.io/yaml with the same JSON.
func Marshal(v any) ([]byte, error) {
	j, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("error marshaling into JSON: %w", err)
	}
	if m, ok := objectFromJSON(j); ok {
		if out, ok := Print(m); ok {
			return out, nil
		}
	}
	return sigsyaml.JSONToYAML(j)
}

// objectFromJSON decodes a JSON object as yaml.v2 decodes the same text,
// or reports false when it would need yaml.v2 to know.
func objectFromJSON(j []byte) (map[string]any, bool) {
	d := json.NewDecoder(bytes.NewReader(j))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, false
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, false
	}
	if _, ok := integersOnly(m); !ok {
		return nil, false
	}
	return m, true
}

// integersOnly returns v with every json.Number replaced by the int
// yaml.v2 reads it as, or reports false for a number yaml.v2 reads as
// something else (a float, or an integer wider than int).
func integersOnly(v any) (any, bool) {
	switch x := v.(type) {
	case json.Number:
		return jsonInt(x)
	case map[string]any:
		for k, e := range x {
			n, ok := integersOnly(e)
			if !ok {
				return nil, false
			}
			x[k] = n
		}
	case []any:
		for i, e := range x {
			n, ok := integersOnly(e)
			if !ok {
				return nil, false
			}
			x[i] = n
		}
	}
	return v, true
}

// jsonInt is a JSON number written as an integer (digits, an optional
// minus) that fits an int, as yaml.v2 resolves it.
func jsonInt(n json.Number) (any, bool) {
	s := string(n)
	digits := s
	if len(digits) > 0 && digits[0] == '-' {
		digits = digits[1:]
	}
	if digits == "" {
		return 0, false
	}
	for i := 0; i < len(digits); i++ {
		if !isDigit(digits[i]) {
			return 0, false
		}
	}
	i, err := strconv.Atoi(s)
	if err != nil {
		return nil, false
	}
	return i, true
}
