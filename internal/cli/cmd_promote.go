package cli

import (
	"context"
	"errors"
)

// newPromoteCmd is a placeholder until the promote command lands.
func newPromoteCmd(a *App) *command {
	return &command{
		name:  "promote",
		usage: "promote",
		short: "not available yet",
		run: func(ctx context.Context, g *globalOptions, args []string) error {
			return errors.New("not implemented yet")
		},
	}
}
