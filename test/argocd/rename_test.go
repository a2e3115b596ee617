package argocd

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
)

// rename gives env's Application the name to (spec.argocd.applicationName)
// and promotes it to phase, its current one. promote refuses without
// --allow-recreate and prints the runbook. With runbook false the
// promotion goes ahead as it is: phasegen's parent creates the new
// Application and never prunes the old one, and the two take workload
// ("Kind/name") from each other (what the gate prevents); then the old one
// is deleted as anyone would clean it up, finalizer and all. With runbook
// true its steps are carried out, as the API calls its kubectl commands
// make. Either way the renamed Application ends Synced, wait exiting 0. It
// returns what the watch on workload saw.
func (s *stack) rename(t *testing.T, dir, env, ns, to, phase, workload string, runbook bool) *workloadWatch {
	t.Helper()
	old := appName(t, dir) + "-" + env
	s.health.promoted(old)
	setArgoCD(t, dir, env, "applicationName", to)
	_, errs, code := s.run(t, dir, "promote", env, "--to", phase, "--git-dir", s.bare, "--allow-early")
	if code != 1 || !contains(errs, "is renamed "+"argocd/"+to, "Runbook", "Remove the finalizer from the old Application") {
		t.Fatalf("promote renaming %s to %s: exit %d, want 1 with the runbook\n%s", old, to, code, errs)
	}
	seen := s.c.watchWorkload(t, ns, workload)
	if runbook {
		s.runbook(t, dir, env, phase, old, to)
	} else {
		s.promote(t, dir, env, phase, "--allow-recreate")
		s.refresh(t, "phasegen-apps")
		eventually(t, 2*time.Minute, "the two Applications take "+workload+" from each other", func() (bool, error) {
			owners := seen.owners()
			return slices.Contains(owners, old) && slices.Contains(owners, to) && len(owners) >= 3, nil
		})
		if !slices.Contains(s.applicationNames(t), old) {
			t.Errorf("the parent deleted %s: phasegen's parent never prunes", old)
		}
		s.deleteApplication(t, old)
	}
	s.replaced(t, dir, env, old, to)
	return seen
}

// replaced waits until Application old is gone and to is there, then
// has phasegen wait for env's Application, to, and records its answers.
func (s *stack) replaced(t *testing.T, dir, env, old, to string) {
	t.Helper()
	eventually(t, 2*time.Minute, old+" is gone and "+to+" is there", func() (bool, error) {
		names := s.applicationNames(t)
		return slices.Contains(names, to) && !slices.Contains(names, old), nil
	})
	s.wait(t, dir, env, "--healthy-for", "5s")
	s.record(t, to)
}

// runbook carries out the rename runbook printed for Application old:
// the parent's automated sync paused, old's finalizer removed and its
// automated sync stopped, the merge, read by the parent (a refresh) before
// it is resumed, then old deleted once the parent has created its
// successor to.
func (s *stack) runbook(t *testing.T, dir, env, phase, old, to string) {
	t.Helper()
	parent := s.application(t, "phasegen-apps")
	automated, _, _ := unstructured.NestedMap(parent.Object, "spec", "syncPolicy", "automated")
	s.patch(t, "phasegen-apps", types.MergePatchType, `{"spec":{"syncPolicy":{"automated":null}}}`)
	s.patch(t, old, types.JSONPatchType, `[{"op":"remove","path":"/metadata/finalizers"}]`)
	if f := s.application(t, old).GetFinalizers(); len(f) != 0 {
		t.Fatalf("%s still has finalizers %v", old, f)
	}
	s.patch(t, old, types.MergePatchType, `{"spec":{"syncPolicy":{"automated":null}}}`)
	merged := s.promote(t, dir, env, phase, "--allow-recreate")
	s.refresh(t, "phasegen-apps")
	eventually(t, time.Minute, "the paused parent reads the merge", func() (bool, error) {
		rev, _, _ := unstructured.NestedString(s.application(t, "phasegen-apps").Object, "status", "sync", "revision")
		return rev == merged, nil
	})
	body, err := json.Marshal(map[string]any{"spec": map[string]any{"syncPolicy": map[string]any{"automated": automated}}})
	if err != nil {
		t.Fatal(err)
	}
	s.patch(t, "phasegen-apps", types.MergePatchType, string(body))
	eventually(t, time.Minute, "the parent creates "+to, func() (bool, error) {
		return slices.Contains(s.applicationNames(t), to), nil
	})
	s.deleteApplication(t, old)
}

// deleteApplication deletes the Application of key (see appKey).
func (s *stack) deleteApplication(t *testing.T, key string) {
	t.Helper()
	ns, name := appKey(key)
	if err := s.dyn.Resource(applications).Namespace(ns).Delete(context.Background(), name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
}

// refresh asks Argo CD to read the Application's source again now, as
// `argocd app get --refresh` does (the parent reads a merge at its next
// reconciliation, 3 minutes, or a webhook).
func (s *stack) refresh(t *testing.T, name string) {
	t.Helper()
	s.patch(t, name, types.MergePatchType, `{"metadata":{"annotations":{"argocd.argoproj.io/refresh":"normal"}}}`)
}

// patch patches the Application of key (see appKey).
func (s *stack) patch(t *testing.T, key string, pt types.PatchType, body string) {
	t.Helper()
	ns, name := appKey(key)
	if _, err := s.dyn.Resource(applications).Namespace(ns).Patch(context.Background(), name, pt, []byte(body), metav1.PatchOptions{}); err != nil {
		t.Fatalf("patching Application %s with %s: %v", key, body, err)
	}
}

// workloadWatch is what a watch on one workload saw: whether it was
// deleted, and the Applications that took it in turn (from Argo CD's
// tracking annotation).
type workloadWatch struct {
	deleted atomic.Bool
	mu      sync.Mutex
	taken   []string
}

func (w *workloadWatch) owners() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.taken)
}

// trackingID is the annotation by which Argo CD tells which Application
// an object belongs to: "<app>:<group>/<kind>:<namespace>/<name>".
const trackingID = "argocd.argoproj.io/tracking-id"

// watchWorkload watches workload ("StatefulSet/name" or "Deployment/name")
// in ns from now to the end of the test.
func (c *cluster) watchWorkload(t *testing.T, ns, workload string) *workloadWatch {
	t.Helper()
	kind, name, _ := strings.Cut(workload, "/")
	opts := metav1.ListOptions{FieldSelector: "metadata.name=" + name}
	var (
		w   watch.Interface
		err error
	)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	switch kind {
	case "StatefulSet":
		w, err = c.cs.AppsV1().StatefulSets(ns).Watch(ctx, opts)
	case "Deployment":
		w, err = c.cs.AppsV1().Deployments(ns).Watch(ctx, opts)
	default:
		t.Fatalf("watchWorkload: %s is no workload", workload)
	}
	if err != nil {
		t.Fatal(err)
	}
	seen := &workloadWatch{}
	go func() {
		for ev := range w.ResultChan() {
			if ev.Type == watch.Deleted {
				seen.deleted.Store(true)
			}
			obj, ok := ev.Object.(metav1.Object)
			if !ok {
				continue
			}
			app, _, _ := strings.Cut(obj.GetAnnotations()[trackingID], ":")
			seen.mu.Lock()
			if n := len(seen.taken); app != "" && (n == 0 || seen.taken[n-1] != app) {
				seen.taken = append(seen.taken, app)
			}
			seen.mu.Unlock()
		}
	}()
	t.Cleanup(w.Stop)
	return seen
}
