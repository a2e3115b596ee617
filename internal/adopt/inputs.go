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
	"unicode"

	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/api/validation/path"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/coditect/phasegen/internal/base"
	"github.com/coditect/phasegen/internal/secret"
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
	if kustomizationIn(p) != "" {
		return build(p)
	}
	var out []object
	read := 0
	err = filepath.WalkDir(p, func(f string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !(strings.HasSuffix(f, ".yaml") || strings.HasSuffix(f, ".yml")) {
			return nil
		}
		if read++; read > MaxTreeFiles {
			return fmt.Errorf("input %s: more than %d YAML files", p, MaxTreeFiles)
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

// readCapped reads a regular file of at most MaxFileSize bytes. Anything
// else is refused before it is opened: a FIFO would block init until a
// writer came, a device could be read without end.
func readCapped(p string) ([]byte, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("input %s: %w", p, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("input %s: not a regular file (%s)", p, fi.Mode().Type())
	}
	if fi.Size() > MaxFileSize {
		return nil, fmt.Errorf("input %s: larger than %d bytes", p, MaxFileSize)
	}
	f, err := os.OpenFile(p, os.O_RDONLY|syscallNonblock, 0)
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

// check refuses objects without a kind or a name, names the API server
// would refuse (which init would also make file names of), and the same
// object twice.
func check(objs []object) error {
	seen := map[string]string{}
	for _, o := range objs {
		if o.kind() == "" || o.name() == "" {
			return fmt.Errorf("input %s: an object needs kind and metadata.name", o.source)
		}
		if err := checkName(o); err != nil {
			return fmt.Errorf("input %s: %s: %w", o.source, secret.Escape(o.String()), err)
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
	if o.kind() == "Service" {
		// An address the cluster assigned: another environment's Service
		// (another namespace, or cluster) could not take it.
		if spec, ok := o.doc["spec"].(map[string]any); ok {
			if ip, _ := spec["clusterIP"].(string); ip != "" && ip != "None" {
				delete(spec, "clusterIP")
				delete(spec, "clusterIPs")
				dropped = true
			}
		}
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

// checkName refuses a name the API server would: one that is no path
// segment (with "/", "%", or "." or ".."), or holds a control character; a
// workload's must be a DNS-1123 subdomain, and a namespace a DNS-1123
// label.
func checkName(o object) error {
	n := o.name()
	if msgs := path.ValidatePathSegmentName(n, false); len(msgs) > 0 || strings.ContainsFunc(n, unicode.IsControl) || strings.ContainsAny(n, " \t") {
		return fmt.Errorf("metadata.name %q is not a name the API server accepts", secret.Escape(n))
	}
	switch o.kind() {
	case base.KindDeployment, base.KindStatefulSet:
		if msgs := validation.IsDNS1123Subdomain(n); len(msgs) > 0 {
			return fmt.Errorf("metadata.name %q is not a DNS-1123 subdomain: %s", n, strings.Join(msgs, "; "))
		}
	}
	if ns := o.namespace(); ns != "" {
		if msgs := validation.IsDNS1123Label(ns); len(msgs) > 0 {
			return fmt.Errorf("metadata.namespace %q is not a DNS-1123 label", secret.Escape(ns))
		}
	}
	return nil
}

func sortedObjects(objs []object) []object {
	out := slices.Clone(objs)
	slices.SortStableFunc(out, func(a, b object) int { return strings.Compare(a.String(), b.String()) })
	return out
}
