package adopt

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"
	"testing/fstest"

	"k8s.io/apimachinery/pkg/util/validation"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/coditect/phasegen/internal/base"
	"github.com/coditect/phasegen/internal/config"
	"github.com/coditect/phasegen/internal/fileset"
	"github.com/coditect/phasegen/internal/workload"
)

// Options say what to adopt and how to name it.
type Options struct {
	// App names the app (the CapacityModel's metadata.name); default the
	// one app.kubernetes.io/part-of label every workload carries, or the
	// one workload's name; never the namespace.
	App        string
	From       []string          // the manifests
	Namespace  string            // default: the inputs' namespace
	Env        string            // the Environment; default production
	Phase      string            // the Phase; default current
	GitOpsRepo string            // OWNER/NAME of the GitOps repository; default a placeholder
	Containers map[string]string // workload → the container phasegen sizes
	// Update reads the inputs for a new base only (init --update): the
	// configuration in place answers which container each workload
	// sizes, and its own checks ask what it does not answer.
	Update bool
	// Skip are the workloads phasegen leaves alone (managed: false): no
	// phase sizes them, their HPA and PDB stay in the base as they are.
	Skip []string
	// IncludeSecrets writes Secrets with their values into the base; by
	// default they are left out, and said.
	IncludeSecrets bool
	// ConfigDir and TemplatesDir are where the files go, relative to the
	// config repository's top (environments, templates).
	ConfigDir, TemplatesDir string
}

// Result is what Generate wrote (paths from the config repository's top)
// and what the user should know: what was skipped, dropped or left to set.
type Result struct {
	Files fileset.Set
	Notes []string
	// Warnings are what the user must act on: a Secret left out.
	Warnings []string

	passed []object // PDBs of no workload, for the base
}

// placeholderRepo stands in for the GitOps repository until it is set.
const placeholderRepo = "OWNER/NAME"

// Generate reads the inputs and returns the configuration that reproduces
// them, checked by loading it as phasegen will.
func Generate(o Options) (*Result, error) {
	o.defaults()
	if err := o.check(); err != nil {
		return nil, err
	}
	objs, err := read(o.From)
	if err != nil {
		return nil, err
	}
	if err := check(objs); err != nil {
		return nil, err
	}
	r := &Result{Files: fileset.Set{}}
	if o.Namespace == "" {
		if o.Namespace, err = namespaceOf(objs); err != nil {
			return nil, err
		}
	}
	a, err := classify(objs, o.Namespace, o.IncludeSecrets, r)
	if err != nil {
		return nil, err
	}
	baseDir := path.Join(o.TemplatesDir, "base")
	files, err := baseFiles(a.base)
	if err != nil {
		return nil, err
	}
	for p, data := range files {
		r.Files[path.Join(baseDir, p)] = data
	}
	b, err := base.Load(subFS(files))
	if err != nil {
		return nil, fmt.Errorf("reading the inputs as a base: %w", err)
	}
	sizes, err := o.sizings(b, a, r)
	if err != nil {
		return nil, err
	}
	if len(r.passed) > 0 {
		// PDBs that select none of the workloads stay as they are.
		if files, err = baseFiles(append(a.base, r.passed...)); err != nil {
			return nil, err
		}
		for p, data := range files {
			r.Files[path.Join(baseDir, p)] = data
		}
	}
	if o.App == "" {
		if o.App, err = appOf(a.base); err != nil {
			return nil, err
		}
	}
	r.Files[path.Join(o.ConfigDir, "capacity.yaml")] = []byte(capacityYAML(o.App, sizes))
	r.Files[path.Join(o.ConfigDir, "phases", o.Phase+".yaml")] = []byte(phaseYAML(o.Phase, sizes))
	r.Files[path.Join(o.ConfigDir, o.Env+".yaml")] = []byte(environmentYAML(o))
	if o.GitOpsRepo == placeholderRepo {
		r.Notes = append(r.Notes, fmt.Sprintf("set spec.gitops.repo in %s to the GitHub repository Argo CD reads", path.Join(o.ConfigDir, o.Env+".yaml")))
	}
	r.Notes = append(r.Notes, fmt.Sprintf("set usersPerPod for the workloads users load in %s, and spec.users in the phase, for plan to size them by users",
		path.Join(o.ConfigDir, "capacity.yaml")))
	return r, verify(o, r.Files, b)
}

// ErrAppName is wrapped when Generate cannot tell the app's name from the
// inputs and Options.App gives none.
var ErrAppName = errors.New("init cannot tell the app's name")

// partOf is the label that names the app a workload belongs to.
const partOf = "app.kubernetes.io/part-of"

// appOf names the app from the base's workloads: the one value of their
// app.kubernetes.io/part-of label when every workload carries it, else the
// name of the one workload; an error asking for the name otherwise.
func appOf(objs []object) (string, error) {
	var names []string
	values := map[string]bool{}
	unlabelled := 0
	for _, o := range objs {
		if k := o.kind(); k != "Deployment" && k != "StatefulSet" {
			continue
		}
		names = append(names, o.name())
		labels, _ := o.meta()["labels"].(map[string]any)
		if v, _ := labels[partOf].(string); v != "" {
			values[v] = true
		} else {
			unlabelled++
		}
	}
	if len(values) == 1 && unlabelled == 0 {
		for v := range values {
			if len(validation.IsDNS1123Label(v)) == 0 {
				return v, nil
			}
		}
	}
	if len(names) == 1 && len(values) == 0 && len(validation.IsDNS1123Label(names[0])) == 0 {
		return names[0], nil
	}
	sort.Strings(names)
	return "", fmt.Errorf("%w: its %d workloads, %s, carry no one %s label; the name (a DNS-1123 label) names the app's trees, branches and Argo CD Applications in the GitOps repository",
		ErrAppName, len(names), strings.Join(names, ", "), partOf)
}

func (o *Options) defaults() {
	if o.Env == "" {
		o.Env = "production"
	}
	if o.Phase == "" {
		o.Phase = "current"
	}
	if o.GitOpsRepo == "" {
		o.GitOpsRepo = placeholderRepo
	}
	if o.ConfigDir == "" {
		o.ConfigDir = "environments"
	}
	if o.TemplatesDir == "" {
		o.TemplatesDir = "templates"
	}
}

// check refuses names the configuration could not hold.
func (o *Options) check() error {
	for _, f := range []struct{ what, v string }{{"environment name", o.Env}, {"phase name", o.Phase}} {
		if errs := validation.IsDNS1123Label(f.v); len(errs) > 0 {
			return fmt.Errorf("%s %q is not a DNS-1123 label", f.what, f.v)
		}
	}
	if o.Env == config.ReservedEnvironmentName {
		return fmt.Errorf("environment name %q is reserved for the Argo CD Applications' folder", o.Env)
	}
	if o.App != "" {
		if errs := validation.IsDNS1123Label(o.App); len(errs) > 0 {
			return fmt.Errorf("app name %q is not a DNS-1123 label (at most 63 lowercase letters, digits and '-')", o.App)
		}
	}
	if o.Namespace != "" {
		if errs := validation.IsDNS1123Label(o.Namespace); len(errs) > 0 {
			return fmt.Errorf("namespace %q is not a DNS-1123 label", o.Namespace)
		}
	}
	return nil
}

// namespaceOf is the one namespace the inputs name (what controllers made
// and cluster-scoped objects aside).
func namespaceOf(objs []object) (string, error) {
	var names []string
	for _, ob := range objs {
		if controllerOf(ob) != "" || scopeOf(ob) != namespaced {
			continue
		}
		if ns := ob.namespace(); ns != "" && !slices.Contains(names, ns) {
			names = append(names, ns)
		}
	}
	switch len(names) {
	case 0:
		return "", fmt.Errorf("the inputs name no namespace: give the one the app runs in")
	case 1:
		return names[0], nil
	}
	slices.Sort(names)
	return "", fmt.Errorf("the inputs name %d namespaces (%s), and an environment deploys to one: give the namespace", len(names), strings.Join(names, ", "))
}

// baseFiles are the base's files: each object in a file of its own,
// <kind>-<name>.yaml, and a kustomization.yaml listing them.
func baseFiles(objs []object) (fileset.Set, error) {
	out := fileset.Set{}
	var names []string
	for _, ob := range sortedObjects(objs) {
		data, err := sigsyaml.Marshal(ob.doc)
		if err != nil {
			return nil, fmt.Errorf("input %s: %w", ob.source, err)
		}
		name := strings.ToLower(ob.kind()) + "-" + ob.name() + ".yaml"
		out[name] = data
		names = append(names, name)
	}
	k := "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n"
	for _, n := range names {
		k += "- " + n + "\n"
	}
	out["kustomization.yaml"] = []byte(k)
	return out, nil
}

// subFS serves a base's files as templates.FS does: under base/.
func subFS(files fileset.Set) fstest.MapFS {
	m := fstest.MapFS{}
	for p, data := range files {
		m["base/"+p] = &fstest.MapFile{Data: data}
	}
	return m
}

// verify loads the configuration as phasegen will, against the base: what
// init writes must be a configuration phasegen accepts.
func verify(o Options, files fileset.Set, b *base.Base) error {
	// Under a folder of its own: --config may be an absolute path, which an
	// fs.FS cannot hold.
	m := fstest.MapFS{}
	for p, data := range files {
		if rel, ok := strings.CutPrefix(p, o.ConfigDir+"/"); ok {
			m["config/"+rel] = &fstest.MapFile{Data: data}
		}
	}
	cfg, err := config.LoadFSFrom(m, "config", nil)
	if err == nil {
		_, err = workload.Resolve(cfg, b)
	}
	if err != nil {
		// Name the files as they would be written, not the folder above.
		msg := strings.ReplaceAll(err.Error(), "config/", o.ConfigDir+"/")
		return fmt.Errorf("phasegen init made a configuration it cannot load (a bug; please report it with the inputs): %s", msg)
	}
	return nil
}
