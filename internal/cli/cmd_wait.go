package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/pflag"

	"github.com/coditect/phasegen/internal/argocd"
	"github.com/coditect/phasegen/internal/argocdapi"
	"github.com/coditect/phasegen/internal/config"
	"github.com/coditect/phasegen/internal/syncwait"
	"github.com/coditect/phasegen/internal/target"
)

// waitOptions are the flags of wait.
type waitOptions struct {
	revision   string
	timeout    time.Duration
	healthyFor time.Duration
	output     string
	server     string
	insecure   bool
	repo       string
	gitDir     string
	maxWait    time.Duration
}

func newWaitCmd(a *App) *command {
	opts := &waitOptions{}
	return &command{
		name:  "wait",
		usage: "wait ENV [--revision SHA] [--timeout 10m] [--healthy-for 30s] [-o table|json] [--argocd-server HOST] [--insecure] [--repo OWNER/NAME | --git-dir DIR]",
		short: "Wait until Argo CD has synced ENV's Application to a revision and it stays Healthy",
		long: `After a promotion's pull request is merged, waits until Argo CD has synced
ENV's Application (<workload>-ENV, the name phasegen renders, also as an
ApplicationSet element) to the revision and the workload is healthy:
status.sync.revision (or revisions) is the revision, status.sync.status is
Synced, no operation is Running, status.reconciledAt is not before
status.operationState.finishedAt, and status.health.status has been Healthy
for --healthy-for without a break (a flap starts the count again).

The revision defaults to the head of the environment's gitops branch, read
as promote reads it: from the local repository --git-dir, else from GitHub
(--repo, else gitops.repo; GITHUB_TOKEN or GH_TOKEN, GITHUB_API_URL).

Exits 1 at once when Argo CD reports the revision Degraded, a
ComparisonError, InvalidSpecError or SyncError condition, or a sync that
ended Failed or Error (quoting Argo CD's message), and at --timeout naming
what was still missing. 401/403 mean ARGOCD_AUTH_TOKEN is wrong or lacks
'applications, get' on the Application; 5xx answers and dropped connections
are retried. Polls back off from 1s, doubling to 15s. Progress goes to
stderr, one line per state change; the result (-o table or json) to stdout.

Argo CD: --argocd-server or ARGOCD_SERVER (a bare HOST[:PORT] means https,
as the argocd CLI; a URL with http:// or https:// is used as given), the
token in ARGOCD_AUTH_TOKEN (an API token of an account with 'applications,
get'), --insecure to skip TLS verification.`,
		example: "  ARGOCD_SERVER=argocd.example.com ARGOCD_AUTH_TOKEN=... phasegen wait production\n" +
			"  phasegen wait production --revision 3f2a9c1 --timeout 15m --healthy-for 2m -o json",
		setFlags: func(fs *pflag.FlagSet) {
			fs.StringVar(&opts.revision, "revision", "", "commit to wait for, full or abbreviated (default: the head of the gitops branch)")
			fs.DurationVar(&opts.timeout, "timeout", 10*time.Minute, "give up after this long")
			fs.DurationVar(&opts.healthyFor, "healthy-for", 30*time.Second, "how long the Application must stay Healthy without a break")
			fs.StringVarP(&opts.output, "output", "o", "table", "output format: table or json")
			fs.StringVar(&opts.server, "argocd-server", "", "Argo CD API server, HOST[:PORT] or a URL (default: ARGOCD_SERVER)")
			fs.BoolVar(&opts.insecure, "insecure", false, "skip TLS certificate verification of the Argo CD server")
			fs.StringVar(&opts.repo, "repo", "", "GitHub repository OWNER/NAME the revision is read from (default: gitops.repo)")
			fs.StringVar(&opts.gitDir, "git-dir", "", "local git repository the revision is read from instead of GitHub")
			fs.DurationVar(&opts.maxWait, "max-wait", 2*time.Minute, "longest wait for a GitHub rate limit to reset")
		},
		run: func(ctx context.Context, g *globalOptions, args []string) error {
			return a.runWait(ctx, g, opts, args)
		},
	}
}

func (a *App) runWait(ctx context.Context, g *globalOptions, opts *waitOptions, args []string) error {
	switch {
	case len(args) != 1:
		return usagef("want exactly one ENV, got %d", len(args))
	case opts.output != "table" && opts.output != "json":
		return usagef("-o must be table or json, not %q", opts.output)
	case opts.repo != "" && opts.gitDir != "":
		return usagef("--repo and --git-dir are exclusive: pick one")
	case opts.timeout <= 0:
		return usagef("--timeout must be positive")
	case opts.healthyFor < 0:
		return usagef("--healthy-for must not be negative")
	}
	cfg, err := a.loadConfig(g)
	if err != nil {
		return err
	}
	env, err := findEnvironment(cfg, args[0])
	if err != nil {
		return err
	}
	server := opts.server
	if server == "" {
		server = a.Getenv("ARGOCD_SERVER")
	}
	token := a.Getenv("ARGOCD_AUTH_TOKEN")
	client, err := argocdapi.New(argocdapi.Options{Server: server, Token: token, Insecure: opts.insecure, HTTPClient: a.HTTPClient})
	if err != nil {
		return err
	}
	if token == "" {
		return errors.New("no Argo CD token: set ARGOCD_AUTH_TOKEN (an API token of an account allowed 'applications, get')")
	}
	rev := opts.revision
	if rev == "" {
		if rev, err = a.gitopsHead(ctx, env, opts); err != nil {
			return err
		}
	}
	name := argocd.Name(env)
	fmt.Fprintf(a.Stderr, "waiting up to %s for Application %s on %s to sync %s and stay Healthy for %s\n", opts.timeout, name, client, rev, opts.healthyFor)
	res, werr := syncwait.Wait(ctx, syncwait.Options{
		Client: client, Server: client.String(), App: name, Project: env.Spec.ArgoCD.Project,
		Revision: rev, Timeout: opts.timeout, HealthyFor: opts.healthyFor,
		Now: a.Now, Sleep: a.Sleep, Log: a.Stderr,
	})
	if res.Polls > 0 {
		if err := a.printWait(opts.output, res); err != nil {
			return err
		}
	}
	return werr
}

// gitopsHead reads the head of env's gitops branch from the target promote
// writes to: --git-dir, else GitHub.
func (a *App) gitopsHead(ctx context.Context, env *config.Environment, opts *waitOptions) (string, error) {
	tg, _, where, err := a.promoteTarget(env, &promoteOptions{repo: opts.repo, gitDir: opts.gitDir, maxWait: opts.maxWait})
	var ue *usageError
	if errors.As(err, &ue) {
		return "", err
	}
	if err != nil {
		return "", fmt.Errorf("reading the head of %s to wait for (or pass --revision SHA): %w", env.Spec.GitOps.Branch, err)
	}
	h, ok := tg.(target.Historian)
	if !ok {
		return "", fmt.Errorf("%s cannot tell the head of %s: pass --revision SHA", where, env.Spec.GitOps.Branch)
	}
	branch := env.Spec.GitOps.Branch
	rev, err := h.Head(ctx, branch)
	if err != nil {
		return "", fmt.Errorf("reading the head of %s in %s (or pass --revision SHA): %w", branch, where, err)
	}
	fmt.Fprintf(a.Stderr, "%s is at %s in %s\n", branch, rev, where)
	return rev, nil
}

func (a *App) printWait(output string, res syncwait.Result) error {
	if output == "json" {
		b, err := json.MarshalIndent(res, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(a.Stdout, "%s\n", b)
		return err
	}
	tw := tabwriter.NewWriter(a.Stdout, 0, 4, 2, ' ', 0)
	ready := "no"
	if res.Ready {
		ready = "yes"
	}
	health := orDash(res.Health)
	if res.HealthySince != nil {
		health += " since " + res.HealthySince.UTC().Format(time.RFC3339)
	}
	rows := [][2]string{
		{"application", res.Application},
		{"revision", res.Revision},
		{"ready", ready},
		{"sync", orDash(res.Sync) + " at " + orDash(res.SyncRevision)},
		{"health", health},
		{"operation", orDash(res.Operation)},
		{"waited", fmt.Sprintf("%s (%d polls)", res.Waited, res.Polls)},
	}
	if len(res.Missing) > 0 {
		rows = append(rows, [2]string{"missing", strings.Join(res.Missing, "; ")})
	}
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\n", r[0], r[1])
	}
	return tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
