package cli

import (
	"context"

	"github.com/coditect/phasegen/internal/observe"
)

func newStatusCmd(a *App) *command {
	opts := &observeOptions{}
	return &command{
		name:  "status",
		usage: "status ENV [--window 7d] [--at TIME] [--prometheus URL] [-o table|json|markdown]",
		short: "Show what ENV's phase did in Prometheus and whether it has outgrown it",
		long: `Reads the metrics the alerts use from a Prometheus-compatible API
(--prometheus URL or PROMETHEUS_URL; PROMETHEUS_TOKEN, when set, is sent as a
bearer token and never shown) over the window ending at --at, for ENV's
namespace, the workload's pods <workload>-N and its container: ready pods
(min, max), sessions (peak, p95), the busiest pod's CPU (p95, max of
rate[5m]), the largest pod's memory working set, the fullest PVC, the share of
the window the HPA ran at its maximum, sessions per ready pod at the busiest
sample (beside the CapacityModel's assumption) and the monthly cost of the
average ready pods (beside the phase's planned floor-ceiling).

The verdict is promote (sessions reached the phase's users.max, the HPA sat
at its maximum, or the busiest pod's p95 CPU or memory is over the alert
thresholds), oversized (peak sessions under half of what the floor serves
conservatively) or hold, with the reasons and the command to run next. The
number of queries is the same whatever the window and the pod count; each has
a timeout and transient failures are retried.`,
		example: "  phasegen status production\n" +
			"  PROMETHEUS_URL=http://127.0.0.1:9090 phasegen status production --window 3d -o json\n" +
			"  phasegen status staging --at 2026-01-31T18:00:00Z -o markdown",
		setFlags: opts.setFlags,
		run: func(ctx context.Context, g *globalOptions, args []string) error {
			return a.runStatus(ctx, g, opts, args)
		},
	}
}

func (a *App) runStatus(ctx context.Context, g *globalOptions, opts *observeOptions, args []string) error {
	ob, err := a.observeEnv(ctx, g, opts, args)
	if err != nil {
		return err
	}
	next, ok := ob.cfg.Next(ob.phase)
	if !ok {
		next = nil
	}
	plan, err := ob.planner.Model.PlanPhase(ob.phase, ob.planner.Resources)
	if err != nil {
		return err
	}
	j := observe.Judge{Env: ob.env, Phase: ob.phase, Next: next, Model: ob.planner.Model, Plan: plan}
	s := j.Status(ob.obs, ob.window)
	switch opts.output {
	case "json":
		return observe.WriteStatusJSON(a.Stdout, s)
	case "markdown":
		return observe.WriteStatusMarkdown(a.Stdout, s)
	}
	return observe.WriteStatusTable(a.Stdout, s)
}
