package cli

import (
	"context"
	"errors"
)

// newBuildCmd is a placeholder until the build command lands.
func newBuildCmd(a *App) *command {
	return &command{
		name:  "build",
		usage: "build",
		short: "not available yet",
		run: func(ctx context.Context, g *globalOptions, args []string) error {
			return errors.New("not implemented yet")
		},
	}
}
