package adopt

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/coditect/phasegen/internal/kbuild"
)

// Bounds of a Kustomize directory read as an input: every file is capped at
// MaxFileSize, and what one directory (with the directories it refers to)
// holds is capped in bytes and files, so no input can make init read
// without end.
const (
	MaxTreeBytes = 64 << 20
	MaxTreeFiles = 10000
	// maxKustomizationDepth bounds the chain of kustomizations referring
	// to others.
	maxKustomizationDepth = 32
)

// kustomizationNames are the file names kustomize reads a kustomization from.
var kustomizationNames = []string{"kustomization.yaml", "kustomization.yml", "Kustomization"}

// kustomizationIn returns the kustomization file of dir, or "".
func kustomizationIn(dir string) string {
	for _, k := range kustomizationNames {
		if fi, err := os.Lstat(filepath.Join(dir, k)); err == nil && fi.Mode().IsRegular() {
			return filepath.Join(dir, k)
		}
	}
	return ""
}

// build runs kustomize on dir as `kubectl kustomize` does, but never over
// the network: every kustomization it reaches is read first, and one that
// names a remote resource, base or component (a URL, a git repository) or
// one that does not exist on disk (which kustomize would try to clone) is
// refused at its file and line. The files are then copied, within the
// bounds above, into memory, and kustomize builds from there.
func build(dir string) ([]object, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	t := &tree{fs: filesys.MakeFsInMemory(), seen: map[string]bool{}}
	if err := t.visit(abs, 0); err != nil {
		return nil, fmt.Errorf("input %s: %w", dir, err)
	}
	m, err := krusty.MakeKustomizer(kbuild.Options()).Run(t.fs, abs)
	if err != nil {
		return nil, fmt.Errorf("input %s: kustomize build: %w", dir, err)
	}
	data, err := m.AsYaml()
	if err != nil {
		return nil, fmt.Errorf("input %s: %w", dir, err)
	}
	return decode(dir+" (kustomize build)", data)
}

// tree is the in-memory copy of the directories a build reads.
type tree struct {
	fs    filesys.FileSystem
	seen  map[string]bool // directories copied
	bytes int64
	files int
}

// visit checks the kustomization of dir and what it refers to, and copies
// dir's files.
func (t *tree) visit(dir string, depth int) error {
	if depth > maxKustomizationDepth {
		return fmt.Errorf("%s: kustomizations refer to one another more than %d deep", dir, maxKustomizationDepth)
	}
	if t.seen[dir] {
		return nil
	}
	t.seen[dir] = true
	kfile := kustomizationIn(dir)
	if kfile == "" {
		return fmt.Errorf("%s: no kustomization.yaml", dir)
	}
	data, err := readCapped(kfile)
	if err != nil {
		return err
	}
	refs, err := kustomizationRefs(kfile, data)
	if err != nil {
		return err
	}
	if err := t.copyDir(dir); err != nil {
		return err
	}
	for _, r := range refs {
		p := filepath.Join(dir, filepath.FromSlash(r.value))
		fi, err := os.Lstat(p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return fmt.Errorf("%s:%d: %s: %q does not exist on disk: kustomize would try to fetch it as a remote repository, and phasegen init never fetches anything; vendor it into the directory first", kfile, r.line, r.field, r.value)
		case err != nil:
			return fmt.Errorf("%s:%d: %s: %w", kfile, r.line, r.field, err)
		case fi.IsDir():
			if err := t.visit(p, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

// copyDir copies the regular files under dir (no .git, no links, no
// FIFOs or devices) into memory, within the tree's bounds.
func (t *tree) copyDir(dir string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == ".git" {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("%s: not a regular file (links, FIFOs and devices are not read)", p)
		}
		if t.fs.Exists(p) {
			return nil
		}
		data, err := readCapped(p)
		if err != nil {
			return err
		}
		t.files++
		t.bytes += int64(len(data))
		switch {
		case t.files > MaxTreeFiles:
			return fmt.Errorf("%s: more than %d files to read", dir, MaxTreeFiles)
		case t.bytes > MaxTreeBytes:
			return fmt.Errorf("%s: more than %d bytes to read", dir, MaxTreeBytes)
		}
		return t.fs.WriteFile(p, data)
	})
}

// ref is a resource, base or component a kustomization names.
type ref struct {
	field, value string
	line         int
}

// Fields of a kustomization that name files or directories kustomize
// loads: a list of paths, a list of objects with a path, or an object
// with one.
var (
	pathLists  = []string{"resources", "bases", "components", "patchesStrategicMerge", "configurations", "crds", "generators", "transformers", "validators"}
	pathItems  = []string{"patches", "patchesJson6902", "replacements"}
	generators = []string{"configMapGenerator", "secretGenerator"}
	refFields  = []string{"resources", "bases", "components"}
)

// kustomizationRefs checks a kustomization for anything kustomize would
// fetch (a URL or a git repository in any field that names a file, a Helm
// chart) and returns the entries of its resources, bases and components.
func kustomizationRefs(file string, data []byte) ([]ref, error) {
	var root yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&root); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if len(root.Content) == 0 || root.Content[0].Kind != yaml.MappingNode {
		return nil, nil
	}
	doc := root.Content[0]
	var out []ref
	for i := 0; i+1 < len(doc.Content); i += 2 {
		key, val := doc.Content[i].Value, doc.Content[i+1]
		if key == "helmCharts" || key == "helmChartInflationGenerator" || key == "helmGlobals" {
			return nil, fmt.Errorf("%s:%d: %s: Helm charts are fetched and rendered outside kustomize's own files; render the chart to YAML first and give init that", file, doc.Content[i].Line, key)
		}
		for _, n := range pathsOf(key, val) {
			if remote(n.Value) {
				return nil, fmt.Errorf("%s:%d: %s: %q is a remote reference: phasegen init never fetches anything (kustomize would download it); vendor it into the directory and refer to it by a relative path", file, n.Line, key, n.Value)
			}
			if slices.Contains(refFields, key) {
				out = append(out, ref{field: key, value: n.Value, line: n.Line})
			}
		}
	}
	return out, nil
}

// pathsOf returns the scalars of a kustomization's field val (named key)
// that name a file or directory.
func pathsOf(key string, val *yaml.Node) []*yaml.Node {
	var out []*yaml.Node
	scalar := func(n *yaml.Node) {
		// An inline document (a patch, a transformer's config) is no path.
		if n != nil && n.Kind == yaml.ScalarNode && !strings.Contains(n.Value, "\n") {
			out = append(out, n)
		}
	}
	switch {
	case slices.Contains(pathLists, key):
		for _, e := range val.Content {
			scalar(e)
		}
	case slices.Contains(pathItems, key):
		for _, e := range val.Content {
			scalar(field(e, "path"))
		}
	case key == "openapi":
		scalar(field(val, "path"))
	case slices.Contains(generators, key):
		for _, e := range val.Content {
			for _, f := range []string{"files", "envs"} {
				if l := field(e, f); l != nil {
					for _, x := range l.Content {
						scalar(x)
					}
				}
			}
			scalar(field(e, "env"))
		}
	}
	return out
}

// field returns the value of key in the mapping n, or nil.
func field(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// remoteHosts start the git repositories kustomize clones without a scheme.
var remoteHosts = []string{"github.com/", "gitlab.com/", "bitbucket.org/", "git@", "git::", "gh:", "ssh:"}

// remote reports whether a path kustomize loads would be fetched: a URL,
// or a git repository by host (a generator's "key=path" included).
func remote(v string) bool {
	v = strings.TrimSpace(v)
	if _, p, ok := strings.Cut(v, "="); ok && !strings.Contains(v[:strings.Index(v, "=")], "/") {
		v = p
	}
	return strings.Contains(v, "://") || slices.ContainsFunc(remoteHosts, func(h string) bool { return strings.HasPrefix(v, h) })
}
