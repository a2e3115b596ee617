// Package kbuild runs `kustomize build` in process: krusty over an in-memory
// file system, legacy resource order and plugins disabled, so its output is
// byte for byte what `kubectl kustomize` (and Argo CD) produce from the same
// tree on disk.
package kbuild

import (
	"fmt"
	"path"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/coditect/phasegen/internal/fileset"
)

// root is where the file set is laid in the in-memory file system.
const root = "/tree"

// Options returns the krusty options Build uses: the defaults with the legacy
// resource order (what `kubectl kustomize` applies when the kustomization sets
// no sortOptions) and builtin plugins only.
func Options() *krusty.Options {
	o := krusty.MakeDefaultOptions()
	o.Reorder = krusty.ReorderOptionLegacy
	o.PluginConfig = types.DisabledPluginConfig()
	o.LoadRestrictions = types.LoadRestrictionsRootOnly
	o.AddManagedbyLabel = false
	return o
}

// Build lays files (slash-separated paths relative to the tree's top) in an
// in-memory file system and builds the kustomization in dir (e.g.
// "overlays/production"), returning the YAML stream `kubectl kustomize dir`
// prints.
func Build(files fileset.Set, dir string) ([]byte, error) {
	if !fileset.ValidPath(dir) {
		return nil, fmt.Errorf("kustomize build: %q is not a relative path inside the tree", dir)
	}
	fs := filesys.MakeFsInMemory()
	for _, p := range files.Paths() {
		if !fileset.ValidPath(p) {
			return nil, fmt.Errorf("kustomize build: file %q is not a relative path inside the tree", p)
		}
		if err := fs.WriteFile(path.Join(root, p), files[p]); err != nil {
			return nil, fmt.Errorf("kustomize build: %w", err)
		}
	}
	return run(fs, path.Join(root, dir), dir)
}

func run(fs filesys.FileSystem, abs, dir string) ([]byte, error) {
	schemaOnce.Do(initSchema)
	m, err := krusty.MakeKustomizer(Options()).Run(fs, abs)
	if err != nil {
		return nil, fmt.Errorf("kustomize build %s: %w", dir, err)
	}
	out, err := asYAML(m)
	if err != nil {
		return nil, fmt.Errorf("kustomize build %s: %w", dir, err)
	}
	return out, nil
}
