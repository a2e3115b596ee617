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
	"github.com/coditect/phasegen/internal/layout"
	"github.com/coditect/phasegen/internal/manifest"
	"github.com/coditect/phasegen/internal/overlay"
	"github.com/coditect/phasegen/internal/secret"
	"github.com/go-git/go-git/v5/plumbing"
)

// current is what the target holds for an environment, read with a number
// of calls that does not grow with the workloads or the repository: one
// listing of the whole GitOps branch (paths and blob ids, no content),
// then the environment's owner record, its overlay's kustomization.yaml
// (which names the phase) and its Application. heldTree then reads only
// the files of its tree that differ from the local render of that phase.
type current struct {
	list map[string]string // every file of the GitOps branch, by path from the top
	// tree is the folder, from the repository's top, the environment's
	// overlay and base are held in: its own tree, or gitops.path itself in
	// the previous layout.
	tree          string
	previous      bool   // held in the previous layout (one base for the app's environments)
	kustomization []byte // nil: the target has no overlay for the environment
	phase         string
	app           heldApp // the Application held; zero when none is
}

// heldApp is what the promotion needs of the Application the target holds.
type heldApp struct {
	name, namespace string // "" when none is held
}

// readCurrent reads the environment's state on the GitOps branch, and
// refuses a tree that is not this environment's to write; app says
// whether to read its Application file (not with --appset).
func readCurrent(ctx context.Context, t gitops.Repo, env *config.Environment, app bool) (current, error) {
	var c current
	g := env.Spec.GitOps
	lister, ok := t.(gitops.Lister)
	if !ok {
		return c, errors.New("promote: the target cannot list its files")
	}
	list, err := lister.ListTree(ctx, g.Branch, "")
	switch {
	case errors.Is(err, gitops.ErrNoBranch):
		return c, noBranch(ctx, t, env)
	case err != nil:
		return c, fmt.Errorf("listing %s: %w", g.Branch, err)
	}
	c.list = list
	if err := checkTree(ctx, t, env, list, &c); err != nil {
		return c, err
	}
	if c.kustomization == nil {
		return c, nil
	}
	kpath := path.Join(c.tree, overlay.EnvDir(env.Metadata.Name), overlay.KustomizationFile)
	if c.phase, err = PhaseOf(c.kustomization); err != nil {
		return c, fmt.Errorf("%s on %s: %w", kpath, g.Branch, err)
	}
	if !app {
		return c, nil
	}
	apath := path.Join(g.Path, layout.Application(env.Metadata.Name))
	if _, held := list[apath]; !held {
		return c, nil
	}
	data, err := t.ReadFile(ctx, g.Branch, apath)
	if err != nil {
		return c, fmt.Errorf("reading the current Application from %s on %s: %w", apath, g.Branch, err)
	}
	if c.app, err = applicationOf(data, env, c.previous); err != nil {
		return c, fmt.Errorf("%s on %s: %w", apath, g.Branch, err)
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
				b := env.Spec.GitOps.Branch
				return fmt.Errorf("the GitOps repository is empty (it has no commit, so no branch %q yet): give it a first commit on %s, for example\n"+
					"  git commit --allow-empty -m 'initial commit' && git push origin HEAD:%s\n"+
					"then promote again: %w", b, b, b, gitops.ErrNoBranch)
			}
		}
	}
	return fmt.Errorf("branch %q does not exist in the GitOps repository%s: set spec.gitops.branch in %s to the branch Argo CD reads: %w",
		env.Spec.GitOps.Branch, have, env.Source.File, gitops.ErrNoBranch)
}

// applicationOf reads the Application file a target holds for env: its
// name and namespace (argocd.Namespace when it has none, where Argo CD
// looks by default). One whose source is not env's overlay (in the
// previous layout when previous) is another app's, and refused.
func applicationOf(data []byte, env *config.Environment, previous bool) (heldApp, error) {
	var app struct {
		Kind     string `json:"kind"`
		Metadata struct {
			Name      string `json:"name"`
			Namespace string `json:"namespace"`
		} `json:"metadata"`
		Spec struct {
			Source struct {
				Path string `json:"path"`
			} `json:"source"`
		} `json:"spec"`
	}
	if err := sigsyaml.Unmarshal(data, &app); err != nil {
		return heldApp{}, fmt.Errorf("not YAML: %w", err)
	}
	if app.Kind != argocd.KindApplication {
		return heldApp{}, fmt.Errorf("kind %q, want %s: not written by phasegen, or edited by hand", app.Kind, argocd.KindApplication)
	}
	want := argocd.SourcePath(env)
	if previous {
		want = argocd.PreviousSourcePath(env)
	}
	if app.Spec.Source.Path != want {
		return heldApp{}, fmt.Errorf("the Application %s there deploys %s, not %s: it is not environment %s of app %s, so phasegen will not replace it (give this app's environments their own spec.gitops.path)",
			app.Metadata.Name, app.Spec.Source.Path, want, env.Metadata.Name, env.App)
	}
	h := heldApp{name: app.Metadata.Name, namespace: app.Metadata.Namespace}
	if h.namespace == "" {
		h.namespace = argocd.Namespace
	}
	return h, nil
}

// heldTree returns the environment's overlay and the base as the target
// holds them (in cur.tree), from local, the local render of the phase it
// holds: the listing tells which of the overlay's files, and of the base's
// folders that declare workloads, differ from the local ones, and only
// those are read; a local file the target lacks is dropped. So the calls
// do not grow with the workloads: an unchanged tree costs no read.
func heldTree(ctx context.Context, t gitops.Repo, g config.GitOps, env string, local fileset.Set, cur current) (fileset.Set, error) {
	held := local.Clone()
	kpath := path.Join(overlay.EnvDir(env), overlay.KustomizationFile)
	held[kpath] = cur.kustomization
	listed := layout.Under(cur.list, cur.tree)
	// The overlay's folder, and the base's folders that declare workloads
	// (one for a flat base): what the gates compare. Other base files are
	// taken as local.
	dirs := map[string]bool{overlay.EnvDir(env): true}
	for _, f := range workloadFiles(local) {
		dirs[path.Dir(f)] = true
	}
	for p := range local {
		if dirs[path.Dir(p)] && listed[p] == "" {
			delete(held, p)
		}
	}
	for _, p := range slices.Sorted(maps.Keys(listed)) {
		if !dirs[path.Dir(p)] {
			continue
		}
		if name := path.Base(p); secret.Escape(name) != name {
			// Such a name can forge lines of any message that shows it.
			return nil, fmt.Errorf("%s on %s holds a file named %s, with control characters, which phasegen never writes: remove it from the GitOps repository", path.Dir(p), g.Branch, strconv.Quote(name))
		}
		data, have := local[p]
		if p == kpath || (have && listed[p] == plumbing.ComputeHash(plumbing.BlobObject, data).String()) {
			continue
		}
		var err error
		if held[p], err = t.ReadFile(ctx, g.Branch, path.Join(cur.tree, p)); err != nil {
			return nil, fmt.Errorf("reading %s on %s: %w", p, g.Branch, err)
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
	held, err := heldTree(ctx, o.Target, env.Spec.GitOps, env.Metadata.Name, local, cur)
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
