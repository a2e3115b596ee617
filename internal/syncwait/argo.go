package syncwait

import (
	"context"
	"fmt"
	"slices"

	"github.com/coditect/phasegen/internal/argocdapi"
)

// landing lists what keeps the phase from having landed: each workload of
// o.Workloads not yet observed at its generation with its floor of pods
// updated and available, read in one call.
func (o Options) landing(ctx context.Context) ([]string, error) {
	items, err := o.Client.ManagedResources(ctx, o.App, "apps", argocdapi.Query{Project: o.Project, AppNamespace: o.AppNamespace})
	if err != nil {
		return nil, err
	}
	var m []string
	for _, w := range o.Workloads {
		i := slices.IndexFunc(items, func(r argocdapi.ManagedResource) bool { return r.Kind == w.Kind && r.Name == w.Name })
		if i < 0 {
			m = append(m, fmt.Sprintf("%s %s among the Application's resources", w.Kind, w.Name))
			continue
		}
		r, err := items[i].Rollout()
		switch {
		case err != nil:
			return nil, err
		case !r.Exists:
			m = append(m, fmt.Sprintf("%s %s in the cluster", w.Kind, w.Name))
		case r.ObservedGeneration < r.Generation:
			m = append(m, fmt.Sprintf("%s %s's controller to observe generation %d (it has %d)", w.Kind, w.Name, r.Generation, r.ObservedGeneration))
		case r.UpdatedReplicas < w.Floor || r.AvailableReplicas < w.Floor:
			m = append(m, fmt.Sprintf("%s %s at the phase's floor of %d pods (%d updated, %d available)", w.Kind, w.Name, w.Floor, r.UpdatedReplicas, r.AvailableReplicas))
		}
	}
	return m, nil
}

// metricsPending returns, when app is Degraded at the revision only
// because HPAs have no metrics yet (every Degraded resource an HPA whose
// message is one of a fresh HPA's, pendingHPA), those HPAs; else nil.
func metricsPending(o Options, app *argocdapi.Application) []Resource {
	st := app.Status
	if st.Health.Status != "Degraded" || !hasRevision(st.Sync.All(), o.Revision) {
		return nil
	}
	var out []Resource
	for _, r := range unhealthy(app) {
		if r.Health != "Degraded" {
			continue
		}
		if r.Kind != "HorizontalPodAutoscaler" || !pendingHPA(r.Message) {
			return nil
		}
		out = append(out, r)
	}
	return out
}

// retrying returns the refused sync of the revision that Argo CD is
// retrying, or nil.
func retrying(o Options, app *argocdapi.Application) *Retry {
	op := app.Status.OperationState
	if op == nil || op.Phase != "Running" || op.RetryCount == 0 {
		return nil
	}
	if revs := op.OperationRevisions(); len(revs) > 0 && !hasRevision(revs, o.Revision) {
		return nil
	}
	return &Retry{Attempt: op.RetryCount, Message: op.Message}
}
