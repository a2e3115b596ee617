package promote

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/coditect/phasegen/internal/yamledit"
)

// FuzzEditPhase edits spec.phase of arbitrary files, as promote does to the
// user's environments/<env>.yaml: no panic, and an edit that succeeds sets
// spec.phase to the phase, changes nothing else the YAML says, keeps every
// byte before the value, and is undone by editing the old value back.
func FuzzEditPhase(f *testing.F) {
	files, _ := filepath.Glob("../testdata/example/environments/*.yaml")
	for _, file := range files {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data, "beta")
		}
	}
	for _, s := range []string{
		"spec:\n  phase: \"pre-launch\"\n",
		"spec: {namespace: a, phase: 'pre-launch'} # x\n",
		"# é ü\nspec:\n  é: ü\n  phase: full-mvp\n",
		"metadata:\n  phase: a\nspec:\n  phase: b\n---\nspec:\n  phase: c\n",
		"spec:\n  phase: \"a\\\"b\"\n",
		"spec:\n  phase: |\n    beta\n",
		"spec:\n  phase:\n    beta\n",
		"spec: {phase: beta\n  }\n",
		"spec:\r\n  phase: beta\r\n",
	} {
		f.Add([]byte(s), "scale-out")
	}
	f.Fuzz(func(t *testing.T, raw []byte, phase string) {
		if len(validation.IsDNS1123Label(phase)) > 0 {
			return // promote only ever records a validated phase name
		}
		out, err := EditPhase(raw, phase)
		if err != nil {
			return
		}
		n, err := phaseNode(out)
		if err != nil || n.Value != phase {
			t.Fatalf("edited file: spec.phase %v, %v; want %q", n, err, phase)
		}
		old, err := phaseNode(raw)
		if err != nil {
			t.Fatalf("edit succeeded on a file without spec.phase: %v", err)
		}
		start, err := yamledit.Offset(raw, old.Line, old.Column)
		if err != nil || !bytes.Equal(out[:start], raw[:start]) {
			t.Fatalf("bytes before spec.phase changed (%v)", err)
		}
		if !sameApartFromPhase(t, raw, out) {
			t.Fatalf("the edit changed more than spec.phase:\n%q\n→\n%q", raw, out)
		}
		if len(validation.IsDNS1123Label(old.Value)) == 0 {
			back, err := EditPhase(out, old.Value)
			if err != nil || !bytes.Equal(back, raw) {
				t.Fatalf("editing %q back does not restore the file (%v):\n%q\n→\n%q", old.Value, err, raw, back)
			}
		}
	})
}

// sameApartFromPhase reports whether the first documents of a and b decode to
// the same value once spec.phase is set aside.
func sameApartFromPhase(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := yaml.Unmarshal(a, &x); err != nil {
		return true // the node parse accepted it; the generic decoder may not (duplicate keys)
	}
	if err := yaml.Unmarshal(b, &y); err != nil {
		t.Fatalf("the edited file no longer decodes: %v", err)
	}
	for _, v := range []any{x, y} {
		if m, ok := v.(map[string]any); ok {
			if spec, ok := m["spec"].(map[string]any); ok {
				delete(spec, "phase")
			}
		}
	}
	return reflect.DeepEqual(x, y)
}

// phaseNode returns the scalar node of spec.phase of the first document.
func phaseNode(raw []byte) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, errors.New("empty document")
	}
	spec := mapValue(doc.Content[0], "spec")
	if spec == nil {
		return nil, errors.New("no spec")
	}
	p := mapValue(spec, "phase")
	if p == nil || p.Kind != yaml.ScalarNode {
		return nil, errors.New("no scalar spec.phase")
	}
	return p, nil
}

func mapValue(m *yaml.Node, key string) *yaml.Node {
	if m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}
