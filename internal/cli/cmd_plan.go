package cli

import (
	"context"
	"errors"
)

// newPlanCmd is a placeholder until the plan command lands.
func newPlanCmd(a *App) *command {
	return &command{
		name:  "plan",
		usage: "plan",
		short: "not available yet",
		run: func(ctx context.Context, g *globalOptions, args []string) error {
			return errors.New("not implemented yet")
		},
	}
}
