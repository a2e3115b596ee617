package cli

import (
	"context"
	"errors"
)

// newCheckCmd is a placeholder until the check command lands.
func newCheckCmd(a *App) *command {
	return &command{
		name:  "check",
		usage: "check",
		short: "not available yet",
		run: func(ctx context.Context, g *globalOptions, args []string) error {
			return errors.New("not implemented yet")
		},
	}
}
