package promote

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/coditect/phasegen/internal/base"
	"github.com/coditect/phasegen/internal/config"
	"github.com/coditect/phasegen/internal/fileset"
	"github.com/coditect/phasegen/internal/gitops"
	"github.com/coditect/phasegen/internal/layout"
	"github.com/coditect/phasegen/internal/manifest"
	"github.com/coditect/phasegen/internal/overlay"
)

// ErrNotOurs is wrapped by a promotion refused because the GitOps
// repository holds, where it would write, what another app or a person
// wrote: nothing is written.
var ErrNotOurs = errors.New("not this environment's to write")

// maxNamed is how many files or objects a refusal names.
const maxNamed = 10

// checkTree finds where the target holds env (its own tree, the previous
// layout, or nowhere yet), reads its overlay's kustomization.yaml, and
// refuses a tree that is not env's: one another app's or environment's
// record claims, one inside another environment's tree, or one holding
// files phasegen did not write.
func checkTree(ctx context.Context, t gitops.Repo, env *config.Environment, list map[string]string, c *current) error {
	g, name := env.Spec.GitOps, env.Metadata.Name
	tree := path.Join(g.Path, layout.EnvTree(name))
	if outer := enclosingTree(list, tree); outer != "" {
		return fmt.Errorf("%s lies inside %s, the tree of another environment (its %s): give app %s's environments another spec.gitops.path in %s: %w",
			tree, outer, layout.OwnerFile, env.App, env.Source.File, ErrNotOurs)
	}
	held := layout.Under(list, tree)
	ownerPath := path.Join(tree, layout.OwnerFile)
	var owner *layout.Owner
	if _, ok := list[ownerPath]; ok {
		data, err := t.ReadFile(ctx, g.Branch, ownerPath)
		if err != nil {
			return fmt.Errorf("reading %s on %s: %w", ownerPath, g.Branch, err)
		}
		o, err := layout.ParseOwner(data)
		if err != nil {
			return fmt.Errorf("%s on %s: %w", ownerPath, g.Branch, err)
		}
		if o.App != env.App || o.Environment != name {
			return fmt.Errorf("%s on %s belongs to environment %s of app %s (its %s), not to environment %s of app %s: give app %s's environments another spec.gitops.path in %s: %w",
				tree, g.Branch, o.Environment, o.App, layout.OwnerFile, name, env.App, env.App, env.Source.File, ErrNotOurs)
		}
		owner = &o
	}
	if foreign := foreignFiles(list, g.Path, name, held, owner); len(foreign) > 0 {
		return fmt.Errorf("%s on %s holds files phasegen did not write (or that were edited since): %s; move them out of the environment's tree (a change of your own belongs in templates/ of the app's config), then promote again: %w",
			tree, g.Branch, strings.Join(foreign, ", "), ErrNotOurs)
	}
	rel := layout.Under(list, g.Path)
	switch {
	case owner != nil:
		c.tree = tree
	case layout.Previous(rel, name):
		c.tree, c.previous = g.Path, true
	default:
		return nil
	}
	kpath := path.Join(c.tree, overlay.EnvDir(name), overlay.KustomizationFile)
	if _, ok := list[kpath]; !ok {
		return nil
	}
	data, err := t.ReadFile(ctx, g.Branch, kpath)
	if err != nil {
		return fmt.Errorf("reading the current phase from %s on %s: %w", kpath, g.Branch, err)
	}
	c.kustomization = data
	return nil
}

// enclosingTree returns the tree of an environment (a folder with an
// owner record) that holds dir, other than dir itself; "" when none does.
func enclosingTree(list map[string]string, dir string) string {
	for d := path.Dir(dir); d != "." && d != "/" && d != ""; d = path.Dir(d) {
		if _, ok := list[path.Join(d, layout.OwnerFile)]; ok {
			return d
		}
	}
	return ""
}

// foreignFiles returns the files (from the repository's top) of env's tree
// and of its Application's place that its owner record does not list with
// their blob: written or edited by someone else. Without a record every
// file of the tree is foreign, and the Application's file is left to
// applicationOf. At most maxNamed, then a count.
func foreignFiles(list map[string]string, root, env string, held map[string]string, owner *layout.Owner) []string {
	var out []string
	tree := layout.EnvTree(env)
	for p, blob := range held {
		rel := path.Join(tree, p)
		if layout.IsMeta(env, rel) {
			continue
		}
		if owner == nil || owner.Files[rel] != blob {
			out = append(out, path.Join(root, rel))
		}
	}
	if owner != nil {
		app := layout.Application(env)
		if blob, ok := list[path.Join(root, app)]; ok && owner.Files[app] != blob {
			out = append(out, path.Join(root, app))
		}
	}
	slices.Sort(out)
	if len(out) > maxNamed {
		out = append(out[:maxNamed], fmt.Sprintf("and %d more", len(out)-maxNamed))
	}
	return out
}

// rel is the listing of the target under gitops.path, paths relative to it.
func (p *promotion) rel() map[string]string {
	return layout.Under(p.cur.list, p.env.Spec.GitOps.Path)
}

// keepName keeps the name of the Application the target holds when the
// config gives another and sets none (spec.argocd.applicationName): a
// rename would delete what the Application deployed. The promotion
// renders with the held name, and Outcome.KeptName tells the caller to
// record it. A name the config sets is the config's: a rename, gated.
func (p *promotion) keepName() {
	held := p.cur.app.name
	if held == "" || held == p.env.ApplicationName() || p.env.Spec.ArgoCD.ApplicationName != "" {
		return
	}
	e := *p.env
	e.Spec.ArgoCD.ApplicationName = held
	p.env, p.out.KeptName = &e, held
	fmt.Fprintf(p.o.Log, "%s keeps its Application's name %s (the repository holds it under that name; a rename would delete what it deployed)\n", p.o.Env, held)
}

// treeFiles returns the files of the promotion in the GitOps repository,
// relative to gitops.path (layout.Tree), after refusing objects another
// environment's tree claims on the same cluster.
func (p *promotion) treeFiles(ctx context.Context, proposed fileset.Set) (fileset.Set, error) {
	files, claims, err := layout.Tree(p.env, proposed, p.toBuilt)
	if err != nil {
		return nil, err
	}
	tree := path.Join(p.env.Spec.GitOps.Path, layout.EnvTree(p.o.Env))
	if held := layout.Shared(p.cur.list, tree, claims); len(held) > 0 {
		return nil, p.sharedError(ctx, held)
	}
	return files, nil
}

// sharedError names the objects another environment's tree claims, and
// whose tree it is (its owner record, read once per tree, for at most
// maxNamed trees).
func (p *promotion) sharedError(ctx context.Context, held []layout.Holder) error {
	var lines []string
	owners := map[string]string{}
	for _, h := range held {
		who, ok := owners[h.Tree]
		if !ok && len(owners) < maxNamed {
			who = h.Tree
			if data, err := p.o.Target.ReadFile(ctx, p.env.Spec.GitOps.Branch, path.Join(h.Tree, layout.OwnerFile)); err == nil {
				if o, err := layout.ParseOwner(data); err == nil {
					who = fmt.Sprintf("environment %s of app %s (%s)", o.Environment, o.App, h.Tree)
				}
			}
			owners[h.Tree] = who
		}
		if len(lines) < maxNamed {
			lines = append(lines, fmt.Sprintf("%s is already deployed by %s", h.Claim, who))
		}
	}
	if len(held) > len(lines) {
		lines = append(lines, fmt.Sprintf("and %d more", len(held)-len(lines)))
	}
	return fmt.Errorf("environment %s of app %s would deploy objects another environment's Application owns, and Argo CD would let the two fight over them (and prune them from one another):\n  %s\ngive one of them another namespace or other names: %w",
		p.o.Env, p.env.App, strings.Join(lines, "\n  "), ErrNotOurs)
}

// checkTakeOver refuses to move an environment out of the previous layout
// when the tree held declares a workload this app's base does not: the
// previous layout recorded no owner, and two apps with one gitops.path
// wrote the same tree, so that tree may be another app's.
func (p *promotion) checkTakeOver() error {
	if !p.cur.previous || p.o.TakeOver {
		return nil
	}
	held, err := manifest.Decode(p.fromBuilt, manifest.Lenient)
	if err != nil {
		return nil
	}
	ours, err := manifest.Decode(p.toBuilt, manifest.Lenient)
	if err != nil {
		return nil
	}
	var missing []string
	for name := range held.StatefulSets {
		if ours.StatefulSets[name] == nil {
			missing = append(missing, "StatefulSet "+name)
		}
	}
	for name := range held.Deployments {
		if ours.Deployments[name] == nil {
			missing = append(missing, "Deployment "+name)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	slices.Sort(missing)
	g := p.env.Spec.GitOps
	return fmt.Errorf("%s on %s, in the previous layout (which records no owner), deploys %s, which app %s's base does not declare: it may be another app's tree under the same spec.gitops.path; give app %s another path, or, if the tree is this app's and the workloads were removed on purpose, promote with %s: %w",
		path.Join(g.Path, overlay.EnvDir(p.o.Env)), g.Branch, strings.Join(missing, ", "), p.env.App, p.env.App, p.o.Overrides.TakeOverName(), ErrNotOurs)
}

// scope is what the pull request says of where the promotion writes.
func (p *promotion) scope() scope {
	g, name := p.env.Spec.GitOps, p.o.Env
	sc := scope{App: p.env.App, Tree: path.Join(g.Path, layout.EnvTree(name)), Moved: p.cur.previous}
	for _, e := range p.o.Config.EnvironmentNames() {
		if e != name {
			sc.Others = append(sc.Others, e)
		}
	}
	if sc.Moved {
		sc.SharedBase, sc.BaseKept = path.Join(g.Path, base.Dir), p.out.SharedBaseKept
	}
	if p.from != nil {
		held := layout.Under(p.cur.list, path.Join(p.cur.tree, base.Dir))
		want := map[string]string{}
		prefix := path.Join(layout.EnvTree(name), base.Dir) + "/"
		for f, data := range p.out.Files {
			if rest, ok := strings.CutPrefix(f, prefix); ok {
				want[rest] = fileset.BlobHash(data)
			}
		}
		sc.BaseChanged = !maps.Equal(held, want)
	}
	return sc
}
