package cli

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/spf13/pflag"

	"github.com/coditect/phasegen/internal/config"
	"github.com/coditect/phasegen/internal/kbuild"
	"github.com/coditect/phasegen/internal/overlay"
)

type buildOptions struct {
	phase string
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
without writing anything (a preview of a promotion).`,
		example: "  phasegen build production\n  phasegen build production --phase beta\n  phasegen build",
		setFlags: func(fs *pflag.FlagSet) {
			fs.StringVar(&opts.phase, "phase", "", "build at this phase instead of the declared one (exactly one ENV)")
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
	cfg, b, err := a.loadAll(g)
	if err != nil {
		return err
	}
	envs, err := selectEnvironments(cfg, args)
	if err != nil {
		return err
	}
	var out bytes.Buffer
	for i, env := range envs {
		phase, err := buildPhase(cfg, env, opts.phase)
		if err != nil {
			return err
		}
		files, err := overlay.Render(overlay.Input{Config: cfg, Base: b, Env: env, Phase: phase})
		if err != nil {
			return err
		}
		built, err := kbuild.Build(files, overlay.EnvDir(env.Metadata.Name))
		if err != nil {
			return err
		}
		if len(args) != 1 {
			if i > 0 {
				out.WriteString("---\n")
			}
			fmt.Fprintf(&out, "# environment: %s (phase %s)\n", env.Metadata.Name, phase.Metadata.Name)
		}
		out.Write(built)
	}
	_, err = a.Stdout.Write(out.Bytes())
	return err
}

func buildPhase(cfg *config.Set, env *config.Environment, name string) (*config.Phase, error) {
	if name == "" {
		return declaredPhase(cfg, env)
	}
	p, ok := cfg.Phase(name)
	if !ok {
		return nil, fmt.Errorf("phase %q does not exist (have: %s)", name, strings.Join(cfg.PhaseNames(), ", "))
	}
	return p, nil
}
