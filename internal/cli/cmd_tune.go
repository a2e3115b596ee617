package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/coditect/phasegen/internal/atomicfs"

	"github.com/spf13/pflag"

	"github.com/coditect/phasegen/internal/tune"
)

type tuneOptions struct {
	observeOptions
	write bool
}

func newTuneCmd(a *App) *command {
	opts := &tuneOptions{}
	return &command{
		name:  "tune",
		usage: "tune ENV [--window 7d] [--at TIME] [--write] [--prometheus URL] [-o table|json|markdown]",
		short: "Recommend right-sized values for ENV's phase from what Prometheus saw",
		long: `Observes ENV as 'phasegen status' does and recommends its phase's values,
each with its rule:
  requests.cpu      the busiest pod's p95 CPU (rate[5m]), rounded up to the
                    millicore, at least 10m
  requests.memory   = limits.memory: the largest working set × 1.15, rounded
                    up to the Mi, at least 100Mi
  limits.cpu        kept, unless below the new request
  HPA CPU target    moved so the HPA scales at the same CPU per pod as before
                    (lowering requests under a fixed target makes it scale
                    out), clamped to 50-90%
  minReplicas       the floor that serves the p95 sessions conservatively
and the monthly cost before and after. It warns when an observed peak is at
or over the phase's alert threshold of a recommended limit (the memory rule
leaves the largest working set at 87% of the limit, over an
alerts.memoryPercent of 85): the alert would fire at that peak; the warning
names the threshold and the limit that avoid it. It refuses (exit 1) when the
workload has less than 24h of data in the window or fewer than 100 samples.

--write edits the phase's file in place (comments and the rest of the file
kept; a missing resources block is added) after validating the result; then
'phasegen check' shows the overlays are stale and render → diff → promote
takes the change from there. The phase file is shared by every environment at
that phase. Nothing is written on any failure.`,
		example: "  phasegen tune production\n" +
			"  phasegen tune production --window 14d -o json\n" +
			"  phasegen tune production --write && phasegen render production && phasegen diff production --to beta",
		setFlags: func(fs *pflag.FlagSet) {
			opts.observeOptions.setFlags(fs)
			fs.BoolVar(&opts.write, "write", false, "write the recommended values into the phase's file")
		},
		run: func(ctx context.Context, g *globalOptions, args []string) error {
			return a.runTune(ctx, g, opts, args)
		},
	}
}

func (a *App) runTune(ctx context.Context, g *globalOptions, opts *tuneOptions, args []string) error {
	ob, err := a.observeEnv(ctx, g, &opts.observeOptions, args)
	if err != nil {
		return err
	}
	rs, err := a.recommend(ob)
	if err != nil {
		return err
	}
	if opts.write {
		if err := a.writeTuned(g, ob, rs); err != nil {
			return err
		}
	}
	if len(rs) == 1 && len(ob.workloads) == 1 {
		switch opts.output {
		case "json":
			return tune.WriteJSON(a.Stdout, rs[0])
		case "markdown":
			return tune.WriteMarkdown(a.Stdout, rs[0])
		}
		return tune.WriteTable(a.Stdout, rs[0])
	}
	if opts.output == "json" {
		return tune.WriteAllJSON(a.Stdout, ob.env.Metadata.Name, ob.phase.Metadata.Name, rs)
	}
	for i, r := range rs {
		if i > 0 {
			fmt.Fprintln(a.Stdout)
		}
		write := tune.WriteTable
		if opts.output == "markdown" {
			write = tune.WriteMarkdown
		}
		if err := write(a.Stdout, r); err != nil {
			return err
		}
	}
	return nil
}

// recommend tunes each workload. A workload without enough data (or with
// none) is named on stderr and left as it is while the others are tuned;
// when none can be, that is the error (one workload: its own).
func (a *App) recommend(ob *observed) ([]*tune.Result, error) {
	var rs []*tune.Result
	var first error
	for _, ow := range ob.workloads {
		name := ow.planner.Workload.Name
		err := ow.missing
		var r *tune.Result
		if err == nil {
			r, err = tune.Recommend(ob.env, ow.phase, ow.planner, ow.obs)
		}
		var refused *tune.RefusedError
		if errors.As(err, &refused) {
			refused.WindowOption = "--window"
		}
		if err != nil {
			if first == nil {
				first = err
			}
			if len(ob.workloads) > 1 {
				fmt.Fprintf(a.Stderr, "%s: not tuned, left as it is: %v\n", name, err)
			}
			continue
		}
		if len(ob.workloads) > 1 {
			r.Workload = name
		}
		rs = append(rs, r)
	}
	if len(rs) == 0 {
		return nil, first
	}
	return rs, nil
}

// writeTuned writes every workload's recommended values into the phase's
// file at once, comments kept.
func (a *App) writeTuned(g *globalOptions, ob *observed, rs []*tune.Result) error {
	all := &tune.Result{}
	for _, r := range rs {
		all.Edits = append(all.Edits, r.Edits...)
	}
	file := ob.phase.Source.File
	out, err := tune.Rewrite(ob.phase, all)
	if err != nil {
		return err
	}
	changed, err := replaceConfig(g.ConfigDir, file, ob.phase.Source.Raw, out)
	if errors.Is(err, atomicfs.ErrChanged) {
		return fmt.Errorf("%s changed while phasegen ran; rerun tune", file)
	}
	if err != nil {
		return err
	}
	if !changed {
		fmt.Fprintf(a.Stderr, "%s already holds the recommended values\n", file)
		return nil
	}
	fields := make([]string, len(all.Edits))
	for i, e := range all.Edits {
		fields[i] = strings.TrimPrefix(e.Path, "spec.")
	}
	fmt.Fprintf(a.Stderr, "wrote %s to %s; next: phasegen render, then review with phasegen diff or promote\n", strings.Join(fields, ", "), file)
	var others []string
	for _, e := range ob.cfg.Environments {
		if e.Spec.Phase == ob.phase.Metadata.Name && e.Metadata.Name != ob.env.Metadata.Name {
			others = append(others, e.Metadata.Name)
		}
	}
	if len(others) > 0 {
		fmt.Fprintf(a.Stderr, "warning: phase %s is also the phase of %s, which the change applies to as well\n", ob.phase.Metadata.Name, strings.Join(others, ", "))
	}
	return nil
}
