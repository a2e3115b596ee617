package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/pflag"

	"github.com/coditect/phasegen/internal/base"
	"github.com/coditect/phasegen/internal/capacity"
	"github.com/coditect/phasegen/internal/config"
	"github.com/coditect/phasegen/internal/observe"
	"github.com/coditect/phasegen/internal/promapi"
)

// promOptions are the flags of the commands that read Prometheus.
type promOptions struct {
	prometheus   string
	queryTimeout time.Duration
}

func (o *promOptions) setFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.prometheus, "prometheus", "", "Prometheus API URL (default $PROMETHEUS_URL)")
	fs.DurationVar(&o.queryTimeout, "query-timeout", promapi.DefaultTimeout, "longest wait for one query's answer")
}

// url is --prometheus, else PROMETHEUS_URL; "" when neither is set.
func (o *promOptions) url(a *App) string {
	if o.prometheus != "" {
		return o.prometheus
	}
	return a.Getenv("PROMETHEUS_URL")
}

// promClient is the Prometheus client of o: PROMETHEUS_TOKEN as the bearer
// token, the App's HTTP client and Sleep, retries logged to stderr.
func (a *App) promClient(o *promOptions) (*promapi.Client, error) {
	c, err := promapi.New(promapi.Options{
		URL: o.url(a), Token: a.Getenv("PROMETHEUS_TOKEN"), HTTPClient: a.HTTPClient,
		Timeout: o.queryTimeout, Sleep: a.Sleep, Now: a.Now,
		Logf: func(format string, args ...any) { fmt.Fprintf(a.Stderr, format+"\n", args...) },
	})
	if errors.Is(err, promapi.ErrNoURL) {
		return nil, fmt.Errorf("%w: pass --prometheus URL or set PROMETHEUS_URL", err)
	}
	return c, err
}

// observeOptions are the flags status and tune share.
type observeOptions struct {
	promOptions
	window string
	at     string
	output string
}

func (o *observeOptions) setFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.window, "window", "7d", "how far back to look (7d, 36h, 1w2d; 1h to 90d)")
	fs.StringVar(&o.at, "at", "", "end of the window, RFC 3339 or unix seconds (default now)")
	o.promOptions.setFlags(fs)
	fs.StringVarP(&o.output, "output", "o", "table", "output format: table, json or markdown")
}

// observed is what status and tune start from: the environment at its
// declared phase, and each workload observed.
type observed struct {
	cfg       *config.Set
	base      *base.Base
	env       *config.Environment
	phase     *config.Phase // the environment's declared phase
	workloads []*observedWorkload
	window    string
}

// observedWorkload is one workload of the environment, observed.
type observedWorkload struct {
	planner *capacity.WorkloadPlanner
	phase   *config.Phase // the phase as it sizes the workload
	obs     *observe.Observation
	missing error // a figure without data, for this workload
}

// observeEnv checks the arguments, loads the configs and runs the
// observation of ENV's workload at its declared phase.
func (a *App) observeEnv(ctx context.Context, g *globalOptions, o *observeOptions, args []string) (*observed, error) {
	switch o.output {
	case "table", "json", "markdown":
	default:
		return nil, usagef("-o must be table, json or markdown, not %q", o.output)
	}
	if len(args) != 1 {
		return nil, usagef("want exactly one ENV, got %d", len(args))
	}
	window, err := observe.ParseWindow(o.window)
	if err != nil {
		return nil, usagef("--window: %v", err)
	}
	at := a.Now().UTC()
	if o.at != "" {
		if at, err = observe.ParseTime(o.at); err != nil {
			return nil, usagef("--at %v", err)
		}
	}
	if o.queryTimeout <= 0 {
		return nil, usagef("--query-timeout must be positive")
	}
	cfg, b, err := a.loadAll(g)
	if err != nil {
		return nil, err
	}
	env, err := findEnvironment(cfg, args[0])
	if err != nil {
		return nil, err
	}
	phase, err := declaredPhase(cfg, env)
	if err != nil {
		return nil, err
	}
	all, err := capacity.NewPlanner(cfg, b)
	if err != nil {
		return nil, err
	}
	client, err := a.promClient(&o.promOptions)
	if err != nil {
		return nil, err
	}
	out := &observed{cfg: cfg, base: b, env: env, phase: phase, window: o.window}
	var scopes []observe.Scope
	for _, wp := range all.Workloads {
		w := wp.Workload
		view := phase.For(w.Name)
		out.workloads = append(out.workloads, &observedWorkload{planner: wp, phase: view})
		scopes = append(scopes, observe.Scope{Namespace: env.Spec.Namespace, Workload: w.Name, Container: w.Container.Name,
			SessionMetric: w.Model.SessionMetric, SessionLabels: w.Model.SessionLabels, HPA: view.Spec.Autoscaling != nil,
			Deployment: w.Kind == base.KindDeployment, NoVolumes: len(w.ClaimTemplates()) == 0})
	}
	fmt.Fprintf(a.Stderr, "observing %s (namespace %s, phase %s) in %s over the %s before %s\n",
		env.Metadata.Name, env.Spec.Namespace, phase.Metadata.Name, client.URL(), observe.FormatWindow(window), at.Format(time.RFC3339))
	obs, missing, err := observe.ObserveAll(ctx, client, scopes, window, at)
	if err != nil {
		return nil, err
	}
	for _, ow := range out.workloads {
		name := ow.planner.Workload.Name
		ow.obs, ow.missing = obs[name], missing[name]
	}
	return out, nil
}
