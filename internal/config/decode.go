package config

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"
)

var (
	quantityType = reflect.TypeOf(resource.Quantity{})
	intOrStrType = reflect.TypeOf(intstr.IntOrString{})
)

// decoder fills Go values from a YAML node tree, strictly: unknown fields,
// duplicate keys, aliases and wrongly typed scalars are problems, all of
// which are collected with their lines.
type decoder struct {
	file     string
	lines    map[string]int
	problems Problems
}

func (d *decoder) fail(n *yaml.Node, field, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	d.problems = append(d.problems, Problem{File: d.file, Line: line, Field: field, Msg: fmt.Sprintf(format, args...)})
}

func join(parent, name string) string {
	if parent == "" {
		return name
	}
	return parent + "." + name
}

func (d *decoder) decode(n *yaml.Node, v reflect.Value, field string) {
	if n.Kind == yaml.AliasNode || n.Anchor != "" {
		d.fail(n, field, "YAML anchors and aliases are not allowed")
		return
	}
	d.lines[field] = n.Line
	if v.Kind() == reflect.Pointer {
		if isNull(n) {
			return
		}
		v.Set(reflect.New(v.Type().Elem()))
		v = v.Elem()
	}
	switch v.Type() {
	case quantityType:
		d.quantity(n, v, field)
		return
	case intOrStrType:
		d.intOrString(n, v, field)
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		d.structure(n, v, field)
	case reflect.Map:
		d.mapping(n, v, field)
	case reflect.Slice:
		d.sequence(n, v, field)
	case reflect.String:
		if s, ok := d.scalar(n, field, "a string", "!!str"); ok {
			v.SetString(s)
		}
	case reflect.Bool:
		if s, ok := d.scalar(n, field, "true or false", "!!bool"); ok {
			b, err := strconv.ParseBool(s)
			if err != nil {
				d.fail(n, field, "must be true or false, not %q", s)
				return
			}
			v.SetBool(b)
		}
	case reflect.Int, reflect.Int32, reflect.Int64:
		if s, ok := d.scalar(n, field, "a whole number", "!!int"); ok {
			i, err := strconv.ParseInt(s, 0, v.Type().Bits())
			if err != nil {
				d.fail(n, field, "%s is out of range", s)
				return
			}
			v.SetInt(i)
		}
	case reflect.Float64:
		if s, ok := d.scalar(n, field, "a number", "!!int", "!!float"); ok {
			f, err := strconv.ParseFloat(s, 64)
			if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
				d.fail(n, field, "%s is not a finite number", s)
				return
			}
			v.SetFloat(f)
		}
	default:
		d.fail(n, field, "cannot decode into %s", v.Type())
	}
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return "null"
		case "!!str":
			return fmt.Sprintf("the string %q", n.Value)
		default:
			return strconv.Quote(n.Value)
		}
	}
	return "something else"
}

func (d *decoder) scalar(n *yaml.Node, field, want string, tags ...string) (string, bool) {
	if n.Kind == yaml.ScalarNode {
		for _, t := range tags {
			if n.ShortTag() == t {
				return n.Value, true
			}
		}
	}
	d.fail(n, field, "must be %s, not %s", want, kindName(n))
	return "", false
}

func (d *decoder) quantity(n *yaml.Node, v reflect.Value, field string) {
	s, ok := d.scalar(n, field, "a Kubernetes quantity (500m, 2, 512Mi)", "!!str", "!!int", "!!float")
	if !ok {
		return
	}
	q, err := resource.ParseQuantity(s)
	if err != nil {
		d.fail(n, field, "%q is not a Kubernetes quantity (such as 500m, 2, 512Mi)", s)
		return
	}
	if q.Sign() < 0 {
		d.fail(n, field, "%q must not be negative", s)
		return
	}
	v.Set(reflect.ValueOf(q))
}

// intOrString reads a whole number or a string (Kubernetes' IntOrString,
// as in a PodDisruptionBudget's maxUnavailable: 1 or "25%").
func (d *decoder) intOrString(n *yaml.Node, v reflect.Value, field string) {
	s, ok := d.scalar(n, field, "a whole number or a string such as \"25%\"", "!!int", "!!str")
	if !ok {
		return
	}
	if n.ShortTag() == "!!str" {
		v.Set(reflect.ValueOf(intstr.FromString(s)))
		return
	}
	i, err := strconv.ParseInt(s, 0, 32)
	if err != nil {
		d.fail(n, field, "%s is out of range", s)
		return
	}
	v.Set(reflect.ValueOf(intstr.FromInt32(int32(i))))
}

// fieldIndexes maps the JSON names of t's fields to their indexes, the
// fields of an embedded struct tagged `json:",inline"` included as its own.
func fieldIndexes(t reflect.Type, into map[string][]int, prefix []int) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		idx := append(append([]int(nil), prefix...), i)
		switch {
		case f.Anonymous && name == "" && opts == "inline":
			fieldIndexes(f.Type, into, idx)
		case name != "" && name != "-":
			into[name] = idx
		}
	}
}

// mapping reads a mapping of names to values (spec.workloads).
func (d *decoder) mapping(n *yaml.Node, v reflect.Value, field string) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, field, "must be a mapping, not %s", kindName(n))
		return
	}
	m := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
	d.entries(n, field, func(k, val *yaml.Node, path string) {
		elem := reflect.New(v.Type().Elem()).Elem()
		d.decode(val, elem, path)
		d.lines[path] = k.Line // an entry's problems point at its name
		m.SetMapIndex(reflect.ValueOf(k.Value), elem)
	})
	v.Set(m)
}

// entries calls visit for each key and value of the mapping n, keys being
// plain strings and none twice (problems otherwise).
func (d *decoder) entries(n *yaml.Node, field string, visit func(k, val *yaml.Node, path string)) {
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.ShortTag() != "!!str" {
			d.fail(k, field, "keys must be plain strings")
			continue
		}
		path := join(field, k.Value)
		if seen[k.Value] {
			d.fail(k, path, "duplicate key")
			continue
		}
		seen[k.Value] = true
		visit(k, val, path)
	}
}

func (d *decoder) structure(n *yaml.Node, v reflect.Value, field string) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, field, "must be a mapping, not %s", kindName(n))
		return
	}
	fields := map[string][]int{}
	fieldIndexes(v.Type(), fields, nil)
	d.entries(n, field, func(k, val *yaml.Node, path string) {
		idx, ok := fields[k.Value]
		if !ok {
			d.fail(k, path, "unknown field")
			return
		}
		d.decode(val, v.FieldByIndex(idx), path)
		d.lines[path] = k.Line // a field's problems point at its name
	})
}

func (d *decoder) sequence(n *yaml.Node, v reflect.Value, field string) {
	if n.Kind != yaml.SequenceNode {
		d.fail(n, field, "must be a list, not %s", kindName(n))
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		d.decode(item, s.Index(i), fmt.Sprintf("%s[%d]", field, i))
	}
	v.Set(s)
}

func reflectValue(ptr any) reflect.Value { return reflect.ValueOf(ptr).Elem() }
