// Command phasegen plans, renders and promotes the launch phases of a
// Kubernetes workload deployed through Argo CD.
package main

import (
	"context"
	"os"
	"os/signal"

	"github.com/coditect/phasegen/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := cli.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
