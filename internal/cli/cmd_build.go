package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"runtime/debug"

	"github.com/spf13/pflag"

	"github.com/coditect/phasegen/internal/config"
	"github.com/coditect/phasegen/internal/kbuild"
	"github.com/coditect/phasegen/internal/manifest"
	"github.com/coditect/phasegen/internal/overlay"
)

type buildOptions struct {
	phase       string
	showSecrets bool
}

func newBuildCmd(a *App) *command {
	opts := &buildOptions{}
	return &command{
		name:  "build",
		usage: "build [ENV...] [--phase P]",
		short: "Print the kustomize-built manifests of environments",
		long: `Renders each named environment (all by default) in memory and prints what
` + "`kubectl kustomize overlays/<env>`" + ` would print for it, byte for byte (legacy
resource order). With one ENV the output is exactly that build; with several,
or none, it is one YAML stream in which each environment is introduced by a
comment line "# environment: <env> (phase <phase>)".

--phase builds one environment at another phase than the one it declares,
without writing anything (a preview of a promotion).

The values of Secrets (data and stringData) are printed as a mask holding a
digest of each value, and stderr says how many were; --show-secrets prints
them as kustomize does. No other command ever prints them.`,
		example: "  phasegen build production\n  phasegen build production --phase beta\n  phasegen build",
		setFlags: func(fs *pflag.FlagSet) {
			fs.StringVar(&opts.phase, "phase", "", "build at this phase instead of the declared one (exactly one ENV)")
			fs.BoolVar(&opts.showSecrets, "show-secrets", false, "print Secret values as kustomize builds them (masked by default)")
		},
		run: func(ctx context.Context, g *globalOptions, args []string) error {
			return a.runBuild(g, opts, args)
		},
	}
}

func (a *App) runBuild(g *globalOptions, opts *buildOptions, args []string) error {
	if opts.phase != "" && len(args) != 1 {
		return usagef("--phase builds exactly one environment: give one ENV")
	}
	// Kustomize's one-time set-up (its OpenAPI schema) on another core
	// while this one loads the configuration.
	warmed := make(chan struct{})
	go func() {
		defer close(warmed)
		kbuild.Warm()
	}()
	defer func() { <-warmed }()
	cfg, b, err := a.loadAll(g)
	if err != nil {
		return err
	}
	envs, err := selectEnvironments(cfg, args)
	if err != nil {
		return err
	}
	phases := make([]*config.Phase, len(envs))
	for i, env := range envs {
		if phases[i], err = buildPhase(cfg, env, opts.phase); err != nil {
			return err
		}
	}
	defer batchGC(len(envs))()
	// Render and build on every core; the outputs come back in order.
	r := overlay.NewRenderer(cfg, b)
	built, err := kbuild.BuildAll(len(envs), func(i int) (kbuild.Job, error) {
		files, err := r.Overlay(envs[i], phases[i])
		if err != nil {
			return kbuild.Job{}, err
		}
		return kbuild.Job{Files: files, Dir: overlay.EnvDir(envs[i].Metadata.Name)}, nil
	})
	if err != nil {
		return err
	}
	var out bytes.Buffer
	if len(args) == 1 {
		out.Write(built[0])
	} else {
		size := 0
		for _, b := range built {
			size += len(b) + 100
		}
		out.Grow(size)
		for i, env := range envs {
			if i > 0 {
				out.WriteString("---\n")
			}
			fmt.Fprintf(&out, "# environment: %s (phase %s)\n", env.Metadata.Name, phases[i].Metadata.Name)
			out.Write(built[i])
			built[i] = nil
		}
	}
	data := out.Bytes()
	if !opts.showSecrets {
		var masked bool
		if data, masked = manifest.MaskSecrets(data); masked {
			fmt.Fprintln(a.Stderr, "build: Secret values are masked (a digest of each); --show-secrets prints them")
		}
	}
	_, err = a.Stdout.Write(data)
	return err
}

func buildPhase(cfg *config.Set, env *config.Environment, name string) (*config.Phase, error) {
	if name == "" {
		return declaredPhase(cfg, env)
	}
	return findPhase(cfg, name, "--phase")
}

// batchGC tunes the garbage collector for a batch of n environments and
// returns the function that restores the previous settings. A kustomize
// build allocates about ten times the live heap it ends with, so with the
// default GOGC=100 a fleet build spends about a quarter of its CPU in the
// collector. Collecting at 8× the live heap instead cuts that to a few per
// cent; the live heap of a batch is small (the rendered files and the
// built output, a few megabytes per hundred environments), and a soft
// memory limit keeps the larger growth factor from pushing the process
// past batchMemoryLimit (the collector works harder near it instead). A
// GOGC or GOMEMLIMIT the user set wins. Small batches are left alone.
func batchGC(n int) (restore func()) {
	if n < batchMinEnvironments || os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	percent := debug.SetGCPercent(batchGCPercent)
	limit := debug.SetMemoryLimit(batchMemoryLimit)
	return func() {
		debug.SetGCPercent(percent)
		debug.SetMemoryLimit(limit)
	}
}

// Garbage collector settings for batches of at least batchMinEnvironments.
const (
	batchMinEnvironments = 8
	batchGCPercent       = 800
	batchMemoryLimit     = 192 << 20
)
