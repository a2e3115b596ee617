package overlay_test

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/coditect/phasegen/internal/base"
	"github.com/coditect/phasegen/internal/capacity"
	"github.com/coditect/phasegen/internal/config"
	"github.com/coditect/phasegen/internal/fileset"
	"github.com/coditect/phasegen/internal/overlay"
)

// sizingKeys are the spec fields a phase inherits through spec.extends.
var sizingKeys = []string{"replicas", "autoscaling", "resources", "pdb", "alerts", "slo", "workloads"}

// shortest is child's inherited fields as a phase extending parent writes
// them: what equals parent's left out, what parent sets and child does not
// given as null, mappings compared key by key.
func shortest(parent, child map[string]any) map[string]any {
	out := map[string]any{}
	for k, pv := range parent {
		cv, ok := child[k]
		switch {
		case !ok:
			out[k] = nil
		case reflect.DeepEqual(pv, cv):
		default:
			pm, pok := pv.(map[string]any)
			cm, cok := cv.(map[string]any)
			if pok && cok {
				if d := shortest(pm, cm); len(d) > 0 {
					out[k] = d
				}
			} else {
				out[k] = cv
			}
		}
	}
	for k, cv := range child {
		if _, ok := parent[k]; !ok {
			out[k] = cv
		}
	}
	return out
}

// withExtends copies the configuration in dir to a temporary directory in
// which every phase but the first extends the one before it, written with
// only what differs.
func withExtends(t *testing.T, dir string, cfg *config.Set) string {
	t.Helper()
	out := t.TempDir()
	if err := os.MkdirAll(filepath.Join(out, "phases"), 0o755); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !e.IsDir() {
			data, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(out, e.Name()), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	var prev map[string]any
	prevName := ""
	for _, p := range cfg.Phases {
		var doc map[string]any
		if err := yaml.Unmarshal(p.Source.Raw, &doc); err != nil {
			t.Fatal(err)
		}
		spec := doc["spec"].(map[string]any)
		full := map[string]any{}
		for _, k := range sizingKeys {
			if v, ok := spec[k]; ok {
				full[k] = v
			}
		}
		if prev != nil {
			for _, k := range sizingKeys {
				delete(spec, k)
			}
			for k, v := range shortest(prev, full) {
				spec[k] = v
			}
			spec["extends"] = prevName
		}
		data, err := yaml.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(out, "phases", filepath.Base(p.Source.File)), data, 0o644); err != nil {
			t.Fatal(err)
		}
		prev, prevName = full, p.Metadata.Name
	}
	return out
}

// TestExtendsIsTheFullForm: the shipped examples with every phase written
// as `extends` of the one before (only what differs, nulls for what goes)
// render, build and plan byte for byte as the full form does.
func TestExtendsIsTheFullForm(t *testing.T) {
	for _, ex := range []struct{ config, templates string }{
		{filepath.Join("..", "testdata", "example", "environments"), filepath.Join("..", "testdata", "example", "templates")},
		{filepath.Join("..", "..", "examples", "store", "environments"), filepath.Join("..", "..", "examples", "store", "templates")},
	} {
		full, err := config.Load(ex.config)
		if err != nil {
			t.Fatal(err)
		}
		short, err := config.Load(withExtends(t, ex.config, full))
		if err != nil {
			t.Fatalf("%s with extends: %v", ex.config, err)
		}
		if slices.ContainsFunc(short.Phases[1:], func(p *config.Phase) bool { return p.Spec.Extends == "" }) {
			t.Fatalf("%s: the rewrite left a phase in the full form", ex.config)
		}
		b, err := base.Load(os.DirFS(ex.templates))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range full.Environments {
			se, _ := short.Environment(e.Metadata.Name)
			for i, p := range full.Phases {
				a, err := overlay.Render(overlay.Input{Config: full, Base: b, Env: e, Phase: p})
				if err != nil {
					t.Fatal(err)
				}
				c, err := overlay.Render(overlay.Input{Config: short, Base: b, Env: se, Phase: short.Phases[i]})
				if err != nil {
					t.Fatal(err)
				}
				if !fileset.Equal(a, c) || !bytes.Equal(build(t, a, e.Metadata.Name), build(t, c, e.Metadata.Name)) {
					t.Errorf("%s %s at %s: the extends form renders or builds other bytes", ex.config, e.Metadata.Name, p.Metadata.Name)
				}
			}
		}
		plans := func(cfg *config.Set) []byte {
			pl, err := capacity.NewPlanner(cfg, b)
			if err != nil {
				t.Fatal(err)
			}
			ps, err := pl.Plan(cfg.Phases)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			if err := capacity.WriteJSON(&out, ps); err != nil {
				t.Fatal(err)
			}
			if err := capacity.WriteTable(&out, ps); err != nil {
				t.Fatal(err)
			}
			return out.Bytes()
		}
		if a, c := plans(full), plans(short); !bytes.Equal(a, c) {
			t.Errorf("%s: the plans differ:\n%s\n---\n%s", ex.config, a, c)
		}
	}
}
