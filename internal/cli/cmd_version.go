package cli

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
)

func newVersionCmd(a *App) *command {
	return &command{
		name:    "version",
		usage:   "version",
		short:   "Print phasegen's version",
		example: "  phasegen version",
		run: func(ctx context.Context, g *globalOptions, args []string) error {
			if len(args) > 0 {
				return usagef("version takes no arguments")
			}
			version := "(devel)"
			if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
				version = bi.Main.Version
			}
			fmt.Fprintf(a.Stdout, "phasegen %s %s %s/%s\n", version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return nil
		},
	}
}
