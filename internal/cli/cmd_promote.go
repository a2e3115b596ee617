package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"strings"

	"github.com/spf13/pflag"

	"github.com/coditect/phasegen/internal/atomicfs"
	"github.com/coditect/phasegen/internal/config"
	"github.com/coditect/phasegen/internal/gate"
	"github.com/coditect/phasegen/internal/gitops"
	"github.com/coditect/phasegen/internal/gitops/github"
	"github.com/coditect/phasegen/internal/gitops/local"
	"github.com/coditect/phasegen/internal/promote"
)

// promoteOptions are the flags of promote.
type promoteOptions struct {
	to            string
	target        targetOptions
	dryRun        bool
	draft         bool
	labels        []string
	reviewers     []string
	allowSkip     bool
	allowRecreate bool
	allowEarly    bool
	forceBranch   bool
	takeOver      bool
}

func newPromoteCmd(a *App) *command {
	opts := &promoteOptions{}
	return &command{
		name:  "promote",
		usage: "promote ENV --to PHASE [--repo OWNER/NAME | --git-dir DIR] [--dry-run] [--draft] [--label L]... [--reviewer R]... [--allow-skip] [--allow-recreate] [--allow-early] [--take-over] [--force-branch] [--max-wait 2m]",
		short: "Promote an environment to a phase by pull request (or a commit in a local repository)",
		long: `Reads the phase ENV is at from the GitOps repository (the phasegen.dev/phase
annotation of its overlay's kustomization.yaml on the gitops branch), checks
the gates (next phase only, a first promotion to the first phase only,
immutable StatefulSet fields and Deployment selectors, the Application moving
to another namespace or name, objects Argo CD must prune), then writes ENV's
tree, <gitops.path>/ENV/, and its Application, <gitops.path>/overlays/argocd/ENV.yaml,
as one commit on branch phasegen/APP/ENV on top of the gitops branch and
opens a pull request, or updates the open one. Nothing else in the
repository changes: no other environment of this app or of any other. Nothing
is written when the repository already holds that content. When overlays/ was
rendered with --appset NAME, the commit carries the repository's
ApplicationSet NAME with ENV's element at the new phase (the other elements
as the repository holds them) instead of ENV's Application.

Shared repositories: ENV's tree records the app and environment that wrote
it (.phasegen/owner.yaml) and the objects it deploys (.phasegen/claims/).
A tree another app or environment owns, a file in it phasegen did not write
(or one edited since), and an object another environment's tree deploys on
the same cluster are refused, named, with nothing written. An Application the
repository holds under another name keeps it (and the name is recorded in
spec.argocd.applicationName). An environment in the previous layout (one
templates/base for all of an app's environments) is moved into its own tree
by its next promotion; the shared base stays until no environment reads it.

Targets: GitHub (--repo OWNER/NAME, else gitops.repo), authenticated with
GITHUB_TOKEN or GH_TOKEN against GITHUB_API_URL (default
https://api.github.com/; GitHub Enterprise: https://HOST/api/v3); or a local
git repository (--git-dir DIR, bare or not), which gets the branch and commit
and has the pull request's title and body printed instead.

After a successful write, environments/ENV.yaml records the new phase (its
comments kept) and overlays/ is re-rendered, so 'phasegen check' stays green.
--dry-run prints the title, body and files and writes nothing anywhere.
A refused gate exits 1 with what to do.

Soak: a phase with spec.soak (24h, 7d) holds the next promotion of an
environment until it has been at that phase that long on the gitops branch,
counted from the commit date of the oldest commit of the branch's history
(first-parent in a local repository) since which the environment's overlay
has carried the phase. A promotion before then exits 1 saying when the soak
ends; --allow-early lets it through and the pull request says so. A
rollback (to a phase of lower order) is never held.

The head branch phasegen/APP/ENV is replaced by each promotion. One whose
tip is not a promotion of this app and environment (someone's commit on
top, or another branch under that name) is refused and never replaced.
--force-branch replaces this promotion's own branch when it no longer shares
history with the gitops branch.`,
		example: "  phasegen promote production --to beta --dry-run\n" +
			"  phasegen promote production --to beta --label team/platform --reviewer octocat\n" +
			"  phasegen promote production --to beta --git-dir ../argocd-apps",
		setFlags: func(fs *pflag.FlagSet) {
			fs.StringVar(&opts.to, "to", "", "phase to promote to (required)")
			opts.target.setFlags(fs, "GitHub repository OWNER/NAME (default: the environment's gitops.repo)",
				"local git repository to commit to instead of GitHub")
			fs.BoolVar(&opts.dryRun, "dry-run", false, "print the title, body and files; write nothing")
			fs.BoolVar(&opts.draft, "draft", false, "open the pull request as a draft")
			fs.StringArrayVar(&opts.labels, "label", nil, "add a label to the pull request (repeatable)")
			fs.StringArrayVar(&opts.reviewers, "reviewer", nil, "request a reviewer, a login or ORG/TEAM (repeatable)")
			fs.BoolVar(&opts.allowSkip, "allow-skip", false, "allow promoting past the next phase")
			fs.BoolVar(&opts.allowRecreate, "allow-recreate", false, "allow changing immutable StatefulSet fields or a Deployment selector, or moving the Application to another namespace (follow the runbook in the PR)")
			fs.BoolVar(&opts.allowEarly, "allow-early", false, "promote before the current phase's soak (spec.soak) has passed")
			fs.BoolVar(&opts.forceBranch, "force-branch", false, "replace a phasegen/APP/ENV branch of this promotion's that no longer shares history with the gitops branch")
			fs.BoolVar(&opts.takeOver, "take-over", false, "move ENV out of the previous layout although that tree deploys workloads this app's base does not")
		},
		run: func(ctx context.Context, g *globalOptions, args []string) error {
			return a.runPromote(ctx, g, opts, args)
		},
	}
}

func (a *App) runPromote(ctx context.Context, g *globalOptions, opts *promoteOptions, args []string) error {
	if err := opts.target.check(); err != nil {
		return err
	}
	t, err := a.loadTransition(g, args, opts.to)
	if err != nil {
		return err
	}
	cfg, b, env := t.cfg, t.base, t.env
	if !opts.dryRun {
		// The environment's file is recorded after the promotion is written:
		// one phasegen cannot write must stop it before.
		root, err := atomicfs.RepoRoot(g.ConfigDir)
		if err != nil {
			return err
		}
		if _, _, err := atomicfs.Editable(root, env.Source.File); err != nil {
			return err
		}
		// The overlay is re-rendered after the write: a directory it
		// cannot replace stops the promotion before.
		if err := overlaysReplaceable(g); err != nil {
			return err
		}
	}
	perms := permsPromote()
	if opts.dryRun {
		perms = permsRead()
	}
	tg, pr, where, err := a.promoteTarget(env, &opts.target, perms)
	if errors.Is(err, errNoGitHubCredentials) && opts.dryRun {
		// A dry run writes nothing: it may read a public repository
		// without credentials, and says what it cannot read.
		if tg, pr, where, err = a.anonymousTarget(ctx, env, &opts.target); err != nil {
			return err
		}
	}
	if err != nil {
		return err
	}
	// A tree rendered with --appset promotes into the repository's
	// ApplicationSet instead of writing the environment's Application.
	appset, err := appSetOnDisk(g.OverlaysDir)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.Stderr, "promoting %s to %s in %s\n", env.Metadata.Name, opts.to, where)
	if appset != "" {
		fmt.Fprintf(a.Stderr, "%s/ uses ApplicationSet %s: the promotion updates its element for %s\n", displayDir(g.OverlaysDir), appset, env.Metadata.Name)
	}
	out, err := promote.Promote(ctx, promote.Options{
		Config: cfg, Base: b, Env: env.Metadata.Name, To: opts.to,
		Target: tg, PR: pr, AppSet: appset,
		DryRun: opts.dryRun, Draft: opts.draft, Labels: opts.labels, Reviewers: opts.reviewers,
		AllowSkip: opts.allowSkip, AllowRecreate: opts.allowRecreate, AllowEarly: opts.allowEarly, ForceBranch: opts.forceBranch, TakeOver: opts.takeOver,
		Overrides: gateFlags(),
		Now:       a.Now, Log: a.Stderr,
		// The last moment before the first write: an edit to the
		// environment's file since it was read stops the promotion here,
		// not after the GitOps write.
		BeforeWrite: func() error {
			if now := readOrNil(env.Source.File); !bytes.Equal(now, env.Source.Raw) {
				return fmt.Errorf("%s changed while the promotion was prepared: nothing was written; run promote again", env.Source.File)
			}
			return nil
		},
	})
	if err != nil {
		return err
	}
	switch {
	case opts.dryRun:
		a.printDryRun(out)
		return nil
	case out.UpToDate:
		fmt.Fprintf(a.Stdout, "nothing to do: %s already holds %s at %s\n", out.Base, out.Env, out.To)
	case out.PR != nil:
		fmt.Fprintln(a.Stdout, out.PR.URL)
	default:
		// A local repository has no pull request: print what it would say.
		fmt.Fprintf(a.Stderr, "branch %s is at %s in %s; its pull request would read:\n", out.Head, out.Write.Commit, opts.target.gitDir)
		fmt.Fprintf(a.Stdout, "# %s\n\n%s", out.Title, out.Body)
	}
	return a.recordPhase(g, env, opts.to, out.KeptName)
}

// promoteTarget opens the repository promote writes to.
func (a *App) promoteTarget(env *config.Environment, opts *targetOptions, perms map[string]string) (gitops.Repo, promote.PROpener, string, error) {
	if opts.gitDir != "" {
		r, err := local.OpenWith(opts.gitDir, local.Options{Now: a.Now})
		if err != nil {
			return nil, nil, "", err
		}
		return r, nil, "local repository " + opts.gitDir, nil
	}
	repo := opts.repo
	if repo == "" {
		repo = env.Spec.GitOps.Repo
	}
	if !ownerName(repo) {
		return nil, nil, "", usagef("--repo %q: want OWNER/NAME", repo)
	}
	owner, name, _ := strings.Cut(repo, "/")
	o, err := a.githubOptions(owner, name, perms)
	if errors.Is(err, errNoGitHubCredentials) {
		return nil, nil, "", fmt.Errorf("no GitHub token: set GITHUB_TOKEN or GH_TOKEN (a token that can push branches and open pull requests), or GitHub App credentials (GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY), or pass --git-dir DIR for a local repository: %w", errNoGitHubCredentials)
	}
	if err != nil {
		return nil, nil, "", err
	}
	o.MaxWait = opts.maxWait
	gh, err := github.New(o)
	if err != nil {
		return nil, nil, "", err
	}
	return gh, gh, "github.com/" + repo, nil
}

// anonymousTarget opens the environment's GitHub repository without
// credentials, for a dry run: it reads the GitOps branch's head first, so
// that a repository anonymous reads cannot see (a private one answers 404)
// is said to be unreadable, not taken for one without the environment.
func (a *App) anonymousTarget(ctx context.Context, env *config.Environment, opts *targetOptions) (gitops.Repo, promote.PROpener, string, error) {
	repo := opts.repo
	if repo == "" {
		repo = env.Spec.GitOps.Repo
	}
	owner, name, _ := strings.Cut(repo, "/")
	gh, err := github.New(github.Options{BaseURL: a.Getenv("GITHUB_API_URL"), Owner: owner, Repo: name,
		HTTPClient: a.HTTPClient, Sleep: a.Sleep, Now: a.Now, Log: a.Stderr, MaxWait: opts.maxWait})
	if err != nil {
		return nil, nil, "", err
	}
	fmt.Fprintf(a.Stderr, "github: no credentials: the dry run reads github.com/%s anonymously\n", repo)
	if _, err := gh.Head(ctx, env.Spec.GitOps.Branch); err != nil {
		return nil, nil, "", fmt.Errorf("the dry run could not read branch %s of github.com/%s without credentials (%v): a private repository answers anonymous reads with 404; set GITHUB_TOKEN or GH_TOKEN to a token that can read it (Contents: read is enough for a dry run)",
			env.Spec.GitOps.Branch, repo, err)
	}
	return gh, gh, "github.com/" + repo, nil
}

func (a *App) printDryRun(out promote.Outcome) {
	fmt.Fprintf(a.Stderr, "dry run: nothing was written\n")
	w := a.Stdout
	fmt.Fprintf(w, "Title: %s\nBranch: %s → %s\nLabels: %s\n\n%s\n", out.Title, out.Head, out.Base, strings.Join(out.Labels, ", "), out.Body)
	fmt.Fprintf(w, "Files (%d, under %s; %s):\n", len(out.Files), displayRoot(out.Root), out.Counts)
	for _, p := range out.Files.Paths() {
		fmt.Fprintf(w, "  %s\n", path.Join(out.Root, p))
	}
}

func displayRoot(root string) string {
	if root == "" {
		return "the repository's top"
	}
	return root + "/"
}

// recordPhase sets spec.phase of the environment's file to phase, keeping
// its comments, and re-renders its overlay; when rendering fails the file is
// put back as it was.
func (a *App) recordPhase(g *globalOptions, env *config.Environment, phase, keptName string) error {
	file := env.Source.File
	changed, err := setEnv(g.ConfigDir, file, env.Source.Raw, phase, keptName)
	if err != nil {
		return fmt.Errorf("the promotion was written, but recording it locally failed: %w", err)
	}
	if !changed {
		fmt.Fprintf(a.Stderr, "%s already declares phase %s\n", file, phase)
	} else {
		fmt.Fprintf(a.Stderr, "recorded phase %s in %s\n", phase, file)
	}
	if keptName != "" {
		fmt.Fprintf(a.Stderr, "recorded spec.argocd.applicationName %s in %s: the repository's Application keeps its name\n", keptName, file)
	}
	if err := a.runRender(g, []string{env.Metadata.Name}, ""); err != nil {
		if changed {
			if _, rerr := replaceConfig(g.ConfigDir, file, readOrNil(file), env.Source.Raw); rerr != nil {
				err = errors.Join(err, rerr)
			}
		}
		return fmt.Errorf("the promotion was written, but re-rendering %s failed (run 'phasegen render %s'): %w", g.OverlaysDir, env.Metadata.Name, err)
	}
	return nil
}

func readOrNil(file string) []byte {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil
	}
	return b
}

// gateFlags names the flags that let a refused gate through, for the gates'
// messages (promote and review).
func gateFlags() gate.Overrides {
	return gate.Overrides{Skip: "--allow-skip", Recreate: "--allow-recreate", Early: "--allow-early", TakeOver: "--take-over"}
}
