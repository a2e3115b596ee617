package overlay

import (
	"bytes"

	"sigs.k8s.io/kustomize/api/types"
)

// kustomization is an overlay's kustomization.yaml, before the header.
func kustomization(namespace string, resources, components, patches []string, annotations string) types.Kustomization {
	ps := make([]types.Patch, len(patches))
	for i, p := range patches {
		ps[i] = types.Patch{Path: p}
	}
	return types.Kustomization{
		TypeMeta: types.TypeMeta{
			APIVersion: types.KustomizationVersion,
			Kind:       types.KustomizationKind,
		},
		Namespace:    namespace,
		Resources:    resources,
		Components:   components,
		Patches:      ps,
		Transformers: []string{annotations},
	}
}

// kustomizationHead is how the marshalled kustomization starts; the
// namespace, when set, is the next line (keys are printed sorted).
const kustomizationHead = "apiVersion: " + types.KustomizationVersion + "\nkind: " + types.KustomizationKind + "\n"

// kustomizationFile returns the environment's kustomization.yaml: the
// phase's body (marshalled once per phase, without a namespace) with the
// environment's namespace line put in, byte for byte what marshalling the
// whole kustomization gives. A namespace the YAML encoder might quote is
// marshalled the long way.
func (r *renderer) kustomizationFile(parts *phaseParts) ([]byte, error) {
	ns := r.env.Spec.Namespace
	body := parts.kustomization
	if ns == "" {
		return r.withHeader(body), nil
	}
	if !plainNamespace(ns) || !bytes.HasPrefix(body, []byte(kustomizationHead)) {
		return r.marshal(kustomization(ns, parts.resources, parts.components, parts.patches, parts.annotations))
	}
	var buf bytes.Buffer
	buf.Grow(len(r.header) + len(body) + len("namespace: \n") + len(ns))
	buf.WriteString(r.header)
	buf.WriteString(kustomizationHead)
	buf.WriteString("namespace: ")
	buf.WriteString(ns)
	buf.WriteByte('\n')
	buf.Write(body[len(kustomizationHead):])
	return buf.Bytes(), nil
}

// plainNamespace reports whether the YAML encoder prints ns as it is: a
// lower-case name starting with a letter that YAML 1.1 does not read as a
// bool or null.
func plainNamespace(ns string) bool {
	switch ns {
	case "y", "n", "yes", "no", "on", "off", "true", "false", "null":
		return false
	}
	if ns == "" || ns[0] < 'a' || ns[0] > 'z' {
		return false
	}
	for i := 0; i < len(ns); i++ {
		if c := ns[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}
