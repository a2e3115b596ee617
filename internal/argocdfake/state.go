package argocdfake

import (
	"fmt"
	"time"
)

// application returns the Application JSON for a at head; s.mu is held.
func (s *Server) application(a *appState, head string) map[string]any {
	now := s.opts.Now()
	sc := a.Scenario
	if head != a.target && head != a.synced {
		if a.target != "" && s.ended(a, now) == Healthy {
			a.synced, a.baseAt = a.target, now
		}
		a.target, a.seen = head, now
	}
	st := status{
		sync: "Synced", revision: a.synced, health: "Healthy",
		op:         &operation{phase: "Succeeded", message: "successfully synced (all tasks run)", started: a.baseAt, finished: a.baseAt, revision: a.synced},
		reconciled: now,
	}
	e := now.Sub(a.seen)
	t1 := sc.Notice
	t2 := t1 + sc.OutOfSync
	t3 := t2 + sc.Sync
	t4 := t3 + sc.Progress
	switch {
	case a.target == "" || sc.End == Never || e < t1:
		// Argo CD has not noticed the new revision: the old one, Synced.
	case sc.End == ComparisonError:
		st.sync, st.revision = "Unknown", head
		st.conditions = append(st.conditions, condition{"ComparisonError", sc.Message})
	case e < t2:
		st.sync, st.revision = "OutOfSync", head
	case e < t3:
		st.sync, st.revision, st.health = "OutOfSync", head, "Progressing"
		st.healthMsg = "Waiting for rollout to finish: 0 of 10 updated replicas are available..."
		st.op = &operation{phase: "Running", message: "waiting for completion of hook apps/StatefulSet/" + "coditect-combined", started: a.seen.Add(t2), revision: head}
		st.reconciled = a.seen.Add(t2)
	case sc.End == SyncRetried && e < t3+time.Duration(sc.Retries)*sc.RetryEvery:
		n := int((e-t3)/sc.RetryEvery) + 1
		st.sync, st.revision = "OutOfSync", head
		st.op = &operation{phase: "Running", started: a.seen.Add(t2), finished: a.seen.Add(t3 + time.Duration(n-1)*sc.RetryEvery), revision: head, retries: n,
			message: fmt.Sprintf("%s. Retrying attempt #%d at %s.", sc.Message, n, stamp(a.seen.Add(t3+time.Duration(n)*sc.RetryEvery)))}
	case sc.End == SyncRetried:
		st.sync, st.revision = "OutOfSync", head
		st.op = &operation{phase: "Failed", message: fmt.Sprintf("%s (retried %d times).", sc.Message, sc.Retries), started: a.seen.Add(t2),
			finished: a.seen.Add(t3 + time.Duration(sc.Retries)*sc.RetryEvery), revision: head, retries: sc.Retries}
		st.conditions = append(st.conditions, condition{"SyncError", "Failed sync attempt to " + head + ": " + sc.Message})
	case sc.End == SyncFailed:
		st.sync, st.revision = "OutOfSync", head
		st.op = &operation{phase: "Failed", message: sc.Message, started: a.seen.Add(t2), finished: a.seen.Add(t3), revision: head}
		st.conditions = append(st.conditions, condition{"SyncError", "Failed sync attempt to " + head + ": " + sc.Message})
	default:
		st.sync, st.revision = "Synced", head
		st.op = &operation{phase: "Succeeded", message: "successfully synced (all tasks run)", started: a.seen.Add(t2), finished: a.seen.Add(t3), revision: head}
		if e < t3+sc.Stale {
			st.reconciled = a.seen.Add(t2)
		}
		switch end := s.ended(a, now); {
		case e < t3+sc.MetricsLag:
			st.health, st.metricsLag = "Degraded", true
		case e < t4:
			st.health, st.healthMsg = "Progressing", "Waiting for rollout to finish: 4 of 10 updated replicas are available..."
		case end == Degraded:
			st.health, st.healthMsg = "Degraded", sc.Message
		case sc.FlapAt > 0 && e >= t4+sc.FlapAt && e < t4+sc.FlapAt+sc.FlapFor:
			st.health, st.healthMsg = "Progressing", "Waiting for rollout to finish: 9 of 10 updated replicas are available..."
		}
	}
	return a.json(st)
}

// ended returns how a's current sync has ended by now, or -1 while it runs.
func (s *Server) ended(a *appState, now time.Time) End {
	sc := a.Scenario
	if sc.End == Never || sc.End == ComparisonError {
		return -1
	}
	if now.Sub(a.seen) < sc.Notice+sc.OutOfSync+sc.Sync+sc.Progress {
		return -1
	}
	return sc.End
}

type status struct {
	sync, revision    string
	health, healthMsg string
	op                *operation
	reconciled        time.Time
	conditions        []condition
	// metricsLag: the HPAs have no metrics yet (Degraded), the workloads
	// are Healthy.
	metricsLag bool
}

type operation struct {
	phase, message    string
	started, finished time.Time
	revision          string
	retries           int // status.operationState.retryCount
}

type condition struct{ typ, message string }

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// resources is status.resources: each managed object with its sync status
// and, as Argo CD reports it, its health. A workload shares the
// Application's health (the one named by Scenario.Unhealthy alone when the
// sync ends Degraded); an HPA is Healthy; any other kind reports none.
func (a *appState) resources(st status) []any {
	out := make([]any, 0, len(a.Resources))
	for _, r := range a.Resources {
		sync := "Synced"
		if st.sync != "Synced" {
			sync = st.sync
		}
		e := map[string]any{"group": r.Group, "version": r.Version, "kind": r.Kind, "namespace": a.DestNamespace, "name": r.Name, "status": sync}
		switch r.Kind {
		case "Deployment", "StatefulSet":
			h := map[string]any{"status": st.health}
			if st.metricsLag {
				h = map[string]any{"status": "Healthy"}
			}
			if st.health == "Degraded" && a.Scenario.Unhealthy != "" && a.Scenario.Unhealthy != r.Kind+"/"+r.Name {
				h = map[string]any{"status": "Healthy"}
			} else if st.healthMsg != "" {
				h["message"] = st.healthMsg
			}
			e["health"] = h
		case "HorizontalPodAutoscaler":
			e["health"] = map[string]any{"status": "Healthy"}
			if st.metricsLag {
				e["health"] = map[string]any{"status": "Degraded", "message": HPAMetricsMessage}
			}
		}
		out = append(out, e)
	}
	return out
}

// json lays st out as the Argo CD API does.
func (a *appState) json(st status) map[string]any {
	health := map[string]any{"status": st.health}
	if st.healthMsg != "" {
		health["message"] = st.healthMsg
	}
	out := map[string]any{
		"metadata": map[string]any{
			"name": a.Name, "namespace": a.Namespace,
		},
		"spec": map[string]any{
			"project":     a.Project,
			"source":      map[string]any{"repoURL": "https://github.com/coditect/argocd-apps.git", "path": "apps/coditect/overlays", "targetRevision": "main"},
			"destination": map[string]any{"server": "https://kubernetes.default.svc", "namespace": a.DestNamespace},
		},
	}
	s := map[string]any{
		"sync": map[string]any{
			"status":   st.sync,
			"revision": st.revision,
			"comparedTo": map[string]any{
				"source":      map[string]any{"repoURL": "https://github.com/coditect/argocd-apps.git", "targetRevision": "main"},
				"destination": map[string]any{"server": "https://kubernetes.default.svc", "namespace": a.DestNamespace},
			},
		},
		"health":       health,
		"reconciledAt": stamp(st.reconciled),
		"sourceType":   "Kustomize",
		"summary":      map[string]any{"images": []string{"coditect/combined:1.0"}},
	}
	if op := st.op; op != nil {
		o := map[string]any{
			"phase":     op.phase,
			"message":   op.message,
			"startedAt": stamp(op.started),
			"operation": map[string]any{"sync": map[string]any{"revision": op.revision}, "initiatedBy": map[string]any{"automated": true}},
		}
		if op.retries > 0 {
			o["retryCount"] = op.retries
		}
		if !op.finished.IsZero() {
			o["finishedAt"] = stamp(op.finished)
			o["syncResult"] = map[string]any{"revision": op.revision}
		}
		s["operationState"] = o
	}
	if len(st.conditions) > 0 {
		var cs []any
		for _, c := range st.conditions {
			cs = append(cs, map[string]any{"type": c.typ, "message": c.message, "lastTransitionTime": stamp(st.reconciled)})
		}
		s["conditions"] = cs
	}
	s["resources"] = a.resources(st)
	out["status"] = s
	return out
}
