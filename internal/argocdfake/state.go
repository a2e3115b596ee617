package argocdfake

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// status is the Application's state for a at head; s.mu is held.
func (s *Server) status(a *appState, head string) status {
	now := s.opts.Now()
	sc := a.Scenario
	if head != a.target && head != a.synced {
		if a.target != "" && s.ended(a, now) == Healthy {
			a.synced, a.baseAt = a.target, now
		}
		a.target, a.seen = head, now
	}
	st := status{
		sync: "Synced", revision: a.synced, health: "Healthy", generation: 1, rollout: landed,
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
		st.generation, st.rollout = 2, syncing
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
		st.generation = 2
		switch {
		case e < t4:
			st.rollout = halfway
		case e < t4+sc.Lagging:
			st.rollout = lagging
		}
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
	return st
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
	// generation is the workloads' metadata.generation (2 once the sync
	// applied the new revision); rollout how far their pods are.
	generation int64
	rollout    rollout
}

// rollout is how far a workload's pods are.
type rollout int

const (
	landed  rollout = iota // every pod of Resource.Replicas updated and available
	syncing                // the new spec applied, not yet observed
	halfway                // observed, half the pods updated and available
	lagging                // Scenario.LaggingReplicas pods, all updated and available
)

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

// managed is the managed-resources answer: every resource (of the group q
// asks for) with its live object as JSON text, a workload's status following
// st's rollout, as Argo CD's ResourceDiff carries it.
func (a *appState) managed(st status, q url.Values) map[string]any {
	items := []any{}
	for _, r := range a.Resources {
		if g := q.Get("group"); g != "" && g != r.Group {
			continue
		}
		live := map[string]any{
			"apiVersion": strings.TrimPrefix(r.Group+"/"+r.Version, "/"), "kind": r.Kind,
			"metadata": map[string]any{"name": r.Name, "namespace": a.DestNamespace, "generation": st.generation},
		}
		if r.Kind == "Deployment" || r.Kind == "StatefulSet" {
			spec, updated, ready := r.Replicas, r.Replicas, r.Replicas
			observed := st.generation
			switch st.rollout {
			case syncing:
				updated, ready, observed = 0, r.Replicas, st.generation-1
			case halfway:
				updated, ready = r.Replicas/2, r.Replicas/2
			case lagging:
				spec, updated, ready = a.Scenario.LaggingReplicas, a.Scenario.LaggingReplicas, a.Scenario.LaggingReplicas
			}
			live["spec"] = map[string]any{"replicas": spec}
			live["status"] = map[string]any{"observedGeneration": observed, "replicas": spec, "updatedReplicas": updated,
				"readyReplicas": ready, "availableReplicas": ready}
		}
		text, _ := json.Marshal(live)
		items = append(items, map[string]any{"group": r.Group, "kind": r.Kind, "namespace": a.DestNamespace, "name": r.Name,
			"liveState": string(text), "targetState": string(text)})
	}
	return map[string]any{"items": items}
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
