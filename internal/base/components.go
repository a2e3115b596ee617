package base

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	sigsyaml "sigs.k8s.io/yaml"

	"github.com/coditect/phasegen/internal/fileset"
)

// ComponentsDir is where the templates keep the Kustomize components
// environments and phases name (templates/components/<name>/).
const ComponentsDir = "templates/components"

// loadComponents reads every folder under components/ of fsys: each is a
// Kustomize Component (its kustomization.yaml says kind: Component) the user
// owns, whose references stay inside it.
func (b *Base) loadComponents(fsys fs.FS, shown string) error {
	entries, err := fs.ReadDir(fsys, "components")
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading %s/components: %w", shown, err)
	}
	for _, e := range entries {
		if !e.IsDir() {
			return fmt.Errorf("%s/components/%s: not a folder: each component is a folder with its kustomization.yaml", shown, e.Name())
		}
		c, err := readComponent(fsys, shown, e.Name())
		if err != nil {
			return err
		}
		b.Components[e.Name()] = c
	}
	return nil
}

func readComponent(fsys fs.FS, shown, name string) (fileset.Set, error) {
	dir := path.Join("components", name)
	files := fileset.Set{}
	err := fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("%s/%s: not a regular file (symbolic links are not allowed in a component)", shown, p)
		}
		data, err := readCapped(fsys, p)
		if err != nil {
			return err
		}
		files[strings.TrimPrefix(p, dir+"/")] = data
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading component %s: %w", name, err)
	}
	where := path.Join(shown, dir, "kustomization.yaml")
	kust, ok := files["kustomization.yaml"]
	if !ok {
		return nil, fmt.Errorf("%s is missing: a component is a folder with a kustomization.yaml of kind: Component", where)
	}
	var k struct {
		Kind       string   `json:"kind"`
		Resources  []string `json:"resources"`
		Components []string `json:"components"`
		Patches    []struct {
			Path string `json:"path"`
		} `json:"patches"`
	}
	if err := sigsyaml.Unmarshal(kust, &k); err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	if k.Kind != "Component" {
		return nil, fmt.Errorf("%s:%d: kind: is %q, want Component (a component changes what it is included in; a Kustomization there would be built on its own)", where, lineOf(kust, "kind: "+k.Kind), k.Kind)
	}
	refs := append(append([]string(nil), k.Resources...), k.Components...)
	for _, p := range k.Patches {
		refs = append(refs, p.Path)
	}
	for _, r := range refs {
		c := path.Clean(r)
		if r == "" || path.IsAbs(r) || strings.Contains(r, "://") || c == ".." || strings.HasPrefix(c, "../") {
			return nil, fmt.Errorf("%s:%d: %q is not a file or folder of the component: a component travels alone into each environment's GitOps tree, so it refers only to its own files", where, lineOf(kust, r), r)
		}
	}
	return files, nil
}
