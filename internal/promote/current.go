package promote

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path"
	"slices"
	"strconv"
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
	"github.com/coditect/phasegen/internal/secret"
	"github.com/go-git/go-git/v5/plumbing"
)

// current is what the target holds for an environment, read with a number
// of calls that does not grow with the workloads: the overlay's
// kustomization.yaml (which names the phase); and, without --appset, the
// environment's Application (whose namespace the move gate compares; with
// --appset the ApplicationSet read by useAppSet tells). heldTree then lists
// the overlay's folder and the base's and reads only the files that differ
// from the local render of that phase.
type current struct {
	kustomization []byte // nil: the target has no overlay for the environment
	phase         string
	appNamespace  string // metadata.namespace of the Application held; "" when none is
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
	case errors.Is(err, gitops.ErrNoBranch):
		return c, noBranch(ctx, t, env)
	case err != nil:
		return c, fmt.Errorf("reading the current phase from %s on %s: %w", kpath, g.Branch, err)
	}
	c.kustomization = data
	if c.phase, err = PhaseOf(data); err != nil {
		return c, fmt.Errorf("%s on %s: %w", kpath, g.Branch, err)
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

// noBranch says that the environment's branch is not in the repository,
// and which branches are, when the target can list them.
func noBranch(ctx context.Context, t gitops.Repo, env *config.Environment) error {
	have := ""
	if b, ok := t.(gitops.Brancher); ok {
		if names, err := b.Branches(ctx); err == nil {
			have = fmt.Sprintf(" (it has: %s)", strings.Join(names, ", "))
			if len(names) == 0 {
				have = " (it has none)"
			}
		}
	}
	return fmt.Errorf("branch %q does not exist in the GitOps repository%s: set spec.gitops.branch in %s to the branch Argo CD reads: %w",
		env.Spec.GitOps.Branch, have, env.Source.File, gitops.ErrNoBranch)
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

// heldTree returns the environment's overlay and the base as the target
// holds them, from local, the local render of the phase it holds: each
// folder (the overlay's, and the base's that declare workloads) is listed once, and only
// the files whose blob differs from the local one, or that the local
// render lacks, are read; a local file the target lacks is dropped. So the
// calls do not grow with the workloads: an unchanged tree costs one
// listing a folder. A target that cannot list gives local with the held
// kustomization, as it is.
func heldTree(ctx context.Context, t gitops.Repo, g config.GitOps, env string, local fileset.Set, kustomization []byte) (fileset.Set, error) {
	held := local.Clone()
	kpath := path.Join(overlay.EnvDir(env), overlay.KustomizationFile)
	held[kpath] = kustomization
	lister, ok := t.(gitops.Lister)
	if !ok {
		return held, nil
	}
	// The overlay's folder, and the base's folders that declare workloads
	// (one for a flat base): what the gates compare. Other base files are
	// taken as local.
	dirs := map[string]bool{overlay.EnvDir(env): true}
	for _, f := range workloadFiles(local) {
		dirs[path.Dir(f)] = true
	}
	for _, dir := range slices.Sorted(maps.Keys(dirs)) {
		listed, err := lister.ListDir(ctx, g.Branch, path.Join(g.Path, dir))
		if err != nil {
			return nil, fmt.Errorf("listing %s on %s: %w", dir, g.Branch, err)
		}
		for p := range local {
			if path.Dir(p) == dir && listed[path.Base(p)] == "" {
				delete(held, p)
			}
		}
		for _, name := range slices.Sorted(maps.Keys(listed)) {
			if secret.Escape(name) != name {
				// Such a name can forge lines of any message that shows it.
				return nil, fmt.Errorf("%s on %s holds a file named %s, with control characters, which phasegen never writes: remove it from the GitOps repository", dir, g.Branch, strconv.Quote(name))
			}
			p := path.Join(dir, name)
			data, have := local[p]
			if p == kpath || (have && listed[name] == plumbing.ComputeHash(plumbing.BlobObject, data).String()) {
				continue
			}
			if held[p], err = t.ReadFile(ctx, g.Branch, path.Join(g.Path, p)); err != nil {
				return nil, fmt.Errorf("reading %s on %s: %w", p, g.Branch, err)
			}
		}
	}
	return held, nil
}

// workloadFiles returns the base files of tree (paths under base.Dir) that
// declare a Deployment or a StatefulSet, sorted.
func workloadFiles(tree fileset.Set) []string {
	var out []string
	for _, p := range tree.Paths() {
		if !strings.HasPrefix(p, base.Dir+"/") || (!strings.HasSuffix(p, ".yaml") && !strings.HasSuffix(p, ".yml")) {
			continue
		}
		if m, err := manifest.Decode(tree[p], manifest.Lenient); err == nil && len(m.StatefulSets)+len(m.Deployments) > 0 {
			out = append(out, p)
		}
	}
	return out
}

// buildCurrent builds the environment at from as the target holds it
// (heldTree), so a change since the last promotion (a grown volume, a new
// selector, a workload gone from the base, an HPA gone from the phase)
// shows up. When that tree does not build, it falls back to the local
// render and says so in a note.
func buildCurrent(ctx context.Context, o Options, env *config.Environment, from *config.Phase, cur current) ([]byte, []string, error) {
	local, err := overlay.Render(overlay.Input{Config: o.Config, Base: o.Base, Env: env, Phase: from})
	if err != nil {
		return nil, nil, fmt.Errorf("rendering %s at its current phase %s: %w", env.Metadata.Name, from.Metadata.Name, err)
	}
	dir := overlay.EnvDir(env.Metadata.Name)
	held, err := heldTree(ctx, o.Target, env.Spec.GitOps, env.Metadata.Name, local, cur.kustomization)
	if err != nil {
		return nil, nil, err
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
