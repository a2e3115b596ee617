package cli

import (
	"context"
	"errors"
)

// newRenderCmd is a placeholder until the render command lands.
func newRenderCmd(a *App) *command {
	return &command{
		name:  "render",
		usage: "render",
		short: "not available yet",
		run: func(ctx context.Context, g *globalOptions, args []string) error {
			return errors.New("not implemented yet")
		},
	}
}
