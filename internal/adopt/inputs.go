// Package adopt starts a configuration for an app that runs today: from
// its manifests (a Kustomize directory, YAML files, or directories of
// them) it writes templates/base (the inputs, less the HPAs phasegen will
// render), a CapacityModel naming each workload's container, one Phase
// sizing every workload as the inputs do, and one Environment, so that
// rendering and building that environment gives the inputs back with only
// phasegen's additions. It refuses what it cannot carry over rather than
// guess, and says what it skipped.
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

// MaxFileSize caps each input file.
const MaxFileSize = 1 << 20

// object is one input object, as decoded.
type object struct {
	doc    map[string]any
	source string // the file (and document) it came from
}

func (o object) kind() string { s, _ := o.doc["kind"].(string); return s }

func (o object) meta() map[string]any { m, _ := o.doc["metadata"].(map[string]any); return m }

func (o object) name() string { s, _ := o.meta()["name"].(string); return s }

func (o object) namespace() string { s, _ := o.meta()["namespace"].(string); return s }

func (o object) String() string { return o.kind() + "/" + o.name() }

// read returns the objects of every path: a directory holding a
// kustomization is built with kustomize, another directory read for its
// YAML files (in name order, recursively), a file read as it is.
func read(paths []string) ([]object, error) {
	if len(paths) == 0 {
		return nil, errors.New("no inputs: name the manifests of the app as it runs today")
	}
	var out []object
	for _, p := range paths {
		objs, err := readPath(p)
		if err != nil {
			return nil, err
		}
		out = append(out, objs...)
	}
	return out, nil
}

func readPath(p string) ([]object, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("input %s: %w", p, err)
	}
	if !fi.IsDir() {
		data, err := readCapped(p)
		if err != nil {
			return nil, err
		}
		return decode(p, data)
	}
	for _, k := range []string{"kustomization.yaml", "kustomization.yml", "Kustomization"} {
		if _, err := os.Stat(filepath.Join(p, k)); err == nil {
			return build(p)
		}
	}
	var out []object
	err = filepath.WalkDir(p, func(f string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !(strings.HasSuffix(f, ".yaml") || strings.HasSuffix(f, ".yml")) {
			return nil
		}
		data, err := readCapped(f)
		if err != nil {
			return err
		}
		objs, err := decode(f, data)
		out = append(out, objs...)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func readCapped(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("input %s: %w", p, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("input %s: %w", p, err)
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("input %s: larger than %d bytes", p, MaxFileSize)
	}
	return data, nil
}

// build runs kustomize on dir as `kubectl kustomize` does.
func build(dir string) ([]object, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	m, err := krusty.MakeKustomizer(kbuild.Options()).Run(filesys.MakeFsOnDisk(), abs)
	if err != nil {
		return nil, fmt.Errorf("input %s: kustomize build: %w", dir, err)
	}
	data, err := m.AsYaml()
	if err != nil {
		return nil, fmt.Errorf("input %s: %w", dir, err)
	}
	return decode(dir+" (kustomize build)", data)
}

// decode reads the documents of one file: objects, and the items of a
// kind: List; empty documents and comments are skipped.
func decode(file string, data []byte) ([]object, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var out []object
	for i := 1; ; i++ {
		var doc map[string]any
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("input %s: document %d: %w", file, i, err)
		}
		if doc == nil {
			continue
		}
		src := fmt.Sprintf("%s, document %d", file, i)
		if k, _ := doc["kind"].(string); k == "List" || (strings.HasSuffix(k, "List") && doc["items"] != nil) {
			items, _ := doc["items"].([]any)
			for j, it := range items {
				m, ok := it.(map[string]any)
				if !ok {
					return nil, fmt.Errorf("input %s: item %d of the List is not an object", src, j+1)
				}
				out = append(out, object{doc: m, source: fmt.Sprintf("%s, item %d", src, j+1)})
			}
			continue
		}
		out = append(out, object{doc: doc, source: src})
	}
}

// check refuses objects without a kind or a name, and the same object
// twice.
func check(objs []object) error {
	seen := map[string]string{}
	for _, o := range objs {
		if o.kind() == "" || o.name() == "" {
			return fmt.Errorf("input %s: an object needs kind and metadata.name", o.source)
		}
		if prev, ok := seen[o.String()]; ok {
			return fmt.Errorf("input %s: %s is already in %s", o.source, o, prev)
		}
		seen[o.String()] = o.source
	}
	return nil
}

// clean drops what a cluster adds to an object it serves (status, uid,
// resourceVersion, managedFields, kubectl's last-applied annotation), so
// that objects exported with kubectl get -o yaml read as written; it
// reports whether it dropped anything.
func clean(o object) bool {
	dropped := false
	if _, ok := o.doc["status"]; ok {
		delete(o.doc, "status")
		dropped = true
	}
	md := o.meta()
	for _, k := range []string{"uid", "resourceVersion", "generation", "creationTimestamp", "managedFields", "selfLink"} {
		if _, ok := md[k]; ok {
			delete(md, k)
			dropped = true
		}
	}
	if ann, ok := md["annotations"].(map[string]any); ok {
		if _, ok := ann["kubectl.kubernetes.io/last-applied-configuration"]; ok {
			delete(ann, "kubectl.kubernetes.io/last-applied-configuration")
			dropped = true
		}
		if len(ann) == 0 {
			delete(md, "annotations")
		}
	}
	return dropped
}

func sortedObjects(objs []object) []object {
	out := slices.Clone(objs)
	slices.SortStableFunc(out, func(a, b object) int { return strings.Compare(a.String(), b.String()) })
	return out
}
