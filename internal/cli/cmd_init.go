package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"

	"github.com/coditect/phasegen/internal/adopt"
	"github.com/coditect/phasegen/internal/atomicfs"
)

type initOptions struct {
	from                             []string
	app, namespace, env, phase, repo string
	containers, skip                 []string
	includeSecrets, update           bool
}

func newInitCmd(a *App) *command {
	opts := &initOptions{}
	return &command{
		name:  "init",
		usage: "init --from PATH... [--app NAME] [--namespace NS] [--env NAME] [--phase NAME] [--gitops-repo OWNER/NAME] [--container WORKLOAD=NAME]... [--skip WORKLOAD]...",
		short: "Start a configuration from the manifests of an app that runs today",
		long: `Reads the app's manifests (a Kustomize directory, YAML files, or directories
of them; multi-document files and kind: List too) and writes a configuration
that reproduces them: templates/base/ (the inputs, less the HPAs, which
phasegen renders), environments/capacity.yaml (each Deployment's and
StatefulSet's container), environments/phases/<phase>.yaml (one phase sizing
every workload as the inputs do: replicas, resources, HPA range, targets and
behaviour, disruption budget) and environments/<env>.yaml. After it,
phasegen render and phasegen build <env> give the inputs back with only
phasegen's additions (PDBs, PrometheusRules, the phase annotation).
It writes nothing when any of those files exists, and says what it skipped.

What init leaves out, each named on stderr: objects a controller made
(ReplicaSets, Pods, the output of kubectl get all), objects of another
namespace (every environment puts all of the app's objects in its own),
cluster-scoped kinds Kustomize does not know, and the values of Secrets,
which would be committed to git (keep them in SOPS, Sealed Secrets or the
External Secrets Operator; --include-secrets writes them deliberately).
An HPA or PodDisruptionBudget of something phasegen does not size (an Argo
Rollout) passes through as it is. A Kustomize directory is built without
the network: a remote resource, base or component is refused at its line.`,
		example: "  phasegen init --from k8s/ --gitops-repo acme/argocd-apps\n  phasegen init --from deploy.yaml --from db.yaml --namespace shop --container db=mysql",
		setFlags: func(fs *pflag.FlagSet) {
			fs.StringArrayVar(&opts.from, "from", nil, "manifests to start from: a Kustomize directory, a YAML file or a directory of them (repeatable; more may follow as arguments)")
			fs.StringVar(&opts.app, "app", "", "the app's name (default: the app.kubernetes.io/part-of label all its workloads carry, or its one workload's name)")
			fs.StringVar(&opts.namespace, "namespace", "", "the namespace the app runs in (default: the one the inputs name)")
			fs.StringVar(&opts.env, "env", "production", "the Environment to write")
			fs.StringVar(&opts.phase, "phase", "current", "the Phase to write")
			fs.StringVar(&opts.repo, "gitops-repo", "", "the GitHub OWNER/NAME of the repository Argo CD reads")
			fs.StringArrayVar(&opts.containers, "container", nil, "WORKLOAD=NAME: the container phasegen sizes in a workload of several (repeatable)")
			fs.StringArrayVar(&opts.skip, "skip", nil, "WORKLOAD: leave it as the inputs have it (managed: false): no patch, HPA, PDB or alerts; plan still prices it (repeatable)")
			fs.BoolVar(&opts.update, "update", false, "re-import the manifests into templates/base, keeping the configuration: refused, naming each file and line, where the configuration no longer fits them")
			fs.BoolVar(&opts.includeSecrets, "include-secrets", false, "write Secrets with their values into templates/base (by default they are left out, and said)")
		},
		run: func(ctx context.Context, g *globalOptions, args []string) error {
			return a.runInit(g, opts, args)
		},
	}
}

func (a *App) runInit(g *globalOptions, opts *initOptions, args []string) error {
	from := append(append([]string(nil), opts.from...), args...)
	if len(from) == 0 {
		return usagef("init needs --from PATH: the manifests of the app as it runs today")
	}
	if opts.update {
		return a.runInitUpdate(g, opts, from)
	}
	containers := map[string]string{}
	for _, c := range opts.containers {
		w, n, ok := strings.Cut(c, "=")
		if !ok || w == "" || n == "" {
			return usagef("--container %q: want WORKLOAD=NAME", c)
		}
		containers[w] = n
	}
	res, err := adopt.Generate(adopt.Options{App: opts.app, From: from, Namespace: opts.namespace, Env: opts.env, Phase: opts.phase,
		GitOpsRepo: opts.repo, Containers: containers, Skip: opts.skip, IncludeSecrets: opts.includeSecrets,
		ConfigDir: filepath.ToSlash(g.ConfigDir), TemplatesDir: filepath.ToSlash(g.TemplatesDir)})
	var ce *adopt.ContainerError
	switch {
	case errors.As(err, &ce) && containers[ce.Workload] != "":
		return fmt.Errorf("--container %s=%s: %w", ce.Workload, containers[ce.Workload], err)
	case errors.As(err, &ce):
		return fmt.Errorf("%w: choose it with --container %s=NAME", err, ce.Workload)
	case errors.Is(err, adopt.ErrAppName):
		return fmt.Errorf("%w: name the app with --app NAME", err)
	case err != nil:
		return err
	}
	paths := res.Files.Paths()
	var exist []string
	for _, p := range paths {
		if _, err := os.Lstat(filepath.FromSlash(p)); err == nil || !errors.Is(err, fs.ErrNotExist) {
			exist = append(exist, p)
		}
	}
	if len(exist) > 0 {
		return fmt.Errorf("refusing to overwrite %s: phasegen init starts a configuration; move those away or run it in another directory (nothing was written)", strings.Join(exist, ", "))
	}
	for i, p := range paths {
		f := filepath.FromSlash(p)
		err := os.MkdirAll(filepath.Dir(f), 0o755)
		if err == nil {
			err = atomicfs.WriteFile(f, res.Files[p])
		}
		if err != nil {
			for _, q := range paths[:i] {
				_ = os.Remove(filepath.FromSlash(q))
			}
			return fmt.Errorf("writing %s: %w (what init had written is removed)", p, err)
		}
		fmt.Fprintf(a.Stderr, "wrote    %s\n", p)
	}
	for _, n := range res.Notes {
		fmt.Fprintf(a.Stderr, "note: %s\n", n)
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(a.Stderr, "warning: %s\n", w)
	}
	fmt.Fprintf(a.Stderr, "next: phasegen plan; phasegen render; phasegen build %s\n", opts.env)
	return nil
}
