package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/pflag"

	"github.com/coditect/phasegen/internal/alerts"
	"github.com/coditect/phasegen/internal/atomicfs"
	"github.com/coditect/phasegen/internal/config"
	"github.com/coditect/phasegen/internal/workload"
)

// rulesTestFileName is the promtool unit test `rules` writes beside the rules.
const rulesTestFileName = "rules_test.yaml"

type rulesOptions struct {
	dir   string
	phase string
}

func newRulesCmd(a *App) *command {
	opts := &rulesOptions{}
	return &command{
		name:  "rules",
		usage: "rules ENV --dir DIR [--phase P]",
		short: "Write the environment's alert rules and a promtool unit test for them",
		long: `Writes DIR/rules.yaml, the rule groups of the environment's PrometheusRule
(CPU, memory, HPA at its maximum, PVC almost full, sessions over capacity) as a
plain Prometheus rules file, and DIR/rules_test.yaml, a promtool unit test
generated from the same phase thresholds: each alert fires just above its
threshold once the phase's alerts.for has elapsed, not before, and never just
below it. Run it with: promtool test rules DIR/rules_test.yaml
An app of several workloads gets one pair per workload, in DIR/<workload>/.
The test's series hold what must not fire: sidecars, cAdvisor's pod-level
and pause series, pods of workloads whose names extend this one's, a Job's
pod named like a Deployment's.
The phase is the environment's own unless --phase names another.`,
		example: "  phasegen rules production --dir out/rules\n  phasegen rules staging --dir /tmp/r --phase full-mvp",
		setFlags: func(fs *pflag.FlagSet) {
			fs.StringVar(&opts.dir, "dir", "", "directory to write rules.yaml and rules_test.yaml into (created if missing)")
			fs.StringVar(&opts.phase, "phase", "", "build the rules for this phase instead of the environment's")
		},
		run: func(ctx context.Context, g *globalOptions, args []string) error {
			return a.runRules(g, opts, args)
		},
	}
}

func (a *App) runRules(g *globalOptions, opts *rulesOptions, args []string) error {
	if len(args) != 1 {
		return usagef("rules takes exactly one ENV, got %d arguments", len(args))
	}
	if opts.dir == "" {
		return usagef("--dir is required")
	}
	cfg, err := a.loadConfig(g)
	if err != nil {
		return err
	}
	env, err := findEnvironment(cfg, args[0])
	if err != nil {
		return err
	}
	phase, err := buildPhase(cfg, env, opts.phase)
	if err != nil {
		return err
	}
	b, err := a.loadBase(g)
	if err != nil {
		return err
	}
	ws, err := workload.Resolve(cfg, b)
	if err != nil {
		return err
	}
	var ro alerts.Options
	if next, ok := cfg.Next(phase); ok {
		ro.NextPhase = next.Metadata.Name
	}
	for _, w := range ws.All {
		dir := opts.dir
		if ws.Several() {
			dir = filepath.Join(opts.dir, w.Name)
		}
		if err := a.writeRules(env, phase.For(w.Name), alerts.For(w, ws.Several()), ro, dir); err != nil {
			return err
		}
	}
	return nil
}

// writeRules writes one workload's rules file and its promtool unit test
// into dir.
func (a *App) writeRules(env *config.Environment, phase *config.Phase, w alerts.Workload, ro alerts.Options, dir string) error {
	rules, err := alerts.RuleFile(env, phase, w, ro)
	if err != nil {
		return err
	}
	test, err := alerts.UnitTest(env, phase, w, ro)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	rulesPath := filepath.Join(dir, alerts.RulesFileName)
	testPath := filepath.Join(dir, rulesTestFileName)
	if err := atomicfs.WriteFile(rulesPath, rules); err != nil {
		return err
	}
	if err := atomicfs.WriteFile(testPath, test); err != nil {
		return err
	}
	fmt.Fprintf(a.Stdout, "wrote %s and %s (%s of %s at phase %s)\ntest them with: promtool test rules %s\n",
		rulesPath, testPath, w.Name, env.Metadata.Name, phase.Metadata.Name, testPath)
	return nil
}
