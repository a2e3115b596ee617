// Package base reads the workload's Kustomize base (templates/base): its
// files, to be copied into every generated tree, and the StatefulSet whose
// containers and volume claims the planner and the gates need.
package base

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
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
}

// Load reads every regular file under base/ of fsys (the templates
// directory) and parses the resources its kustomization.yaml lists.
func Load(fsys fs.FS) (*Base, error) {
	b := &Base{Files: fileset.Set{}, StatefulSets: map[string]*appsv1.StatefulSet{}}
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
	for _, r := range slices.Concat(k.Resources, k.Components, k.Bases) {
		if !b.local(r) {
			return nil, fmt.Errorf("reading templates base: base/kustomization.yaml: %q is not a file or directory of the base: remote and out-of-tree resources are not allowed (phasegen never fetches anything)", r)
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
	return b, nil
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
	for n, s := range m.StatefulSets {
		b.StatefulSets[n] = s
	}
	return nil
}

// WorkloadNames returns the names of the base's StatefulSets, sorted.
func (b *Base) WorkloadNames() []string {
	names := make([]string, 0, len(b.StatefulSets))
	for n := range b.StatefulSets {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Workload returns the StatefulSet called name, with a message listing what
// the base has when it is missing.
func (b *Base) Workload(name string) (*appsv1.StatefulSet, error) {
	if s, ok := b.StatefulSets[name]; ok {
		return s, nil
	}
	return nil, fmt.Errorf("workload %q: no StatefulSet of that name in the templates base (have: %s)", name, strings.Join(b.WorkloadNames(), ", "))
}

// MainContainer returns the StatefulSet's container named like it, or its
// first container.
func MainContainer(s *appsv1.StatefulSet) (*corev1.Container, error) {
	cs := s.Spec.Template.Spec.Containers
	for i := range cs {
		if cs[i].Name == s.Name {
			return &cs[i], nil
		}
	}
	if len(cs) == 0 {
		return nil, fmt.Errorf("statefulset %q has no containers", s.Name)
	}
	return &cs[0], nil
}

// StoragePerPod sums the storage requests of the StatefulSet's
// volumeClaimTemplates: what every pod adds in persistent volumes.
func StoragePerPod(s *appsv1.StatefulSet) resource.Quantity {
	var total resource.Quantity
	for _, vct := range s.Spec.VolumeClaimTemplates {
		if q, ok := vct.Spec.Resources.Requests[corev1.ResourceStorage]; ok {
			total.Add(q)
		}
	}
	return total
}

// KeepsVolumesOnScaleDown reports whether the StatefulSet keeps the volume
// claims of the pods a scale-down removes: unless its
// persistentVolumeClaimRetentionPolicy.whenScaled is Delete (the default is
// Retain), a peak's volumes stay, and are paid for, until someone deletes them.
func KeepsVolumesOnScaleDown(s *appsv1.StatefulSet) bool {
	p := s.Spec.PersistentVolumeClaimRetentionPolicy
	return p == nil || p.WhenScaled != appsv1.DeletePersistentVolumeClaimRetentionPolicyType
}
