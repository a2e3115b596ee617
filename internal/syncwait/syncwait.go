// Package syncwait waits, after a promotion's merge, until Argo CD has
// synced an environment's Application to a revision and it has stayed
// Healthy for a while: the revision is the one status.sync compares
// against, status.sync.status is Synced, no operation is Running,
// status.reconciledAt is not before status.operationState.finishedAt, and
// status.health.status has been Healthy for HealthyFor without a break (a
// flap starts the count again). It fails at once when Argo CD reports the
// revision Degraded, a ComparisonError, InvalidSpecError or SyncError
// condition, or a sync of the revision that ended Failed or Error, quoting
// Argo CD's message; and at the timeout, naming what was still missing.
// Degraded only because HPAs have no metrics or no target yet (MetricsPending, TargetPending) is
// waited out for Options.MetricsGrace. A refused sync Argo CD retries
// (operation Running with a retryCount) is reported at once, with the
// attempt and the server's refusal, and fails the wait when Argo CD gives
// up (or at once with Options.FailOnRetry). With Options.Workloads, the
// Healthy count starts only once each has landed at the phase's floor of
// pods (read from the managed resources).
//
// Polling backs off from 1s, doubling to 15s, and starts again at 1s when
// the state changes; 5xx answers and dropped connections are retried until
// the timeout. Every wait goes through Options.Sleep and every time comes
// from Options.Now, so tests drive it on a virtual clock.
package syncwait

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/coditect/phasegen/internal/argocdapi"
)

// Backoff bounds.
const (
	FirstPoll = time.Second
	MaxPoll   = 15 * time.Second
)

// Getter reads an Application and its managed resources;
// *argocdapi.Client is one.
type Getter interface {
	Application(ctx context.Context, name string, q argocdapi.Query) (*argocdapi.Application, error)
	ManagedResources(ctx context.Context, name, group string, q argocdapi.Query) ([]argocdapi.ManagedResource, error)
}

// Workload is a Deployment or StatefulSet of the environment and the
// phase's floor of pods: the phase has landed when each has observed its
// current generation and runs at least Floor updated, available pods.
type Workload struct {
	Kind, Name string
	Floor      int32
}

// Options is one wait.
type Options struct {
	Client Getter
	Server string // the Argo CD server, for messages
	App    string // Application name
	// Project and AppNamespace narrow the read (see argocdapi.Query).
	Project, AppNamespace string
	Revision              string // the commit to wait for
	Timeout               time.Duration
	HealthyFor            time.Duration
	Now                   func() time.Time
	Sleep                 func(ctx context.Context, d time.Duration) error
	// Log receives one line per state change and per retried failure.
	Log io.Writer
	// MetricsGrace is how long the Application may stay Degraded only
	// because its HPAs have no metrics or target yet (pendingHPA) before the
	// wait fails; 0 fails at once.
	MetricsGrace time.Duration
	// FailOnRetry fails the wait at Argo CD's first refused sync of the
	// revision, instead of waiting while Argo CD retries it.
	FailOnRetry bool
	// MissingFor is how long the Application may not exist yet (404)
	// before the wait fails: after the merge, the parent Application
	// creates a new environment's Application at its next reconciliation.
	MissingFor time.Duration
	// Workloads, when set, must have landed at the phase (see Workload)
	// before the Healthy count starts: Argo CD calls a StatefulSet Healthy
	// at the previous phase's count while its HPA has yet to scale it to
	// the new floor. Read from the managed resources (one more call per
	// poll once the rest holds).
	Workloads []Workload
}

// MetricsPending are the messages of an HPA's ScalingActive condition
// (reasons FailedGetResourceMetric, FailedGetPodsMetric,
// FailedComputeMetricsReplicas) while its pods have no metrics yet, which
// Argo CD's HPA health check reports Degraded: the HPA controller's words
// (k8s.io/kubernetes pkg/controller/podautoscaler), found in the
// condition's message. A fresh HPA shows one until the metrics pipeline
// has scraped its new pods (metrics-server's resolution, 60 s by default,
// plus the controller's 15 s sync).
var MetricsPending = []string{
	"no metrics returned from resource metrics API",
	"did not receive metrics for targeted pods (pods might be unready)",
}

// TargetPending is the message of an HPA's AbleToScale condition (reason
// FailedGetScale) while its target does not exist yet, which Argo CD's HPA
// health check reports Degraded: Argo CD applies a new environment's HPA
// before its StatefulSet (seen with the real Argo CD), so the HPA
// controller's first look finds no target. It is transient only with "not
// found" in the message.
const TargetPending = "the HPA controller was unable to get the target's current scale: "

// pendingHPA reports whether an HPA's health message is one of a fresh
// HPA's: no metrics yet, or no target yet.
func pendingHPA(msg string) bool {
	return slices.ContainsFunc(MetricsPending, func(m string) bool { return strings.Contains(msg, m) }) ||
		strings.Contains(msg, TargetPending) && strings.Contains(msg, "not found")
}

// Result is the last state seen and how the wait ended.
type Result struct {
	Application  string     `json:"application"`
	Revision     string     `json:"revision"`
	Ready        bool       `json:"ready"`
	Sync         string     `json:"sync"`
	SyncRevision string     `json:"syncRevision"`
	Health       string     `json:"health"`
	Operation    string     `json:"operation"`
	ReconciledAt *time.Time `json:"reconciledAt"`
	HealthySince *time.Time `json:"healthySince"`
	HealthyFor   string     `json:"healthyFor"`
	Waited       string     `json:"waited"`
	Polls        int        `json:"polls"`
	// Missing lists what the Application still lacked when the wait ended
	// without success.
	Missing []string `json:"missing,omitempty"`
	// Unhealthy are the managed resources Argo CD last reported not
	// Healthy (the workloads that hold the Application back).
	Unhealthy []Resource `json:"unhealthy,omitempty"`
	// Retrying is Argo CD's last refused sync of the revision that it is
	// retrying: the attempt and the server's message.
	Retrying *Retry `json:"retrying,omitempty"`
	Error    string `json:"error,omitempty"`
}

// Retry is a sync Argo CD is retrying.
type Retry struct {
	Attempt int64  `json:"attempt"`
	Message string `json:"message"`
}

// Resource is a managed resource that is not Healthy.
type Resource struct {
	Kind    string `json:"kind"`
	Name    string `json:"name"`
	Health  string `json:"health"`
	Message string `json:"message,omitempty"`
}

func (r Resource) String() string {
	s := r.Kind + " " + r.Name + " " + r.Health
	if r.Message != "" {
		s += " (" + r.Message + ")"
	}
	return s
}

// unhealthy are app's managed resources whose health Argo CD reports and
// is not Healthy, in its order.
func unhealthy(app *argocdapi.Application) []Resource {
	var out []Resource
	for _, r := range app.Status.Resources {
		if r.Health != nil && r.Health.Status != "" && r.Health.Status != "Healthy" {
			out = append(out, Resource{Kind: r.Kind, Name: r.Name, Health: r.Health.Status, Message: r.Health.Message})
		}
	}
	return out
}

// describe lists resources for a message.
func describe(rs []Resource) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = r.String()
	}
	return strings.Join(parts, "; ")
}

// ErrTimeout is wrapped by the error of a wait that ran out of time.
var ErrTimeout = errors.New("timed out")

// failing condition types.
var fatalConditions = []string{"ComparisonError", "InvalidSpecError", "SyncError"}

// explain turns a refused request into what the user must fix.
func explain(o Options, err error) error {
	var ae *argocdapi.APIError
	errors.As(err, &ae)
	switch {
	case errors.Is(err, argocdapi.ErrAuth) && ae != nil && ae.Status == 401:
		return fmt.Errorf("argo cd at %s rejected the token (401 %s): ARGOCD_AUTH_TOKEN is missing, wrong or expired: %w", o.Server, ae.Message, err)
	case errors.Is(err, argocdapi.ErrAuth):
		why := "the token in ARGOCD_AUTH_TOKEN lacks the 'applications, get' permission on it"
		if o.AppNamespace != "" {
			why += fmt.Sprintf(", or Argo CD does not allow Applications in namespace %s (application.namespaces)", o.AppNamespace)
		}
		if o.Project == "" {
			why += "; without a project Argo CD answers the same for an Application that does not exist"
		}
		return fmt.Errorf("argo cd at %s denied reading Application %s (403): %s: %w", o.Server, o.where(), why, err)
	case argocdapi.TLSError(err):
		return fmt.Errorf("argo cd at %s: TLS failed (a self-signed certificate? --insecure skips verification; a plain HTTP server needs an http:// URL): %w", o.Server, err)
	case errors.Is(err, argocdapi.ErrNotFound):
		hint := ""
		if o.AppNamespace == "" {
			hint = " (it was looked for in Argo CD's own namespace: one in another namespace needs spec.argocd.namespace)"
		}
		return fmt.Errorf("argo cd at %s has no Application %s (404): is it deployed, under that name, in project %q%s? %w", o.Server, o.where(), o.Project, hint, err)
	}
	return fmt.Errorf("reading Application %s from argo cd at %s: %w", o.App, o.Server, err)
}

// where names the Application, with its namespace when one was asked for.
func (o Options) where() string {
	if o.AppNamespace != "" {
		return o.App + " in namespace " + o.AppNamespace
	}
	return o.App
}

// failure returns the error that ends the wait at once, or nil. graced:
// the Application is Degraded only by HPAs awaiting metrics, within the
// grace.
func failure(o Options, app *argocdapi.Application, graced bool) error {
	st := app.Status
	if op := st.OperationState; op != nil && (op.Phase == "Failed" || op.Phase == "Error") {
		revs := op.OperationRevisions()
		if len(revs) == 0 || hasRevision(revs, o.Revision) {
			return fmt.Errorf("argo cd's sync of %s to %s ended %s: %s", o.App, short(o.Revision), op.Phase, op.Message)
		}
	}
	for _, c := range st.Conditions {
		if slices.Contains(fatalConditions, c.Type) {
			return fmt.Errorf("argo cd reports %s on %s: %s", c.Type, o.App, c.Message)
		}
	}
	if st.Health.Status == "Degraded" && hasRevision(st.Sync.All(), o.Revision) && !graced {
		msg := st.Health.Message
		bad := unhealthy(app)
		switch {
		case len(bad) > 0 && msg != "":
			msg += "; not Healthy: " + describe(bad)
		case len(bad) > 0:
			msg = "not Healthy: " + describe(bad)
		case msg == "":
			msg = "(Argo CD gave no message: see 'argocd app get " + o.App + "')"
		}
		return fmt.Errorf("argo cd reports %s Degraded at %s: %s", o.App, short(o.Revision), msg)
	}
	return nil
}

// missingFor lists what the Application lacks, Healthy included.
func missingFor(rev string, app *argocdapi.Application) []string {
	st := app.Status
	var m []string
	if !hasRevision(st.Sync.All(), rev) {
		have := st.Sync.Revision
		if have == "" {
			have = strings.Join(st.Sync.Revisions, ",")
		}
		m = append(m, fmt.Sprintf("status.sync.revision %s (it is %s)", short(rev), orNone(short(have))))
	}
	if st.Sync.Status != "Synced" {
		m = append(m, fmt.Sprintf("status.sync.status Synced (it is %s)", orNone(st.Sync.Status)))
	}
	if op := st.OperationState; op != nil && op.Phase == "Running" {
		m = append(m, "the running sync operation to finish")
	}
	if op := st.OperationState; op != nil && op.FinishedAt != nil && (st.ReconciledAt == nil || st.ReconciledAt.Before(*op.FinishedAt)) {
		m = append(m, "a reconciliation after the sync (status.reconciledAt before operationState.finishedAt)")
	}
	if st.Health.Status != "Healthy" {
		m = append(m, fmt.Sprintf("status.health.status Healthy (it is %s)", orNone(st.Health.Status)))
	}
	for _, r := range unhealthy(app) {
		m = append(m, fmt.Sprintf("%s %s Healthy (it is %s)", r.Kind, r.Name, r.Health))
	}
	return m
}

func stateLine(rev string, app *argocdapi.Application) string {
	st := app.Status
	r := st.Sync.Revision
	if r == "" {
		r = strings.Join(st.Sync.Revisions, ",")
	}
	mark := "not yet " + short(rev)
	if hasRevision(st.Sync.All(), rev) {
		mark = short(rev)
	}
	op := "none"
	if st.OperationState != nil {
		op = st.OperationState.Phase
	}
	line := fmt.Sprintf("revision %s (%s), sync %s, health %s, operation %s", orNone(short(r)), mark, orNone(st.Sync.Status), orNone(st.Health.Status), op)
	if op := st.OperationState; op != nil && op.FinishedAt != nil && (st.ReconciledAt == nil || st.ReconciledAt.Before(*op.FinishedAt)) {
		line += ", not reconciled since the sync"
	}
	return line
}

// hasRevision reports whether revs holds rev, or a commit id rev
// abbreviates (7 or more hex digits, as git prints them).
func hasRevision(revs []string, rev string) bool {
	for _, r := range revs {
		if r == rev || (len(rev) >= 7 && len(rev) < len(r) && strings.HasPrefix(r, strings.ToLower(rev))) {
			return true
		}
	}
	return false
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}
