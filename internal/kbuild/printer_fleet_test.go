package kbuild

import (
	"bytes"
	"path"
	"path/filepath"
	"reflect"
	"testing"

	yamlv2 "go.yaml.in/yaml/v2"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/coditect/phasegen/internal/base"
	"github.com/coditect/phasegen/internal/config"
	"github.com/coditect/phasegen/internal/fleet"
	"github.com/coditect/phasegen/internal/overlay"
	"github.com/coditect/phasegen/internal/printer"
	"github.com/coditect/phasegen/templates"
)

// Every object the shipped environments (at every phase) and the synthetic
// fleet (the fixed-replica phase included) build to goes through the fast
// path (nodeObject, then the printer), which gives what decoding the node
// gives and prints it exactly as yaml.v2 does.
func TestPrinterTakesEveryFleetObject(t *testing.T) {
	b, err := base.Load(templates.FS())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := fleet.Write(dir, filepath.Join("..", "testdata", "example", "environments"), 5); err != nil {
		t.Fatal(err)
	}
	objects := 0
	for _, cfgDir := range []string{filepath.Join("..", "testdata", "example", "environments"), filepath.Join(dir, fleet.ConfigDir)} {
		cfg, err := config.Load(cfgDir)
		if err != nil {
			t.Fatal(err)
		}
		r := overlay.NewRenderer(cfg, b)
		for _, env := range cfg.Environments {
			for _, phase := range cfg.Phases {
				files, err := r.Overlay(env, phase)
				if err != nil {
					t.Fatal(err)
				}
				fs := filesys.MakeFsInMemory()
				for p, data := range files {
					if err := fs.WriteFile(path.Join(root, p), data); err != nil {
						t.Fatal(err)
					}
				}
				m, err := krusty.MakeKustomizer(Options()).Run(fs, path.Join(root, overlay.EnvDir(env.Metadata.Name)))
				if err != nil {
					t.Fatal(err)
				}
				for _, res := range m.Resources() {
					v := map[string]interface{}{}
					if err := res.YNode().Decode(&v); err != nil {
						t.Fatal(err)
					}
					norm, ok := jsonRoundTrip(v)
					if !ok {
						t.Fatalf("%s at %s: %s: JSON round trip refused", env.Metadata.Name, phase.Metadata.Name, res.CurId())
					}
					if direct, ok := nodeObject(res.YNode()); !ok {
						t.Errorf("%s at %s: %s: nodeObject declines it", env.Metadata.Name, phase.Metadata.Name, res.CurId())
					} else if !reflect.DeepEqual(direct, norm) {
						t.Errorf("%s at %s: %s: nodeObject differs from decoding:\n%#v\n%#v", env.Metadata.Name, phase.Metadata.Name, res.CurId(), direct, norm)
					}
					want, err := yamlv2.Marshal(norm)
					if err != nil {
						t.Fatal(err)
					}
					got, ok := printer.Print(norm.(map[string]interface{}))
					if !ok {
						t.Errorf("%s at %s: %s: the printer leaves it to yaml.v2", env.Metadata.Name, phase.Metadata.Name, res.CurId())
						continue
					}
					if !bytes.Equal(got, want) {
						t.Errorf("%s at %s: %s: printer differs from yaml.v2:\n--- printer\n%s\n--- yaml.v2\n%s", env.Metadata.Name, phase.Metadata.Name, res.CurId(), got, want)
					}
					objects++
				}
			}
		}
	}
	t.Logf("%d objects compared", objects)
}
