package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/pflag"

	"github.com/coditect/phasegen/internal/alerts"
	"github.com/coditect/phasegen/internal/argocd"
	"github.com/coditect/phasegen/internal/argocdapi"
	"github.com/coditect/phasegen/internal/config"
	"github.com/coditect/phasegen/internal/gitops"
	"github.com/coditect/phasegen/internal/observe"
	"github.com/coditect/phasegen/internal/promapi"
	"github.com/coditect/phasegen/internal/syncwait"
	"github.com/coditect/phasegen/internal/workload"
)

// waitOptions are the flags of wait.
type waitOptions struct {
	revision   string
	timeout    time.Duration
	healthyFor time.Duration
	// metricsGrace and failOnRetry: syncwait.Options' MetricsGrace and
	// FailOnRetry.
	metricsGrace time.Duration
	failOnRetry  bool
	missingFor   time.Duration
	output       string
	server       string
	insecure     bool
	target       targetOptions
	prom         promOptions
	noAlerts     bool
}

func newWaitCmd(a *App) *command {
	opts := &waitOptions{}
	return &command{
		name:  "wait",
		usage: "wait ENV [--revision SHA] [--timeout 10m] [--healthy-for 30s] [--metrics-grace 2m] [--missing-for 4m] [--fail-on-retry] [-o table|json] [--argocd-server HOST] [--insecure] [--repo OWNER/NAME | --git-dir DIR] [--prometheus URL] [--no-alerts]",
		short: "Wait until Argo CD has synced ENV's Application to a revision and it stays Healthy",
		long: `After a promotion's pull request is merged, waits until Argo CD has synced
ENV's Application (<workload>-ENV, the name phasegen renders, also as an
ApplicationSet element; asked for in argocd.project, and in
argocd.namespace when that is not argocd) to the revision and the workload
is healthy:
status.sync.revision (or revisions) is the revision, status.sync.status is
Synced, no operation is Running, status.reconciledAt is not before
status.operationState.finishedAt, and status.health.status has been Healthy
for --healthy-for without a break (a flap starts the count again), counted
only once the phase has landed: every workload the phase sizes has observed
its current generation and runs at least the phase's floor (HPA minReplicas
or the fixed replicas) of updated, available pods, read from Argo CD's
managed resources (Argo CD calls a workload Healthy at the previous phase's
count while its HPA has yet to scale it up).

The revision defaults to the head of the environment's gitops branch, read
as promote reads it: from the local repository --git-dir, else from GitHub
(--repo, else gitops.repo; GITHUB_TOKEN or GH_TOKEN, GITHUB_API_URL).

Exits 1 at once when Argo CD reports the revision Degraded, a
ComparisonError, InvalidSpecError or SyncError condition, or a sync that
ended Failed or Error (quoting Argo CD's message), and at --timeout naming
what was still missing. Two Degraded states are known to pass: an
Application Degraded only by HPAs whose ScalingActive condition says their
pods have no metrics yet (a fresh HPA until the metrics pipeline scrapes
its pods) is waited out for --metrics-grace (default 2m: metrics-server's
60s resolution plus the HPA controller's 15s sync, with room), and then
fails saying so; and a sync Argo CD refused and is retrying (operation
Running, "Retrying attempt #N") is reported at once with the attempt and
the server's refusal, and fails the wait when Argo CD gives up, or at once
with --fail-on-retry. An Application that does not exist yet (404) is
waited for --missing-for (default 4m: Argo CD's default 3m reconciliation
plus its 1m jitter, within which the parent Application creates a new
environment's), then the 404 fails the wait. 401/403 mean ARGOCD_AUTH_TOKEN is wrong or lacks
'applications, get' on the Application; 5xx answers and dropped connections
are retried. Polls back off from 1s, doubling to 15s. Progress goes to
stderr, one line per state change; the result (-o table or json) to stdout.

Argo CD: --argocd-server or ARGOCD_SERVER (a bare HOST[:PORT] means https,
as the argocd CLI; a URL with http:// or https:// is used as given), the
token in ARGOCD_AUTH_TOKEN (an API token of an account with 'applications,
get'), --insecure to skip TLS verification.

Alerts: with --prometheus URL or PROMETHEUS_URL (PROMETHEUS_TOKEN, when
set, is sent as a bearer token and never shown), once the Application is
synced and healthy wait makes one instant query of the phase's alerts
firing for the environment, ALERTS{alertstate="firing"} with ENV's
namespace and the alert names of the PrometheusRule phasegen renders for
ENV's phase, and lists them on stderr and in the result. --no-alerts makes
wait exit 1 when any is firing, naming them. A wait that fails makes no
query; a Prometheus that cannot be read exits 1 naming its URL. Without a
Prometheus URL nothing is queried.`,
		example: "  ARGOCD_SERVER=argocd.example.com ARGOCD_AUTH_TOKEN=... phasegen wait production\n" +
			"  phasegen wait production --revision 3f2a9c1 --timeout 15m --healthy-for 2m -o json\n" +
			"  PROMETHEUS_URL=http://prometheus.monitoring:9090 phasegen wait production --no-alerts",
		setFlags: func(fs *pflag.FlagSet) {
			fs.StringVar(&opts.revision, "revision", "", "commit to wait for, full or abbreviated (default: the head of the gitops branch)")
			fs.DurationVar(&opts.timeout, "timeout", 10*time.Minute, "give up after this long")
			fs.DurationVar(&opts.healthyFor, "healthy-for", 30*time.Second, "how long the Application must stay Healthy without a break")
			fs.DurationVar(&opts.metricsGrace, "metrics-grace", 2*time.Minute, "how long HPAs without their first metrics may keep the Application Degraded")
			fs.DurationVar(&opts.missingFor, "missing-for", 4*time.Minute, "how long the Application may not exist yet (a parent creates it)")
			fs.BoolVar(&opts.failOnRetry, "fail-on-retry", false, "exit 1 at Argo CD's first refused sync instead of waiting out its retries")
			fs.StringVarP(&opts.output, "output", "o", "table", "output format: table or json")
			fs.StringVar(&opts.server, "argocd-server", "", "Argo CD API server, HOST[:PORT] or a URL (default: ARGOCD_SERVER)")
			fs.BoolVar(&opts.insecure, "insecure", false, "skip TLS certificate verification of the Argo CD server")
			opts.target.setFlags(fs, "GitHub repository OWNER/NAME the revision is read from (default: gitops.repo)",
				"local git repository the revision is read from instead of GitHub")
			opts.prom.setFlags(fs)
			fs.BoolVar(&opts.noAlerts, "no-alerts", false, "exit 1 when any of the phase's alerts is firing (needs a Prometheus URL)")
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
	case opts.timeout <= 0:
		return usagef("--timeout must be positive")
	case opts.healthyFor < 0:
		return usagef("--healthy-for must not be negative")
	case opts.metricsGrace < 0:
		return usagef("--metrics-grace must not be negative")
	case opts.missingFor < 0:
		return usagef("--missing-for must not be negative")
	case opts.prom.queryTimeout <= 0:
		return usagef("--query-timeout must be positive")
	case opts.noAlerts && opts.prom.url(a) == "":
		return usagef("--no-alerts needs a Prometheus to ask: pass --prometheus URL or set PROMETHEUS_URL")
	}
	if err := opts.target.check(); err != nil {
		return err
	}
	cfg, err := a.loadConfig(g)
	if err != nil {
		return err
	}
	env, err := findEnvironment(cfg, args[0])
	if err != nil {
		return err
	}
	phase, err := declaredPhase(cfg, env)
	if err != nil {
		return err
	}
	if opts.noAlerts && !env.AlertsEnabled() {
		return fmt.Errorf("wait %s --no-alerts: the environment renders no alerts to check (spec.prometheusRule.enabled is false in %s)", env.Metadata.Name, env.Source.File)
	}
	var prom *promapi.Client
	if opts.prom.url(a) != "" && !env.AlertsEnabled() {
		fmt.Fprintf(a.Stderr, "note: %s renders no alerts (spec.prometheusRule.enabled is false): wait asks Prometheus nothing\n", env.Metadata.Name)
	}
	if opts.prom.url(a) != "" && env.AlertsEnabled() {
		if prom, err = a.promClient(&opts.prom); err != nil {
			return err
		}
	}
	server := opts.server
	if server == "" {
		server = a.Getenv("ARGOCD_SERVER")
	}
	token := a.Getenv("ARGOCD_AUTH_TOKEN")
	client, err := argocdapi.New(argocdapi.Options{Server: server, Token: token, Insecure: opts.insecure, HTTPClient: a.HTTPClient})
	switch {
	case errors.Is(err, argocdapi.ErrNoServer):
		return fmt.Errorf("%w: pass --argocd-server HOST[:PORT] or set ARGOCD_SERVER", err)
	case errors.Is(err, argocdapi.ErrInsecureTransport):
		return errors.New("argo cd: --insecure needs an HTTP client with a standard transport")
	case err != nil:
		return err
	}
	if token == "" {
		return errors.New("no Argo CD token: set ARGOCD_AUTH_TOKEN (an API token of an account allowed 'applications, get')")
	}
	rev := opts.revision
	var head func(context.Context) (string, error)
	if rev == "" {
		// The branch is read inside the wait's deadline: a GitHub that
		// trickles its answer cannot hold wait past --timeout.
		hctx, cancel := context.WithTimeout(ctx, opts.timeout)
		rev, head, err = a.gitopsHead(hctx, env, opts)
		cancel()
		if err != nil {
			return err
		}
	}
	name := argocd.Name(env)
	// appNamespace only for an Application outside Argo CD's namespace:
	// without it the API server looks in its own, as for every
	// Application before spec.argocd.namespace.
	appNS, in := "", ""
	if ns := env.Spec.ArgoCD.ApplicationNamespace(); ns != argocd.Namespace {
		appNS, in = ns, " in namespace "+ns
	}
	ws, err := a.loadWorkloads(g, cfg)
	if err != nil {
		return err
	}
	floors := phaseFloors(ws, phase)
	fmt.Fprintf(a.Stderr, "waiting up to %s for Application %s%s on %s to sync %s, land phase %s (%s) and stay Healthy for %s\n",
		opts.timeout, name, in, client, rev, phase.Metadata.Name, describeFloors(floors), opts.healthyFor)
	res, werr := syncwait.Wait(ctx, syncwait.Options{
		Client: client, Server: client.String(), App: name, Project: env.Spec.ArgoCD.Project, AppNamespace: appNS,
		Revision: rev, Timeout: opts.timeout, HealthyFor: opts.healthyFor,
		MetricsGrace: opts.metricsGrace, FailOnRetry: opts.failOnRetry, Workloads: floors, MissingFor: opts.missingFor,
		Now: a.Now, Sleep: a.Sleep, Log: a.Stderr,
	})
	out := waitResult{Result: res}
	var aerr error
	// What is read after the wait has one query timeout in all, retries
	// included.
	after, cancel := context.WithTimeout(ctx, opts.prom.queryTimeout)
	defer cancel()
	if werr == nil && head != nil {
		out.BranchHead = a.headAfter(after, head, env.Spec.GitOps.Branch, rev)
	}
	if werr == nil && prom != nil {
		out.Alerts, aerr = a.waitAlerts(after, ws, prom, env, phase)
	}
	if res.Polls > 0 {
		if err := a.printWait(opts.output, out); err != nil {
			return err
		}
	}
	switch {
	case werr != nil:
		return werr
	case aerr != nil:
		return fmt.Errorf("%s is synced and healthy, but its alerts could not be read: %w", name, aerr)
	case opts.noAlerts && out.Alerts != nil && len(out.Alerts.Firing) > 0:
		return fmt.Errorf("--no-alerts: %s", out.Alerts.Summary())
	}
	return nil
}

// waitResult is wait's result: the wait's, and the alerts when a
// Prometheus was asked.
type waitResult struct {
	syncwait.Result
	Alerts *observe.AlertReport `json:"alerts,omitempty"`
	// BranchHead is the gitops branch's head after the wait, when it moved
	// on from the revision waited for (a newer promotion is on its way).
	BranchHead string `json:"branchHead,omitempty"`
}

// headAfter reads the branch's head again after a successful wait (with a
// fresh token when the wait outlived one) and says when it moved on from
// rev; "" when it did not, or could not be read (said on stderr).
func (a *App) headAfter(ctx context.Context, head func(context.Context) (string, error), branch, rev string) string {
	now, err := head(ctx)
	switch {
	case err != nil:
		fmt.Fprintf(a.Stderr, "could not read %s again after the wait: %v\n", branch, err)
		return ""
	case now == rev:
		return ""
	}
	fmt.Fprintf(a.Stderr, "%s moved on to %s while waiting: a newer commit is on its way to Argo CD\n", branch, now)
	return now
}

// waitAlerts asks Prometheus, in one query, which of phase's alerts fire
// for env now, and says so on stderr.
func (a *App) waitAlerts(ctx context.Context, ws *workload.Set, prom *promapi.Client, env *config.Environment, phase *config.Phase) (*observe.AlertReport, error) {
	var names []string
	for _, w := range ws.All {
		for _, n := range alerts.Names(phase.For(w.Name), alerts.For(w, ws.Several())) {
			if !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	r, err := observe.ReportAlerts(ctx, prom, env.Spec.Namespace, phase.Metadata.Name, names, a.Now())
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(a.Stderr, "prometheus %s: %s\n", r.Prometheus, r.Summary())
	return r, nil
}

// loadWorkloads loads the templates base and resolves the app's workloads.
func (a *App) loadWorkloads(g *globalOptions, cfg *config.Set) (*workload.Set, error) {
	b, err := a.loadBase(g)
	if err != nil {
		return nil, err
	}
	return workload.Resolve(cfg, b)
}

// phaseFloors are the workloads phase sizes, each with the pods it always
// runs there (the HPA floor or the fixed count): the phase has landed when
// each runs at least that many updated, available pods.
func phaseFloors(ws *workload.Set, phase *config.Phase) []syncwait.Workload {
	var out []syncwait.Workload
	for _, w := range ws.All {
		if v := phase.For(w.Name); v != nil {
			out = append(out, syncwait.Workload{Kind: w.Kind, Name: w.Name, Floor: v.MinReplicas()})
		}
	}
	return out
}

func describeFloors(ws []syncwait.Workload) string {
	parts := make([]string, len(ws))
	for i, w := range ws {
		parts[i] = fmt.Sprintf("%s %s at %d or more pods", w.Kind, w.Name, w.Floor)
	}
	return strings.Join(parts, ", ")
}

// gitopsHead reads the head of env's gitops branch from the target promote
// writes to: --git-dir, else GitHub; and returns how to read it again.
func (a *App) gitopsHead(ctx context.Context, env *config.Environment, opts *waitOptions) (string, func(context.Context) (string, error), error) {
	tg, _, where, err := a.promoteTarget(env, &opts.target, permsRead())
	var ue *usageError
	if errors.As(err, &ue) {
		return "", nil, err
	}
	if err != nil {
		return "", nil, fmt.Errorf("reading the head of %s to wait for (or pass --revision SHA): %w", env.Spec.GitOps.Branch, err)
	}
	h, ok := tg.(gitops.Historian)
	if !ok {
		return "", nil, fmt.Errorf("%s cannot tell the head of %s: pass --revision SHA", where, env.Spec.GitOps.Branch)
	}
	branch := env.Spec.GitOps.Branch
	read := func(ctx context.Context) (string, error) { return h.Head(ctx, branch) }
	rev, err := read(ctx)
	if err != nil {
		return "", nil, fmt.Errorf("reading the head of %s in %s (or pass --revision SHA): %w", branch, where, err)
	}
	fmt.Fprintf(a.Stderr, "%s is at %s in %s\n", branch, rev, where)
	return rev, read, nil
}

func (a *App) printWait(output string, res waitResult) error {
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
	if res.Alerts != nil {
		rows = append(rows, [2]string{"alerts", res.Alerts.Summary()})
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
