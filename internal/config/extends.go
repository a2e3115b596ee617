package config

import (
	"maps"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// inherited are the spec fields a phase takes from the one it extends:
// the sizing of the one-workload form and the per-workload entries. The
// rest (order, users, description, soak, checklist) is the phase's own.
var inherited = append(slices.Clone(sizingFields), "workloads")

// resolveExtends gives every phase with spec.extends its parent's sizing,
// merged under its own field by field (a mapping deep, anything else
// replaced; null removes what the parent sets), then decodes and validates
// the result as if it were written out in full. A missing parent, a cycle
// and a parent of the other form are refused at spec.extends. Inherited
// values report problems at that line.
func resolveExtends(phases []*Phase) ([]*Phase, Problems) {
	byName := map[string]*Phase{}
	for _, p := range phases {
		byName[p.Metadata.Name] = p
	}
	r := &resolver{byName: byName, done: map[string]*Phase{}, state: map[string]int{}}
	out := make([]*Phase, 0, len(phases))
	for _, p := range phases {
		if q := r.resolve(p); q != nil {
			out = append(out, q)
		}
	}
	return out, r.problems
}

type resolver struct {
	byName   map[string]*Phase
	done     map[string]*Phase // resolved, by name
	state    map[string]int    // 1: being resolved, 2: done
	problems Problems
}

// resolve returns p with its parents' sizing merged in (nil when it cannot
// be resolved; the problem is recorded).
func (r *resolver) resolve(p *Phase) *Phase {
	name := p.Metadata.Name
	if q, ok := r.done[name]; ok {
		return q
	}
	if p.Spec.Extends == "" {
		r.done[name] = p
		return p
	}
	if r.state[name] == 1 {
		r.fail(p, "extends a phase that extends it back (a cycle): one of them must be written in full")
		return nil
	}
	if r.state[name] == 2 {
		return nil // failed before
	}
	r.state[name] = 1
	defer func() { r.state[name] = 2 }()
	parent, ok := r.byName[p.Spec.Extends]
	if !ok {
		r.fail(p, "phase %q does not exist (have: %s)", p.Spec.Extends, strings.Join(slices.Sorted(maps.Keys(r.byName)), ", "))
		return nil
	}
	if parent == p {
		r.fail(p, "a phase cannot extend itself")
		return nil
	}
	resolved := r.resolve(parent)
	if resolved == nil || resolved.node == nil || p.node == nil {
		return nil
	}
	line := p.Source.Line("spec.extends")
	merged := mergeSpec(resolved.node, p.node, line)
	doc, ps := decodeDoc(p.Source.File, p.Source.Raw, merged, &yaml.Node{Kind: yaml.ScalarNode, Value: KindPhase}, true)
	if len(ps) > 0 {
		r.problems = append(r.problems, ps...)
		return nil
	}
	q := doc.(*Phase)
	r.done[name] = q
	return q
}

func (r *resolver) fail(p *Phase, format string, args ...any) {
	r.problems = append(r.problems, p.Problem("spec.extends", format, args...))
}

// mergeSpec is child's top mapping with the inherited fields of parent's
// spec merged under child's spec (the merged phase keeps spec.extends, so
// decodeDoc leaves it to be resolved no further).
func mergeSpec(parent, child *yaml.Node, line int) *yaml.Node {
	top := shallow(child)
	pspec, cspec := value(parent, "spec"), value(child, "spec")
	if cspec == nil || cspec.Kind != yaml.MappingNode {
		return top
	}
	var from *yaml.Node
	if pspec != nil && pspec.Kind == yaml.MappingNode {
		from = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		for i := 0; i+1 < len(pspec.Content); i += 2 {
			if slices.Contains(inherited, pspec.Content[i].Value) {
				from.Content = append(from.Content, pspec.Content[i], pspec.Content[i+1])
			}
		}
	}
	spec := merge(from, cspec, line)
	for i := 0; i+1 < len(top.Content); i += 2 {
		if top.Content[i].Value == "spec" {
			top.Content[i+1] = spec
		}
	}
	return top
}

// merge is child over parent: mappings key by key, deep; anything else is
// child's; a null in child removes the key. Nodes taken from parent are
// copies at line.
func merge(parent, child *yaml.Node, line int) *yaml.Node {
	if parent == nil || parent.Kind != yaml.MappingNode || child.Kind != yaml.MappingNode {
		return child
	}
	out := shallow(child)
	out.Content = nil
	for i := 0; i+1 < len(parent.Content); i += 2 {
		k, pv := parent.Content[i], parent.Content[i+1]
		cv := value(child, k.Value)
		switch {
		case cv == nil:
			out.Content = append(out.Content, copyAt(k, line), copyAt(pv, line))
		case isNull(cv):
		default:
			out.Content = append(out.Content, key(child, k.Value), merge(pv, cv, line))
		}
	}
	for i := 0; i+1 < len(child.Content); i += 2 {
		k, cv := child.Content[i], child.Content[i+1]
		if value(parent, k.Value) == nil && !isNull(cv) {
			out.Content = append(out.Content, k, cv)
		}
	}
	return out
}

// value is the value of key in mapping m (nil when absent); key its key node.
func value(m *yaml.Node, k string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == k {
			return m.Content[i+1]
		}
	}
	return nil
}

func key(m *yaml.Node, k string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == k {
			return m.Content[i]
		}
	}
	return nil
}

// shallow copies n and its list of children.
func shallow(n *yaml.Node) *yaml.Node {
	c := *n
	c.Content = slices.Clone(n.Content)
	return &c
}

// copyAt is a deep copy of n with every line set to line.
func copyAt(n *yaml.Node, line int) *yaml.Node {
	c := *n
	c.Line, c.Column = line, 0
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, ch := range n.Content {
		c.Content[i] = copyAt(ch, line)
	}
	return &c
}

// extendsOf is the spec.extends of a Phase's top mapping ("" when none).
func extendsOf(top *yaml.Node) string {
	if spec := value(top, "spec"); spec != nil && spec.Kind == yaml.MappingNode {
		if e := value(spec, "extends"); e != nil && e.Kind == yaml.ScalarNode {
			return e.Value
		}
	}
	return ""
}

// nameOf is the metadata.name of a top mapping ("" when none).
func nameOf(top *yaml.Node) string {
	if md := value(top, "metadata"); md != nil && md.Kind == yaml.MappingNode {
		if n := value(md, "name"); n != nil && n.Kind == yaml.ScalarNode {
			return n.Value
		}
	}
	return ""
}
