package cli

import (
	"fmt"
	"strings"

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

// findPhase returns the phase called name, or an error listing the phases.
func findPhase(cfg *config.Set, name string) (*config.Phase, error) {
	p, ok := cfg.Phase(name)
	if !ok {
		return nil, fmt.Errorf("phase %q does not exist (have: %s)", name, strings.Join(cfg.PhaseNames(), ", "))
	}
	return p, nil
}

// declaredPhase returns the phase env is declared at.
func declaredPhase(cfg *config.Set, env *config.Environment) (*config.Phase, error) {
	p, err := findPhase(cfg, env.Spec.Phase)
	if err != nil {
		return nil, fmt.Errorf("environment %s: %w", env.Metadata.Name, err)
	}
	return p, nil
}
