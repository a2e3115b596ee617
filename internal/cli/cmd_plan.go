package cli

import (
	"context"

	"github.com/spf13/pflag"

	"github.com/coditect/phasegen/internal/capacity"
	"github.com/coditect/phasegen/internal/config"
)

type planOptions struct {
	users  int
	output string
}

func newPlanCmd(a *App) *command {
	opts := &planOptions{}
	return &command{
		name:  "plan",
		usage: "plan [PHASE...] [--users N] [-o table|json|markdown]",
		short: "Plan capacity and monthly cost of each phase",
		long: `Shows, for each phase (all by default), the users it must serve, its pods and
HPA range, how many users those pods serve (conservatively-optimistically),
the cores, memory and storage they take and the monthly cost at the floor and
the ceiling. A phase is ready when its ceiling serves its maximum users
conservatively. With --users N it sizes N users instead.`,
		example: "  phasegen plan\n  phasegen plan full-mvp -o json\n  phasegen plan --users 20",
		setFlags: func(fs *pflag.FlagSet) {
			fs.IntVar(&opts.users, "users", 0, "size this many users instead of planning phases")
			fs.StringVarP(&opts.output, "output", "o", "table", "output format: table, json or markdown")
		},
		run: func(ctx context.Context, g *globalOptions, args []string) error {
			return a.runPlan(g, opts, args)
		},
	}
}

func (a *App) runPlan(g *globalOptions, opts *planOptions, args []string) error {
	switch opts.output {
	case "table", "json", "markdown":
	default:
		return usagef("-o must be table, json or markdown, not %q", opts.output)
	}
	if opts.users < 0 {
		return usagef("--users must be positive")
	}
	cfg, b, err := a.loadAll(g)
	if err != nil {
		return err
	}
	planner, err := capacity.NewPlanner(cfg, b)
	if err != nil {
		return err
	}
	if opts.users > 0 {
		if len(args) > 0 {
			return usagef("--users sizes a number of users; it takes no PHASE arguments")
		}
		est, err := planner.Estimate(opts.users, cfg.Phases)
		if err != nil {
			return err
		}
		if opts.output == "json" {
			return capacity.WriteEstimatesJSON(a.Stdout, est)
		}
		return capacity.WriteEstimatesTable(a.Stdout, est)
	}
	phases, err := selectPhases(cfg, args)
	if err != nil {
		return err
	}
	plans, err := planner.Plan(phases)
	if err != nil {
		return err
	}
	switch opts.output {
	case "json":
		return capacity.WriteJSON(a.Stdout, plans)
	case "markdown":
		return capacity.WriteMarkdown(a.Stdout, plans)
	}
	return capacity.WriteTable(a.Stdout, plans)
}

// selectPhases returns the named phases in promotion order, or all.
func selectPhases(cfg *config.Set, names []string) ([]*config.Phase, error) {
	if len(names) == 0 {
		return cfg.Phases, nil
	}
	want := map[string]bool{}
	for _, n := range names {
		if _, err := findPhase(cfg, n, "PHASE argument"); err != nil {
			return nil, err
		}
		want[n] = true
	}
	var out []*config.Phase
	for _, p := range cfg.Phases {
		if want[p.Metadata.Name] {
			out = append(out, p)
		}
	}
	return out, nil
}
