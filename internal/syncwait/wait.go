package syncwait

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/coditect/phasegen/internal/argocdapi"
)

// waiter is one wait's state between polls.
type waiter struct {
	o                          Options
	res                        Result
	start, deadline            time.Time
	poll                       time.Duration
	refreshed                  bool
	last                       string // the last state line logged
	lastErr                    error  // the last transient failure, nil after an answer
	healthySince, pendingSince time.Time
	retried                    int64  // the last retry attempt reported
	absent                     bool   // the Application was not found yet
	landing                    string // the last not-landed line logged
}

// Wait polls until the Application is synced and healthy (nil), fails, or
// the timeout passes.
func Wait(ctx context.Context, o Options) (Result, error) {
	if o.Log == nil {
		o.Log = io.Discard
	}
	w := &waiter{o: o, res: Result{Application: o.App, Revision: o.Revision, HealthyFor: o.HealthyFor.String()}, poll: FirstPoll}
	if o.Client == nil || o.Now == nil || o.Sleep == nil || o.App == "" || o.Revision == "" {
		return w.res, errors.New("syncwait: client, clock, sleep, application and revision are required")
	}
	w.start = o.Now()
	w.deadline = w.start.Add(o.Timeout)
	for {
		q := argocdapi.Query{Project: o.Project, AppNamespace: o.AppNamespace}
		if !w.refreshed {
			q.Refresh = "normal"
		}
		// The request carries what is left of the deadline: a server that
		// answers a byte at a time cannot hold the wait past --timeout.
		rctx, cancel := w.requestContext(ctx)
		app, err := o.Client.Application(rctx, o.App, q)
		// Cut by the wait's own deadline: the server's last failure, when
		// there was one, says more than that cut.
		cut := err != nil && rctx.Err() != nil && w.lastErr != nil
		cancel()
		now := o.Now()
		w.res.Polls++
		w.res.Waited = now.Sub(w.start).Round(time.Second).String()
		switch {
		case err != nil && ctx.Err() != nil:
			return w.res, fmt.Errorf("waiting for %s: %w", o.App, ctx.Err())
		case cut:
		case err != nil && argocdapi.Transient(err):
			w.transient(err)
		case errors.Is(err, argocdapi.ErrNotFound) && now.Sub(w.start) < o.MissingFor:
			if !w.absent {
				fmt.Fprintf(o.Log, "%s: no such Application yet (a parent Application creates it at its next reconciliation); waiting up to %s for it\n", o.App, o.MissingFor)
				w.absent = true
			}
			w.res.Missing = []string{"the Application (Argo CD answers 404: " + err.Error() + ")"}
		case err != nil:
			return w.fail(explain(o, err))
		default:
			if done, err := w.observe(ctx, app, now); done || err != nil {
				return w.res, err
			}
		}
		if !now.Before(w.deadline) {
			return w.fail(w.timedOut())
		}
		d := min(w.poll, w.deadline.Sub(now))
		if !w.healthySince.IsZero() {
			d = min(d, max(w.healthySince.Add(o.HealthyFor).Sub(now), time.Millisecond))
		}
		if err := o.Sleep(ctx, d); err != nil {
			return w.res, fmt.Errorf("waiting for %s: %w", o.App, err)
		}
		w.poll = min(w.poll*2, MaxPoll)
	}
}

// lastLook is the least time one request gets: the look taken at the
// deadline itself is a real one, not a request cut before it is sent.
const lastLook = 10 * time.Second

// requestContext bounds one request by what is left of the deadline, and
// never by less than lastLook.
func (w *waiter) requestContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, max(w.deadline.Sub(w.o.Now()), lastLook))
}

func (w *waiter) transient(err error) {
	w.lastErr = err
	fmt.Fprintf(w.o.Log, "argo cd: %v; retrying\n", err)
}

func (w *waiter) fail(err error) (Result, error) {
	w.res.Error = err.Error()
	return w.res, err
}

// observe takes one answer: done when the wait succeeded, an error when it
// failed.
func (w *waiter) observe(ctx context.Context, app *argocdapi.Application, now time.Time) (bool, error) {
	o := w.o
	w.refreshed, w.lastErr = true, nil
	st := app.Status
	w.res.Sync, w.res.SyncRevision, w.res.Health = st.Sync.Status, st.Sync.Revision, st.Health.Status
	w.res.Operation, w.res.ReconciledAt = "", st.ReconciledAt
	if st.OperationState != nil {
		w.res.Operation = st.OperationState.Phase
	}
	w.res.Unhealthy = unhealthy(app)
	missing, err := w.argoState(app, now)
	if err != nil {
		_, err = w.fail(err)
		return false, err
	}
	if len(missing) == 0 && len(o.Workloads) > 0 {
		lctx, cancel := w.requestContext(ctx)
		missing, err = o.landing(lctx)
		cancel()
		switch {
		case err != nil && !argocdapi.Transient(err):
			_, err = w.fail(explain(o, err))
			return false, err
		case err != nil:
			w.transient(err)
			missing = []string{"the workloads' live state (the last request failed)"}
		}
		if line := strings.Join(missing, "; "); len(missing) > 0 && line != w.landing {
			fmt.Fprintf(o.Log, "%s: Argo CD reports it synced and Healthy, but the phase has not landed: %s\n", o.App, line)
			w.landing = line
		}
	}
	if len(missing) == 0 {
		if w.healthySince.IsZero() {
			w.healthySince = now
		}
	} else {
		w.healthySince = time.Time{}
	}
	w.res.HealthySince = nil
	if !w.healthySince.IsZero() {
		hs := w.healthySince
		w.res.HealthySince = &hs
		held := now.Sub(w.healthySince)
		if held >= o.HealthyFor {
			w.res.Ready, w.res.Missing = true, nil
			fmt.Fprintf(o.Log, "%s: %s is synced and has been Healthy for %s\n", o.App, short(o.Revision), o.HealthyFor)
			return true, nil
		}
		missing = append(missing, fmt.Sprintf("Healthy for %s without a break (%s so far)", o.HealthyFor, held.Round(time.Second)))
	}
	w.res.Missing = missing
	if line := stateLine(o.Revision, app); line != w.last {
		fmt.Fprintf(o.Log, "%s: %s\n", o.App, line)
		w.last = line
		w.poll = FirstPoll
	}
	return false, nil
}

// argoState reads what Argo CD says of the revision: the error that ends
// the wait, or what is still missing (HPAs graced while they await their
// first metrics, a sync being retried, reported once per attempt).
func (w *waiter) argoState(app *argocdapi.Application, now time.Time) ([]string, error) {
	o := w.o
	pending := metricsPending(o, app)
	if pending == nil {
		w.pendingSince = time.Time{}
	} else if w.pendingSince.IsZero() {
		w.pendingSince = now
	}
	graced := pending != nil && now.Sub(w.pendingSince) < o.MetricsGrace
	if err := failure(o, app, graced); err != nil {
		if pending != nil {
			err = fmt.Errorf("%w (its HPAs had no metrics or no target for the whole %s grace: is the metrics pipeline, metrics-server or an adapter, serving them, and does the target exist?)", err, o.MetricsGrace)
		}
		return nil, err
	}
	w.res.Retrying = retrying(o, app)
	if r := w.res.Retrying; r != nil && r.Attempt != w.retried {
		w.retried = r.Attempt
		fmt.Fprintf(o.Log, "%s: argo cd refused the sync of %s and is retrying it (attempt #%d): %s\n", o.App, short(o.Revision), r.Attempt, r.Message)
		if o.FailOnRetry {
			return nil, fmt.Errorf("argo cd refused the sync of %s to %s (attempt #%d; Argo CD retries it, this wait stops at the first refusal): %s", o.App, short(o.Revision), r.Attempt, r.Message)
		}
	}
	missing := missingFor(o.Revision, app)
	if graced {
		missing = append(missing, fmt.Sprintf("first metrics or the target for %s (Degraded until then; %s of the %s grace so far)", describe(pending), now.Sub(w.pendingSince).Round(time.Second), o.MetricsGrace))
	}
	if r := w.res.Retrying; r != nil {
		missing = append(missing, fmt.Sprintf("a sync Argo CD accepts (attempt #%d was refused: %s)", r.Attempt, r.Message))
	}
	return missing, nil
}

// timedOut is the error of a wait out of time, naming what was missing.
func (w *waiter) timedOut() error {
	o := w.o
	if w.lastErr != nil {
		w.res.Missing = append(w.res.Missing, "an answer from Argo CD (the last request failed: "+w.lastErr.Error()+")")
	}
	if len(w.res.Missing) == 0 {
		w.res.Missing = []string{"an answer from Argo CD"}
	}
	return fmt.Errorf("%w after %s waiting for %s to sync %s and stay Healthy: still missing: %s",
		ErrTimeout, o.Timeout, o.App, short(o.Revision), strings.Join(w.res.Missing, "; "))
}
