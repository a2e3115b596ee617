package argocd

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// appNamespace is the namespace besides its own where the stack's Argo CD
// takes Applications (its "Applications in any namespace": the
// controller's and server's --application-namespaces, and the default
// project's sourceNamespaces once allowApplicationsIn has run).
const appNamespace = "argocd-apps"

var appProjects = schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "appprojects"}

// move moves env's Application of dir from Argo CD's namespace to
// appNamespace (spec.argocd.namespace) and carries out the runbook
// promote prints, ns and workload ("Kind/name") naming the workload it
// watches. The moved Application ends Synced, wait exiting 0. It returns
// what the watch on workload saw.
func (s *stack) move(t *testing.T, dir, env, ns, phase, workload string) *workloadWatch {
	t.Helper()
	s.allowApplicationsIn(t)
	old := applicationName(t, dir, env)
	s.health.promoted(old)
	setArgoCD(t, dir, env, "namespace", appNamespace)
	to := applicationName(t, dir, env)
	_, errs, code := s.run(t, dir, "promote", env, "--to", phase, "--git-dir", s.bare, "--allow-early")
	if code != 1 || !contains(errs, "moves from namespace argocd to "+appNamespace, "Runbook", "kubectl -n argocd patch application "+old) {
		t.Fatalf("promote moving %s to %s: exit %d, want 1 with the runbook\n%s", old, to, code, errs)
	}
	seen := s.c.watchWorkload(t, ns, workload)
	s.runbook(t, dir, env, phase, old, to)
	s.replaced(t, dir, env, old, to)
	return seen
}

// allowApplicationsIn makes appNamespace one Argo CD takes Applications
// from: the namespace, and in the default project's sourceNamespaces.
func (s *stack) allowApplicationsIn(t *testing.T) {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: appNamespace}}
	if _, err := s.c.cs.CoreV1().Namespaces().Create(context.Background(), ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	body := []byte(`{"spec":{"sourceNamespaces":["` + appNamespace + `"]}}`)
	if _, err := s.dyn.Resource(appProjects).Namespace("argocd").Patch(context.Background(), "default", types.MergePatchType, body, metav1.PatchOptions{}); err != nil {
		t.Fatalf("allowing Applications in %s to the default project: %v", appNamespace, err)
	}
}

// setArgoCD sets spec.argocd.<field> of env in dir.
func setArgoCD(t *testing.T, dir, env, field, value string) {
	t.Helper()
	f := filepath.Join(dir, "environments", env+".yaml")
	data, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte("\n  argocd:\n")) {
		t.Fatalf("%s has no spec.argocd", f)
	}
	data = bytes.Replace(data, []byte("\n  argocd:\n"), []byte("\n  argocd:\n    "+field+": "+value+"\n"), 1)
	if err := os.WriteFile(f, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
