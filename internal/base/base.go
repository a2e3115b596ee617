// Package base reads the workload's Kustomize base (templates/base): its
// files, to be copied into every generated tree, and the StatefulSet whose
// containers and volume claims the planner and the gates need.
package base

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/labels"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/coditect/phasegen/internal/fileset"
	"github.com/coditect/phasegen/internal/manifest"
)

// Dir is the base's folder inside the templates directory and inside every
// generated tree.
const Dir = "templates/base"

// MaxFileSize caps each file of the base.
const MaxFileSize = 1 << 20

// Base is the parsed Kustomize base.
type Base struct {
	// Files are the base's files, paths relative to the base folder.
	Files fileset.Set
	// StatefulSets are the StatefulSets the base declares, by name.
	StatefulSets map[string]*appsv1.StatefulSet
	// Workloads are its Deployments and StatefulSets, by name.
	Workloads map[string]*Workload
	// Services are its Services, by name.
	Services map[string]*corev1.Service
	// PDBs are its own PodDisruptionBudgets, by name, each with the file
	// that declares it.
	PDBs map[string]PDB
	// Quotas are its ResourceQuotas, by name: the environment's namespace
	// gets them with the rest of the base.
	Quotas map[string]*corev1.ResourceQuota
	// Components are the Kustomize components of templates/components/,
	// by name, each its files by path inside it.
	Components map[string]fileset.Set
	// Objects are every object the base's resources declare, in order.
	Objects []FileObject
}

// PDB is a PodDisruptionBudget of the base and the file it is in.
type PDB struct {
	*policyv1.PodDisruptionBudget
	File string // "base/<file>"
}

// Load reads every regular file under base/ of fsys (the templates
// directory) and parses the resources its kustomization.yaml lists. Errors
// name the files under "templates/".
func Load(fsys fs.FS) (*Base, error) { return LoadNamed(fsys, "templates") }

// LoadNamed is Load with the templates directory shown as shown in errors.
func LoadNamed(fsys fs.FS, shown string) (*Base, error) {
	b := &Base{Files: fileset.Set{}, StatefulSets: map[string]*appsv1.StatefulSet{}, Workloads: map[string]*Workload{}, Services: map[string]*corev1.Service{}, PDBs: map[string]PDB{}, Quotas: map[string]*corev1.ResourceQuota{}, Components: map[string]fileset.Set{}}
	err := fs.WalkDir(fsys, "base", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("%s: not a regular file (symbolic links are not allowed in the base)", p)
		}
		data, err := readCapped(fsys, p)
		if err != nil {
			return err
		}
		b.Files[strings.TrimPrefix(p, "base/")] = data
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading templates base: %w", err)
	}
	kust, ok := b.Files["kustomization.yaml"]
	if !ok {
		return nil, errors.New("reading templates base: base/kustomization.yaml is missing")
	}
	var k struct {
		Resources  []string `json:"resources"`
		Components []string `json:"components"`
		Bases      []string `json:"bases"`
	}
	if err := sigsyaml.Unmarshal(kust, &k); err != nil {
		return nil, fmt.Errorf("reading templates base: base/kustomization.yaml: %w", err)
	}
	for _, field := range []struct {
		name string
		refs []string
	}{{"resources", k.Resources}, {"components", k.Components}, {"bases", k.Bases}} {
		for _, r := range field.refs {
			if err := b.checkRef(kust, shown, field.name, r); err != nil {
				return nil, err
			}
		}
	}
	for _, r := range k.Resources {
		data, ok := b.Files[path.Clean(r)]
		if !ok {
			continue // a directory or remote resource: not parsed here
		}
		if err := b.parse("base/"+r, data); err != nil {
			return nil, fmt.Errorf("reading templates base: %w", err)
		}
	}
	if err := b.loadComponents(fsys, shown); err != nil {
		return nil, err
	}
	return b, nil
}

// checkRef refuses a reference of the kustomization (in field) that is
// remote or out of the base, or a file or folder the base does not have,
// at the kustomization's line.
func (b *Base) checkRef(kust []byte, shown, field, r string) error {
	if b.local(r) {
		return nil
	}
	where := fmt.Sprintf("%s:%d: %s", path.Join(shown, "base", "kustomization.yaml"), lineOf(kust, r), field)
	c := path.Clean(r)
	if r == "" || path.IsAbs(r) || strings.Contains(r, "://") || c == ".." || strings.HasPrefix(c, "../") {
		return fmt.Errorf("%s: %q is not a file or directory of the base: remote and out-of-tree resources are not allowed (phasegen never fetches anything)", where, r)
	}
	return fmt.Errorf("%s: %q does not exist: there is no %s", where, r, path.Join(shown, "base", c))
}

// lineOf is the line of data that lists r (1 when none does).
func lineOf(data []byte, r string) int {
	for i, l := range strings.Split(string(data), "\n") {
		if t := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "-")); t == r || t == strconv.Quote(r) || t == "'"+r+"'" {
			return i + 1
		}
	}
	return 1
}

// local reports whether r names a file or a directory of the base.
func (b *Base) local(r string) bool {
	if r == "" || path.IsAbs(r) || strings.Contains(r, "://") {
		return false
	}
	c := path.Clean(r)
	if c == ".." || strings.HasPrefix(c, "../") {
		return false
	}
	if _, ok := b.Files[c]; ok {
		return true
	}
	for p := range b.Files {
		if c == "." || strings.HasPrefix(p, c+"/") {
			return true
		}
	}
	return false
}

func readCapped(fsys fs.FS, p string) ([]byte, error) {
	f, err := fsys.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%s: larger than %d bytes", p, MaxFileSize)
	}
	return data, nil
}

func (b *Base) parse(name string, data []byte) error {
	m, err := manifest.Decode(data, manifest.Strict)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	for _, o := range m.Objects {
		b.Objects = append(b.Objects, FileObject{APIVersion: o.APIVersion, Kind: o.Kind, Name: o.Name, File: name})
	}
	for n, s := range m.StatefulSets {
		if w, ok := b.Workloads[n]; ok {
			return fmt.Errorf("%s: StatefulSet %s: the base already has %s: two workloads of one name", name, n, w)
		}
		b.StatefulSets[n] = s
		b.Workloads[n] = statefulSetWorkload(s)
		b.Workloads[n].File = name
	}
	for n, svc := range m.Services {
		b.Services[n] = svc
	}
	for n, d := range m.Deployments {
		if w, ok := b.Workloads[n]; ok {
			return fmt.Errorf("%s: Deployment %s: the base already has %s: two workloads of one name", name, n, w)
		}
		b.Workloads[n] = deploymentWorkload(d)
		b.Workloads[n].File = name
	}
	for n, pdb := range m.PodDisruptionBudgets {
		b.PDBs[n] = PDB{PodDisruptionBudget: pdb, File: name}
	}
	maps.Copy(b.Quotas, m.ResourceQuotas)
	return nil
}

// WorkloadNames returns the names of the base's Deployments and
// StatefulSets, sorted.
func (b *Base) WorkloadNames() []string {
	names := make([]string, 0, len(b.Workloads))
	for n := range b.Workloads {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Workload returns the Deployment or StatefulSet called name, with a
// message listing what the base has when it is missing.
func (b *Base) Workload(name string) (*Workload, error) {
	if w, ok := b.Workloads[name]; ok {
		return w, nil
	}
	return nil, fmt.Errorf("%q is not a Deployment or StatefulSet of the templates base (have: %s)", name, strings.Join(b.WorkloadNames(), ", "))
}

// StickyServices are the Services of the base that select w's pods and pin
// each client to one pod (sessionAffinity: ClientIP), by name.
func (b *Base) StickyServices(w *Workload) []*corev1.Service {
	var out []*corev1.Service
	for _, n := range slices.Sorted(maps.Keys(b.Services)) {
		svc := b.Services[n]
		if svc.Spec.SessionAffinity != corev1.ServiceAffinityClientIP || len(svc.Spec.Selector) == 0 {
			continue
		}
		if labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(w.Template.Labels)) {
			out = append(out, svc)
		}
	}
	return out
}
