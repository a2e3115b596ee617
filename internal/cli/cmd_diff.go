package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"github.com/coditect/phasegen/internal/config"
	"github.com/coditect/phasegen/internal/diff"
	"github.com/coditect/phasegen/internal/kbuild"
	"github.com/coditect/phasegen/internal/manifest"
	"github.com/coditect/phasegen/internal/overlay"
)

// diffOptions are the flags of diff.
type diffOptions struct {
	to          string
	annotations bool
}

func newDiffCmd(a *App) *command {
	opts := &diffOptions{}
	return &command{
		name:  "diff",
		usage: "diff ENV --to PHASE",
		short: "Show the diff of the built manifests from the declared phase to another",
		long: `Builds ENV's overlay at the phase environments/ENV.yaml declares and at
PHASE, in process as 'kubectl kustomize' would, and prints the unified diff,
object by object (headers name KIND/NAME). Colour only on a terminal. This is
the diff a promotion's pull request carries (there against what the GitOps
repository holds).`,
		example: "  phasegen diff production --to beta",
		setFlags: func(fs *pflag.FlagSet) {
			fs.StringVar(&opts.to, "to", "", "phase to compare with (required)")
			fs.BoolVar(&opts.annotations, "annotations", false, "show the phase annotation's change on every object (by default it is said once)")
		},
		run: func(ctx context.Context, g *globalOptions, args []string) error {
			return a.runDiff(g, opts, args)
		},
	}
}

func (a *App) runDiff(g *globalOptions, opts *diffOptions, args []string) error {
	t, err := a.loadTransition(g, args, opts.to)
	if err != nil {
		return err
	}
	cfg, b, env, to := t.cfg, t.base, t.env, t.to
	from, err := declaredPhase(cfg, env)
	if err != nil {
		return err
	}
	var built [2][]byte
	for i, ph := range []*config.Phase{from, to} {
		files, err := overlay.Render(overlay.Input{Config: cfg, Base: b, Env: env, Phase: ph})
		if err != nil {
			return err
		}
		if built[i], err = kbuild.Build(files, overlay.EnvDir(env.Metadata.Name)); err != nil {
			return err
		}
	}
	fromBuilt, folded := built[0], 0
	if !opts.annotations {
		fromBuilt, folded = manifest.FoldPhase(built[0], from.Metadata.Name, to.Metadata.Name)
	}
	text := manifest.BuiltDiff(fromBuilt, built[1])

	if text == "" {
		also := ""
		if folded > 0 {
			also = " besides " + manifest.Folded(from.Metadata.Name, to.Metadata.Name, folded)
		}
		fmt.Fprintf(a.Stderr, "%s: no change in the built manifests from %s to %s%s\n", env.Metadata.Name, from.Metadata.Name, to.Metadata.Name, also)
		return nil
	}
	if folded > 0 {
		// Said once, on top of the diff of what really changes.
		text = "# " + env.Metadata.Name + ": " + manifest.Folded(from.Metadata.Name, to.Metadata.Name, folded) + " (--annotations shows it)\n" + text
	}
	fmt.Fprintf(a.Stderr, "%s: %s → %s\n", env.Metadata.Name, from.Metadata.Name, to.Metadata.Name)
	if a.IsTerminal && a.Getenv("NO_COLOR") == "" {
		text = diff.Colorize(text)
	}
	_, err = io.WriteString(a.Stdout, text)
	return err
}
