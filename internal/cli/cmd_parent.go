package cli

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"github.com/coditect/phasegen/internal/argocd"
	"github.com/coditect/phasegen/internal/config"
)

type parentOptions struct {
	name, namespace, project, path string
}

func newParentCmd(a *App) *command {
	opts := &parentOptions{}
	return &command{
		name:  "parent",
		usage: "parent [ENV] [--name NAME] [--namespace NS] [--project P] [--path DIR]",
		short: "Print the one Argo CD Application that picks up every app's Applications in the GitOps repository",
		long: `Prints (to stdout) an Application that points Argo CD at the whole GitOps
repository once, for every app phasegen promotes into it: a directory source
that recurses and includes only the files under a folder overlays/argocd
(each environment's Application, in this layout and the previous one, and
ApplicationSets). Apply it once, or commit it where your own root reads it:

  phasegen parent | kubectl apply -f -

It syncs the Applications automatically and self-heals them, and never
prunes: an Application whose file leaves the repository keeps running until
it is deleted on purpose, so no file removal cascades through an
Application's resources finalizer. The repository and branch are those of
the environments' spec.gitops (ENV picks one when they differ). Replace any
per-app parent (one that reads <gitops.path>/overlays/argocd) by this one:
delete the old parent with --cascade=orphan first, so the Applications it
made stay, and this one adopts them.`,
		example: "  phasegen parent | kubectl apply -f -\n  phasegen parent --path apps --name platform-apps",
		setFlags: func(fs *pflag.FlagSet) {
			fs.StringVar(&opts.name, "name", argocd.DefaultParentName, "the parent Application's name")
			fs.StringVar(&opts.namespace, "namespace", argocd.Namespace, "the namespace Argo CD keeps it in")
			fs.StringVar(&opts.project, "project", "default", "its Argo CD project")
			fs.StringVar(&opts.path, "path", ".", "the folder of the repository that holds every app's gitops.path")
		},
		run: func(ctx context.Context, g *globalOptions, args []string) error {
			return a.runParent(g, opts, args)
		},
	}
}

func (a *App) runParent(g *globalOptions, opts *parentOptions, args []string) error {
	if len(args) > 1 {
		return usagef("parent takes at most one environment")
	}
	cfg, err := a.loadConfig(g)
	if err != nil {
		return err
	}
	envs := cfg.Environments
	if len(args) == 1 {
		e, ok := cfg.Environment(args[0])
		if !ok {
			return fmt.Errorf("environment %q does not exist (have: %v)", args[0], cfg.EnvironmentNames())
		}
		envs = []*config.Environment{e}
	}
	repos := map[string]bool{}
	for _, e := range envs {
		repos[e.Spec.GitOps.CloneURL()+" "+e.Spec.GitOps.Branch] = true
	}
	if len(repos) != 1 {
		keys := slices.Sorted(maps.Keys(repos))
		return usagef("the environments read %d GitOps repositories or branches (%s): name the environment whose repository the parent reads", len(repos), strings.Join(keys, "; "))
	}
	e := envs[0]
	out, err := argocd.Parent(argocd.ParentOptions{Name: opts.name, Namespace: opts.namespace, Project: opts.project,
		RepoURL: e.Spec.GitOps.CloneURL(), Revision: e.Spec.GitOps.Branch, Path: opts.path})
	if err != nil {
		return err
	}
	_, err = a.Stdout.Write(out)
	return err
}
