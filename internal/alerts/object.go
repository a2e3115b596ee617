package alerts

// The PrometheusRule as the decoded object sigs.k8s.io/yaml would print
// (what encoding it to JSON and reading that back gives), built directly:
// a fleet build renders one rule per environment, and the JSON round trip
// was most of that cost. TestObjectIsTheJSONRoundTrip holds the two equal.

func (r prometheusRule) object() map[string]any {
	return map[string]any{
		"apiVersion": r.APIVersion,
		"kind":       r.Kind,
		"metadata":   r.Metadata.object(),
		"spec":       r.Spec.object(),
	}
}

func (m objectMeta) object() map[string]any {
	o := map[string]any{"name": m.Name, "namespace": m.Namespace}
	if len(m.Labels) > 0 {
		o["labels"] = stringMap(m.Labels)
	}
	if len(m.Annotations) > 0 {
		o["annotations"] = stringMap(m.Annotations)
	}
	return o
}

func (g RuleGroups) object() map[string]any {
	return map[string]any{"groups": list(g.Groups, Group.object)}
}

func (g Group) object() map[string]any {
	return map[string]any{"name": g.Name, "rules": list(g.Rules, Rule.object)}
}

func (r Rule) object() map[string]any {
	o := map[string]any{"alert": r.Alert, "expr": r.Expr}
	if r.For != "" {
		o["for"] = r.For
	}
	if len(r.Labels) > 0 {
		o["labels"] = stringMap(r.Labels)
	}
	if len(r.Annotations) > 0 {
		o["annotations"] = stringMap(r.Annotations)
	}
	return o
}

// list is a slice as JSON decodes it: nil is null, not an empty list.
func list[T any](s []T, object func(T) map[string]any) any {
	if s == nil {
		return nil
	}
	out := make([]any, len(s))
	for i, e := range s {
		out[i] = object(e)
	}
	return out
}

func stringMap(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
