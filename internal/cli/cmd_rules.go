package cli

import (
	"context"
	"errors"
)

// newRulesCmd is a placeholder until the rules command lands.
func newRulesCmd(a *App) *command {
	return &command{
		name:  "rules",
		usage: "rules",
		short: "not available yet",
		run: func(ctx context.Context, g *globalOptions, args []string) error {
			return errors.New("not implemented yet")
		},
	}
}
