package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"

	"github.com/coditect/phasegen/internal/alerts"
	"github.com/coditect/phasegen/internal/atomicfs"
	"github.com/coditect/phasegen/internal/base"
	"github.com/coditect/phasegen/internal/config"
	"github.com/coditect/phasegen/internal/diff"
	"github.com/coditect/phasegen/internal/fileset"
	"github.com/coditect/phasegen/internal/gate"
	"github.com/coditect/phasegen/internal/overlay"
	"github.com/coditect/phasegen/internal/workload"
)

func newRenderCmd(a *App) *command {
	var appset string
	return &command{
		name:  "render",
		usage: "render [ENV...]",
		short: "Write the Kustomize overlays of environments to overlays/",
		long: `Renders each named environment (all by default) at the phase its
environments/<env>.yaml declares and writes overlays/<env>/ and
overlays/argocd/<env>.yaml. The whole overlays/ tree is replaced at once (a new
tree is built beside it, then swapped in), so an interrupted render leaves the
previous tree whole. Files no longer generated (an HPA when a phase stops
autoscaling) are removed; the other environments' files are kept as they are.
Nothing outside overlays/ is written. What changed is printed to stderr.

With --appset NAME, overlays/argocd/ holds one ApplicationSet (a list generator
with an element per environment) instead of one Application per environment,
for fleets of many clusters; pass the same flag to check.`,
		example: "  phasegen render\n  phasegen render production\n  phasegen render --appset coditect",
		setFlags: func(fs *pflag.FlagSet) {
			fs.StringVar(&appset, "appset", "", "write one ApplicationSet called `NAME` instead of an Application per environment")
		},
		run: func(ctx context.Context, g *globalOptions, args []string) error {
			return a.runRender(g, args, appset)
		},
	}
}

func (a *App) runRender(g *globalOptions, args []string, appset string) error {
	cfg, b, err := a.loadAll(g)
	if err != nil {
		return err
	}
	envs, err := selectEnvironments(cfg, args)
	if err != nil {
		return err
	}
	if err := overlaysReplaceable(g); err != nil {
		return err
	}
	// Read, render and write under one lock, so that two renders of this
	// checkout (a promotion re-rendering its environment, say) take turns.
	unlock, err := atomicfs.Lock(g.OverlaysDir)
	if err != nil {
		return err
	}
	defer unlock()
	old, err := readOverlays(g.OverlaysDir)
	if err != nil {
		return err
	}

	var next fileset.Set
	if len(args) == 0 {
		// Every environment: the tree is exactly what they generate, so the
		// files of a deleted environment go too.
		defer batchGC(len(envs))()
		all, err := overlay.RenderAll(cfg, b)
		if err != nil {
			return err
		}
		next = overlayFiles(all)
	} else {
		next = old.Clone()
		for _, env := range envs {
			phase, err := declaredPhase(cfg, env)
			if err != nil {
				return err
			}
			files, err := overlay.Render(overlay.Input{Config: cfg, Base: b, Env: env, Phase: phase})
			if err != nil {
				return err
			}
			for p := range next {
				if overlay.OwnedBy(overlay.OverlaysDir+"/"+p, env.Metadata.Name) {
					delete(next, p)
				}
			}
			for p, data := range overlayFiles(files) {
				next[p] = data
			}
		}
	}
	if appset == "" && len(args) > 0 {
		// Rendering some environments keeps the tree's form.
		appset = existingAppSet(old)
	}
	if appset != "" {
		if next, err = withAppSet(cfg, b, next, appset); err != nil {
			return err
		}
	}
	if err := a.renderNotes(cfg, b, envs); err != nil {
		return err
	}
	changes := diff.Files(old, next)
	shown := displayDir(g.OverlaysDir)
	if len(changes) == 0 {
		fmt.Fprintf(a.Stderr, "%s/ is up to date\n", shown)
		return nil
	}
	// What the write replaces or removes must be phasegen's own.
	if err := atomicfs.CheckGenerated(shown, replaced(old, next), overlay.Marker); err != nil {
		return fmt.Errorf("--overlays %s: %w", shown, err)
	}
	if err := atomicfs.Write(g.OverlaysDir, next); err != nil {
		return fmt.Errorf("writing %s: %w", shown, err)
	}
	for _, c := range changes {
		fmt.Fprintf(a.Stderr, "%-8s %s/%s\n", c.Status, shown, c.Path)
	}
	fmt.Fprintf(a.Stderr, "rendered %s: %d file(s) changed\n", strings.Join(names(envs), ", "), len(changes))
	return nil
}

// renderNotes says on stderr what the rendered environments leave
// unwatched or unsafe: a usage alert a container without requests or limits
// cannot have, once per workload and phase.
func (a *App) renderNotes(cfg *config.Set, b *base.Base, envs []*config.Environment) error {
	ws, err := workload.Resolve(cfg, b)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, env := range envs {
		phase, err := declaredPhase(cfg, env)
		if err != nil {
			return err
		}
		for _, w := range ws.All {
			view := phase.For(w.Name)
			for _, n := range alerts.Unwatched(view, alerts.For(w, ws.Several())) {
				if env.AlertsEnabled() && !seen[n] {
					seen[n] = true
					fmt.Fprintf(a.Stderr, "note: %s\n", n)
				}
			}
			if msg := gate.BlockingBudget(view, w.Name); msg != "" && !seen[msg] {
				seen[msg] = true
				fmt.Fprintf(a.Stderr, "warning: %s\n", msg)
			}
		}
	}
	return nil
}

// loadAll loads the configs and the base, and checks them against each
// other (workload.Resolve: at the config's file and line).
func (a *App) loadAll(g *globalOptions) (*config.Set, *base.Base, error) {
	cfg, err := a.loadConfig(g)
	if err != nil {
		return nil, nil, err
	}
	b, err := a.loadBase(g)
	if err != nil {
		return nil, nil, err
	}
	if _, err := workload.Resolve(cfg, b); err != nil {
		return nil, nil, err
	}
	return cfg, b, nil
}

// selectEnvironments returns the named environments, in the order given and
// without repeats, or all of them.
func selectEnvironments(cfg *config.Set, args []string) ([]*config.Environment, error) {
	if len(args) == 0 {
		if len(cfg.Environments) == 0 {
			return nil, fmt.Errorf("no environments in %s", cfg.Dir)
		}
		return cfg.Environments, nil
	}
	var out []*config.Environment
	seen := map[string]bool{}
	for _, n := range args {
		e, err := findEnvironment(cfg, n)
		if err != nil {
			return nil, err
		}
		if !seen[n] {
			seen[n] = true
			out = append(out, e)
		}
	}
	return out, nil
}

func names(envs []*config.Environment) []string {
	out := make([]string, len(envs))
	for i, e := range envs {
		out[i] = e.Metadata.Name
	}
	return out
}

// overlayFiles returns the part of a rendered tree that lives under
// overlays/, paths relative to it: what render writes and check compares.
// The base copy (templates/base) is left out: it is the source, not output.
func overlayFiles(tree fileset.Set) fileset.Set {
	return tree.Under(overlay.OverlaysDir)
}

// readOverlays reads the overlays directory; a missing one is empty.
func readOverlays(dir string) (fileset.Set, error) {
	files, err := atomicfs.Read(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return fileset.Set{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", displayDir(dir), err)
	}
	return files, nil
}

// overlaysReplaceable checks that the overlays directory may be replaced
// whole: never the repository, the configs, the templates (a directory of
// files phasegen did not write is refused when written).
func overlaysReplaceable(g *globalOptions) error {
	keep := map[string]string{"config directory": g.ConfigDir, "templates directory": g.TemplatesDir}
	if err := atomicfs.CheckReplaceable(g.OverlaysDir, keep); err != nil {
		return fmt.Errorf("--overlays %s: %w", displayDir(g.OverlaysDir), err)
	}
	return nil
}

// replaced returns the files of old that next removes or changes.
func replaced(old, next fileset.Set) fileset.Set {
	out := fileset.Set{}
	for p, data := range old {
		if n, ok := next[p]; !ok || !bytes.Equal(n, data) {
			out[p] = data
		}
	}
	return out
}

// displayDir is how a directory flag is shown in messages and diff headers.
func displayDir(dir string) string {
	return filepath.ToSlash(filepath.Clean(dir))
}
