package cli

import (
	"fmt"
	"strings"

	"github.com/coditect/phasegen/internal/base"
	"github.com/coditect/phasegen/internal/config"
)

// findEnvironment returns the environment called name, or an error listing
// the ones there are (exit 1: a value that does not exist is not a usage
// mistake).
func findEnvironment(cfg *config.Set, name string) (*config.Environment, error) {
	e, ok := cfg.Environment(name)
	if !ok {
		return nil, fmt.Errorf("environment %q does not exist (have: %s)", name, strings.Join(cfg.EnvironmentNames(), ", "))
	}
	return e, nil
}

// findPhase returns the phase called name, given on the command line as
// arg (a flag such as "--to", or "PHASE argument"), or an error naming
// the argument and listing the phases.
func findPhase(cfg *config.Set, name, arg string) (*config.Phase, error) {
	p, ok := cfg.Phase(name)
	if !ok {
		return nil, fmt.Errorf("%s %q: phase %q does not exist (have: %s)", arg, name, name, strings.Join(cfg.PhaseNames(), ", "))
	}
	return p, nil
}

// declaredPhase returns the phase env is declared at; a phase that does not
// exist is reported at the environment's file and line (config.Load has
// refused such a set already, so this is a guard).
func declaredPhase(cfg *config.Set, env *config.Environment) (*config.Phase, error) {
	p, ok := cfg.Phase(env.Spec.Phase)
	if !ok {
		return nil, env.Problem("spec.phase", "phase %q does not exist (have: %s)", env.Spec.Phase, strings.Join(cfg.PhaseNames(), ", "))
	}
	return p, nil
}

// transition is what diff and promote start from: ENV --to PHASE, loaded.
type transition struct {
	cfg  *config.Set
	base *base.Base
	env  *config.Environment
	to   *config.Phase
}

// loadTransition checks the ENV argument and --to, loads the configs and the
// base, and looks both names up.
func (a *App) loadTransition(g *globalOptions, args []string, to string) (*transition, error) {
	switch {
	case len(args) != 1:
		return nil, usagef("want exactly one ENV, got %d", len(args))
	case to == "":
		return nil, usagef("--to PHASE is required")
	}
	cfg, b, err := a.loadAll(g)
	if err != nil {
		return nil, err
	}
	env, err := findEnvironment(cfg, args[0])
	if err != nil {
		return nil, err
	}
	phase, err := findPhase(cfg, to, "--to")
	if err != nil {
		return nil, err
	}
	return &transition{cfg: cfg, base: b, env: env, to: phase}, nil
}
