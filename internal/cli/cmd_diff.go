package cli

import (
	"context"
	"errors"
)

// newDiffCmd is a placeholder until the diff command lands.
func newDiffCmd(a *App) *command {
	return &command{
		name:  "diff",
		usage: "diff",
		short: "not available yet",
		run: func(ctx context.Context, g *globalOptions, args []string) error {
			return errors.New("not implemented yet")
		},
	}
}
