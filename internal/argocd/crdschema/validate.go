package crdschema

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"sort"
	"time"
	"unicode/utf8"
)

// objectMeta is the part of ObjectMeta an API server accepts from a client
// writing a new object, as a schema.
var objectMeta = func() *Schema {
	str := &Schema{Type: "string"}
	strMap := &Schema{Type: "object", AdditionalProperties: &Additional{Allowed: true, Schema: str}}
	return &Schema{Type: "object", Properties: map[string]*Schema{
		"name":         str,
		"generateName": str,
		"namespace":    str,
		"labels":       strMap,
		"annotations":  strMap,
		"finalizers":   {Type: "array", Items: str},
	}}
}()

type validator struct {
	report func(error)
}

func (v validator) fail(at, format string, args ...any) {
	if at == "" {
		at = "<root>"
	}
	v.report(fmt.Errorf("%s: %s", at, fmt.Sprintf(format, args...)))
}

func join(at, name string) string {
	if at == "" {
		return name
	}
	return at + "." + name
}

// check validates val, found at path at, against s.
func (v validator) check(s *Schema, val any, at string) {
	if val == nil {
		if !s.Nullable {
			v.fail(at, "must not be null")
		}
		return
	}
	if s.IntOrString {
		switch x := val.(type) {
		case string:
		case json.Number:
			if _, err := x.Int64(); err != nil {
				v.fail(at, "must be an integer or a string, not %s", x)
			}
		default:
			v.fail(at, "must be an integer or a string, not %s", kindOf(val))
		}
		return
	}
	switch s.Type {
	case "object":
		m, ok := val.(map[string]any)
		if !ok {
			v.fail(at, "must be an object, not %s", kindOf(val))
			return
		}
		v.object(s, m, at)
	case "array":
		a, ok := val.([]any)
		if !ok {
			v.fail(at, "must be an array, not %s", kindOf(val))
			return
		}
		if s.Items == nil {
			if len(a) > 0 && !s.PreserveUnknown {
				v.fail(at, "array has no item schema")
			}
			return
		}
		for i, item := range a {
			v.check(s.Items, item, fmt.Sprintf("%s[%d]", at, i))
		}
	case "string":
		str, ok := val.(string)
		if !ok {
			v.fail(at, "must be a string, not %s", kindOf(val))
			return
		}
		if s.MinLength != nil && utf8.RuneCountInString(str) < *s.MinLength {
			v.fail(at, "must be at least %d characters long", *s.MinLength)
		}
		if s.pattern != nil && !s.pattern.MatchString(str) {
			v.fail(at, "%q does not match %s", str, s.Pattern)
		}
		if s.Format == "date-time" {
			if _, err := time.Parse(time.RFC3339, str); err != nil {
				v.fail(at, "%q is not a date-time", str)
			}
		}
	case "integer":
		n, ok := val.(json.Number)
		if !ok {
			v.fail(at, "must be an integer, not %s", kindOf(val))
			return
		}
		i, err := n.Int64()
		if err != nil {
			v.fail(at, "must be an integer, not %s", n)
			return
		}
		if s.Format == "int32" && (i < math.MinInt32 || i > math.MaxInt32) {
			v.fail(at, "%d does not fit int32", i)
		}
	case "number":
		if _, ok := val.(json.Number); !ok {
			v.fail(at, "must be a number, not %s", kindOf(val))
		}
	case "boolean":
		if _, ok := val.(bool); !ok {
			v.fail(at, "must be a boolean, not %s", kindOf(val))
		}
	case "":
		// Only x-kubernetes-preserve-unknown-fields nodes lack a type (see compile).
	}
	if len(s.Enum) > 0 && !inEnum(s.Enum, val) {
		v.fail(at, "%v is not one of %v", val, s.Enum)
	}
}

func (v validator) object(s *Schema, m map[string]any, at string) {
	for _, r := range s.Required {
		if _, ok := m[r]; !ok {
			v.fail(join(at, r), "required field is missing")
		}
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if p, ok := s.Properties[k]; ok {
			v.check(p, m[k], join(at, k))
			continue
		}
		switch {
		case s.AdditionalProperties != nil && s.AdditionalProperties.Schema != nil:
			v.check(s.AdditionalProperties.Schema, m[k], join(at, k))
		case s.PreserveUnknown, s.AdditionalProperties != nil && s.AdditionalProperties.Allowed:
		default:
			v.fail(join(at, k), "unknown field")
		}
	}
}

func inEnum(enum []any, val any) bool {
	for _, e := range enum {
		if n, ok := val.(json.Number); ok {
			if f, err := n.Float64(); err == nil && reflect.DeepEqual(e, f) {
				return true
			}
			continue
		}
		if reflect.DeepEqual(e, val) {
			return true
		}
	}
	return false
}

func kindOf(val any) string {
	switch val.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	}
	return fmt.Sprintf("%T", val)
}
