package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/pflag"

	"github.com/coditect/phasegen/internal/config"
	"github.com/coditect/phasegen/internal/gitops"
	"github.com/coditect/phasegen/internal/observe"
	"github.com/coditect/phasegen/internal/promote"
)

// statusOptions are the flags of status: the observation's, and the
// target the soak is read from.
type statusOptions struct {
	observeOptions
	target targetOptions
}

func newStatusCmd(a *App) *command {
	opts := &statusOptions{}
	return &command{
		name:  "status",
		usage: "status ENV [--window 7d] [--at TIME] [--prometheus URL] [-o table|json|markdown] [--repo OWNER/NAME | --git-dir DIR]",
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
a timeout and transient failures are retried.

Soak: since when ENV has been at its phase on the gitops branch and when
the phase's spec.soak ends (what promote holds the next promotion for),
read as promote reads it: from the local repository --git-dir, else from
GitHub (--repo, else gitops.repo; GITHUB_TOKEN or GH_TOKEN, GITHUB_API_URL).
Without --git-dir and without a GitHub token the soak is not shown (stderr
says why) and status goes on; so it does when GitHub cannot be read for
gitops.repo, or the branch does not have ENV at its phase. A target given
with --git-dir or --repo that cannot be read is an error.`,
		example: "  phasegen status production\n" +
			"  PROMETHEUS_URL=http://127.0.0.1:9090 phasegen status production --window 3d -o json\n" +
			"  phasegen status staging --at 2026-01-31T18:00:00Z -o markdown\n" +
			"  phasegen status production --git-dir ../argocd-apps",
		setFlags: func(fs *pflag.FlagSet) {
			opts.observeOptions.setFlags(fs)
			opts.target.setFlags(fs, "GitHub repository OWNER/NAME the soak is read from (default: gitops.repo)",
				"local git repository the soak is read from instead of GitHub")
		},
		run: func(ctx context.Context, g *globalOptions, args []string) error {
			return a.runStatus(ctx, g, opts, args)
		},
	}
}

func (a *App) runStatus(ctx context.Context, g *globalOptions, opts *statusOptions, args []string) error {
	if err := opts.target.check(); err != nil {
		return err
	}
	ob, err := a.observeEnv(ctx, g, &opts.observeOptions, args)
	if err != nil {
		return err
	}
	soak, err := a.statusSoak(ctx, ob.env, ob.phase, opts)
	if err != nil {
		return err
	}
	next, ok := ob.cfg.Next(ob.phase)
	if !ok {
		next = nil
	}
	var ws []observe.WorkloadStatus
	for _, ow := range ob.workloads {
		if ow.missing != nil {
			return ow.missing
		}
		plan, err := ow.planner.PlanPhase(ob.phase)
		if err != nil {
			return err
		}
		w := ow.planner.Workload
		j := observe.Judge{Env: ob.env, Phase: ow.phase, Next: next, Model: ow.planner.Model, Plan: plan, Sticky: w.Sticky,
			NoSessions: w.Model.SessionMetric == ""}
		ws = append(ws, observe.WorkloadStatus{Name: w.Name, Kind: w.Kind, UserSized: w.UserSized(), Status: j.Status(ow.obs, ob.window)})
	}
	if len(ws) == 1 {
		s := ws[0].Status
		s.WithSoak(soak, gateFlags().Early)
		switch opts.output {
		case "json":
			return observe.WriteStatusJSON(a.Stdout, s)
		case "markdown":
			return observe.WriteStatusMarkdown(a.Stdout, s)
		}
		return observe.WriteStatusTable(a.Stdout, s)
	}
	s := observe.Combine(ob.env.Metadata.Name, ob.phase.Metadata.Name, ob.window, ws[0].At, ws)
	s.WithSoak(soak, gateFlags().Early)
	switch opts.output {
	case "json":
		return observe.WriteEnvStatusJSON(a.Stdout, s)
	case "markdown":
		return observe.WriteEnvStatusMarkdown(a.Stdout, s)
	}
	return observe.WriteEnvStatusTable(a.Stdout, s)
}

// statusSoak reads since when env has been at phase on its gitops branch.
// Without a target to read (no --git-dir, no GitHub token), or when the
// branch does not have env at phase, it says so on stderr and returns nil;
// so it does when gitops.repo cannot be read. A target given with
// --git-dir or --repo that cannot be read is an error.
func (a *App) statusSoak(ctx context.Context, env *config.Environment, phase *config.Phase, opts *statusOptions) (*observe.Soak, error) {
	branch := env.Spec.GitOps.Branch
	explicit := opts.target.explicit()
	if !explicit && a.Getenv("GITHUB_TOKEN") == "" && a.Getenv("GH_TOKEN") == "" && a.Getenv("GITHUB_APP_ID") == "" {
		fmt.Fprintf(a.Stderr, "soak not shown: reading since when %s has been at %s on %s needs --git-dir DIR or a GitHub token (GITHUB_TOKEN or GH_TOKEN) for github.com/%s\n",
			env.Metadata.Name, phase.Metadata.Name, branch, env.Spec.GitOps.Repo)
		return nil, nil
	}
	soak, err := a.readSoak(ctx, env, phase, opts)
	var ue *usageError
	switch {
	case err == nil:
		return soak, nil
	case explicit || errors.As(err, &ue):
		return nil, fmt.Errorf("reading the soak: %w", err)
	}
	fmt.Fprintf(a.Stderr, "soak not shown: %v\n", err)
	return nil, nil
}

func (a *App) readSoak(ctx context.Context, env *config.Environment, phase *config.Phase, opts *statusOptions) (*observe.Soak, error) {
	tg, _, where, err := a.promoteTarget(env, &opts.target, permsRead())
	if err != nil {
		return nil, err
	}
	h, ok := tg.(gitops.Historian)
	if !ok {
		return nil, fmt.Errorf("%s cannot tell a branch's history", where)
	}
	branch := env.Spec.GitOps.Branch
	since, ok, err := promote.PhaseSince(ctx, h, env, phase.Metadata.Name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	if !ok {
		fmt.Fprintf(a.Stderr, "soak not shown: %s in %s does not have %s at %s (not promoted there, or its pull request is not merged yet)\n",
			branch, where, env.Metadata.Name, phase.Metadata.Name)
		return nil, nil
	}
	s := observe.NewSoak(phase.Metadata.Name, phase.Spec.Soak, phase.SoakDuration(), branch, since.Commit, since.Time, since.Partial, a.Now())
	fmt.Fprintf(a.Stderr, "%s has been at %s on %s in %s since %s\n", env.Metadata.Name, phase.Metadata.Name, branch, where, s.Since.Format(time.RFC3339))
	return s, nil
}
