package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"github.com/coditect/phasegen/internal/diff"
	"github.com/coditect/phasegen/internal/overlay"
)

func newCheckCmd(a *App) *command {
	var appset string
	return &command{
		name:  "check",
		usage: "check",
		short: "Check that overlays/ is up to date with the configs",
		long: `Renders every environment in memory and compares the result with overlays/
on disk. Exits 0 when they are equal; otherwise prints a unified diff of each
stale file (from what is on disk to what render would write) and exits 3.
Run 'phasegen render' to bring overlays/ up to date.`,
		example: "  phasegen check\n  phasegen check --appset coditect",
		setFlags: func(fs *pflag.FlagSet) {
			fs.StringVar(&appset, "appset", "", "expect one ApplicationSet called `NAME`, as render --appset writes")
		},
		run: func(ctx context.Context, g *globalOptions, args []string) error {
			if len(args) > 0 {
				return usagef("check takes no arguments")
			}
			return a.runCheck(g, appset)
		},
	}
}

func (a *App) runCheck(g *globalOptions, appset string) error {
	cfg, b, err := a.loadAll(g)
	if err != nil {
		return err
	}
	// Rendering is all check does: no kustomize build, just bytes compared.
	defer batchGC(len(cfg.Environments))()
	all, err := overlay.RenderAll(cfg, b)
	if err != nil {
		return err
	}
	want := overlayFiles(all)
	if appset != "" {
		if want, err = withAppSet(cfg, b, want, appset); err != nil {
			return err
		}
	}
	have, err := readOverlays(g.OverlaysDir)
	if err != nil {
		return err
	}
	shown := displayDir(g.OverlaysDir)
	changes := diff.Files(have.Prefix(shown), want.Prefix(shown))
	if len(changes) == 0 {
		fmt.Fprintf(a.Stderr, "%s/ is up to date (%d files)\n", shown, len(want))
		return nil
	}
	if _, err := io.WriteString(a.Stdout, diff.Join(changes)); err != nil {
		return err
	}
	for _, c := range changes {
		fmt.Fprintf(a.Stderr, "stale: %s (%s)\n", c.Path, staleReason(c.Status))
	}
	return &exitError{code: ExitStale, msg: fmt.Sprintf("%d file(s) in %s/ are out of date with the configs; run 'phasegen render'", len(changes), shown)}
}

func staleReason(s diff.Status) string {
	switch s {
	case diff.Added:
		return "missing on disk"
	case diff.Removed:
		return "no longer generated"
	}
	return "differs from what render writes"
}
