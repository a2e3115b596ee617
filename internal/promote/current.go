package promote

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"

	"go.yaml.in/yaml/v3"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/coditect/phasegen/internal/argocd"
	"github.com/coditect/phasegen/internal/base"
	"github.com/coditect/phasegen/internal/config"
	"github.com/coditect/phasegen/internal/fileset"
	"github.com/coditect/phasegen/internal/gitops"
	"github.com/coditect/phasegen/internal/kbuild"
	"github.com/coditect/phasegen/internal/manifest"
	"github.com/coditect/phasegen/internal/overlay"
	"github.com/go-git/go-git/v5/plumbing"
)

// current is what the target holds for an environment, read with a number
// of calls that does not grow with the workloads: the overlay's
// kustomization.yaml (which names the phase); the listing of the base
// folder holding the workloads' files (their blob ids), and only those
// files that differ from the local ones (they hold the fields the
// immutable-field gates compare); and, without --appset, the environment's
// Application (whose namespace the move gate compares; with --appset the
// ApplicationSet read by useAppSet tells).
type current struct {
	kustomization []byte // nil: the target has no overlay for the environment
	phase         string
	// workloads are the base files declaring workloads that the target
	// holds otherwise than the local base, by path from the generated
	// tree's top.
	workloads    fileset.Set
	appNamespace string // metadata.namespace of the Application held; "" when none is
}

// readCurrent reads the environment's state on the GitOps branch; app says
// whether to read its Application file (not with --appset).
func readCurrent(ctx context.Context, t gitops.Repo, env *config.Environment, b *base.Base, app bool) (current, error) {
	var c current
	g := env.Spec.GitOps
	kpath := path.Join(g.Path, overlay.EnvDir(env.Metadata.Name), overlay.KustomizationFile)
	data, err := t.ReadFile(ctx, g.Branch, kpath)
	switch {
	case errors.Is(err, gitops.ErrNotFound):
		return c, nil
	case err != nil:
		return c, fmt.Errorf("reading the current phase from %s on %s: %w", kpath, g.Branch, err)
	}
	c.kustomization = data
	if c.phase, err = PhaseOf(data); err != nil {
		return c, fmt.Errorf("%s on %s: %w", kpath, g.Branch, err)
	}
	if c.workloads, err = heldWorkloads(ctx, t, g, b); err != nil {
		return c, err
	}
	if app {
		apath := path.Join(g.Path, overlay.ApplicationPath(env.Metadata.Name))
		data, err := t.ReadFile(ctx, g.Branch, apath)
		switch {
		case errors.Is(err, gitops.ErrNotFound):
		case err != nil:
			return c, fmt.Errorf("reading the current Application from %s on %s: %w", apath, g.Branch, err)
		default:
			if c.appNamespace, err = applicationNamespace(data); err != nil {
				return c, fmt.Errorf("%s on %s: %w (the move gate compares its metadata.namespace: restore the Application phasegen wrote there)", apath, g.Branch, err)
			}
		}
	}
	return c, nil
}

// applicationNamespace returns the metadata.namespace of an Application
// file: argocd.Namespace when it has none (where Argo CD looks by default).
func applicationNamespace(data []byte) (string, error) {
	var app struct {
		Kind     string `json:"kind"`
		Metadata struct {
			Namespace string `json:"namespace"`
		} `json:"metadata"`
	}
	if err := sigsyaml.Unmarshal(data, &app); err != nil {
		return "", fmt.Errorf("not YAML: %w", err)
	}
	if app.Kind != argocd.KindApplication {
		return "", fmt.Errorf("kind %q, want %s: not written by phasegen, or edited by hand", app.Kind, argocd.KindApplication)
	}
	if app.Metadata.Namespace == "" {
		return argocd.Namespace, nil
	}
	return app.Metadata.Namespace, nil
}

// heldWorkloads reads the base files declaring workloads that the target
// holds otherwise than b: one listing per folder holding them (one, for a
// flat base) and one read per file that differs, so an unchanged base
// costs a listing whatever the number of workloads. A target that cannot
// list has each file read.
func heldWorkloads(ctx context.Context, t gitops.Repo, g config.GitOps, b *base.Base) (fileset.Set, error) {
	files := workloadFiles(b)
	dirs := map[string]map[string]string{} // folder → held blob ids by name
	lister, canList := t.(gitops.Lister)
	out := fileset.Set{}
	for _, f := range files {
		rel := path.Join(base.Dir, f)
		dir, name := path.Split(path.Join(g.Path, rel))
		if canList {
			held, ok := dirs[dir]
			if !ok {
				var err error
				if held, err = lister.ListDir(ctx, g.Branch, path.Clean(dir)); err != nil {
					return nil, fmt.Errorf("listing %s on %s: %w", path.Dir(rel), g.Branch, err)
				}
				dirs[dir] = held
			}
			sha, ok := held[name]
			if !ok || sha == plumbing.ComputeHash(plumbing.BlobObject, b.Files[f]).String() {
				continue // a new file, or the same as the local one
			}
		}
		data, err := t.ReadFile(ctx, g.Branch, path.Join(g.Path, rel))
		switch {
		case errors.Is(err, gitops.ErrNotFound):
		case err != nil:
			return nil, fmt.Errorf("reading %s on %s: %w", rel, g.Branch, err)
		default:
			out[rel] = data
		}
	}
	return out, nil
}

// workloadFiles returns the base files (relative to the base folder) that
// declare a Deployment or a StatefulSet, sorted.
func workloadFiles(b *base.Base) []string {
	var out []string
	for _, p := range b.Files.Paths() {
		if !strings.HasSuffix(p, ".yaml") && !strings.HasSuffix(p, ".yml") {
			continue
		}
		m, err := manifest.Decode(b.Files[p], manifest.Lenient)
		if err != nil {
			continue
		}
		if len(m.StatefulSets)+len(m.Deployments) > 0 {
			out = append(out, p)
		}
	}
	return out
}

// buildCurrent builds the environment at from as the target holds it: the
// local render of from with the target's kustomization.yaml and workload
// file laid over it, so a change of the base since the last promotion (a
// grown volume) shows up. When that tree does not build, it falls back to
// the local render and says so in a note.
func buildCurrent(o Options, env *config.Environment, from *config.Phase, cur current) ([]byte, []string, error) {
	local, err := overlay.Render(overlay.Input{Config: o.Config, Base: o.Base, Env: env, Phase: from})
	if err != nil {
		return nil, nil, fmt.Errorf("rendering %s at its current phase %s: %w", env.Metadata.Name, from.Metadata.Name, err)
	}
	dir := overlay.EnvDir(env.Metadata.Name)
	held := local.Clone()
	held[path.Join(dir, overlay.KustomizationFile)] = cur.kustomization
	for p, data := range cur.workloads {
		held[p] = data
	}
	built, herr := kbuild.Build(held, dir)
	if herr == nil {
		return built, nil, nil
	}
	built, err = kbuild.Build(local, dir)
	if err != nil {
		return nil, nil, fmt.Errorf("building %s at %s: %w", env.Metadata.Name, from.Metadata.Name, err)
	}
	note := fmt.Sprintf("the overlay %s holds did not build (%v); the gates and the diff compare against a local render of %s instead",
		env.Spec.GitOps.Branch, herr, from.Metadata.Name)
	return built, []string{note}, nil
}

// PhaseOf returns the phasegen.dev/phase annotation a generated
// kustomization.yaml carries, wherever it sits: in commonAnnotations, in an
// inline patch, or in any other nested map.
func PhaseOf(kustomization []byte) (string, error) {
	var doc any
	if err := yaml.Unmarshal(kustomization, &doc); err != nil {
		return "", fmt.Errorf("not YAML: %w", err)
	}
	if p, ok := findAnnotation(doc, 0); ok {
		return p, nil
	}
	return "", fmt.Errorf("no %s annotation: not written by phasegen, or edited by hand", overlay.PhaseAnnotation)
}

func findAnnotation(v any, depth int) (string, bool) {
	if depth > 16 {
		return "", false
	}
	switch x := v.(type) {
	case map[string]any:
		if p, ok := x[overlay.PhaseAnnotation].(string); ok && p != "" {
			return p, true
		}
		for _, k := range sortedKeys(x) {
			if p, ok := findAnnotation(x[k], depth+1); ok {
				return p, true
			}
		}
	case []any:
		for _, e := range x {
			if p, ok := findAnnotation(e, depth+1); ok {
				return p, true
			}
		}
	case string:
		// An inline patch is a YAML document in a string.
		if strings.Contains(x, overlay.PhaseAnnotation) {
			var doc any
			if yaml.Unmarshal([]byte(x), &doc) == nil {
				return findAnnotation(doc, depth+1)
			}
		}
	}
	return "", false
}

func sortedKeys(m map[string]any) []string {
	s := make(fileset.Set, len(m))
	for k := range m {
		s[k] = nil
	}
	return s.Paths()
}
