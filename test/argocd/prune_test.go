package argocd

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// workloadLeaves takes the store's database (StatefulSet store-db, its
// Service) out of the base and promotes staging: promote warns that Argo
// CD prunes it and its claims stay (the default retention, Retain); after
// the merge Argo CD prunes the StatefulSet, the garbage collector takes its
// pods, and the claim stays, with wait exiting 0.
func (s *stack) workloadLeaves(t *testing.T, dir, env, ns, phase string) {
	t.Helper()
	ctx := context.Background()
	claims := s.c.cs.CoreV1().PersistentVolumeClaims(ns)
	eventually(t, time.Minute, "store-db's claim exists", func() (bool, error) {
		_, err := claims.Get(ctx, "data-store-db-0", metav1.GetOptions{})
		return err == nil, nil
	})
	dropWorkload(t, dir, "store-db", "db-statefulset.yaml", "db-service.yaml")
	out, _ := s.promoteOut(t, dir, env, phase)
	if !contains(out, "StatefulSet store-db leaves the base at "+phase, "Argo CD prunes it", "its volume claims (data-store-db-N) stay") {
		t.Errorf("promote does not say what pruning store-db does:\n%s", out)
	}
	s.wait(t, dir, env, "--healthy-for", "5s")
	eventually(t, 2*time.Minute, "Argo CD prunes store-db and the garbage collector its pods", func() (bool, error) {
		_, err := s.c.cs.AppsV1().StatefulSets(ns).Get(ctx, "store-db", metav1.GetOptions{})
		if !apierrors.IsNotFound(err) {
			return false, nil
		}
		pods, err := s.c.cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/name=store-db"})
		return err == nil && len(pods.Items) == 0, err
	})
	if _, err := claims.Get(ctx, "data-store-db-0", metav1.GetOptions{}); err != nil {
		t.Errorf("store-db's claim after the prune: %v (the retention policy is Retain)", err)
	}
	s.record(t, appName(t, dir)+"-"+env)
}

// dropWorkload takes workload name out of dir's configuration: its files
// out of the base's resources, its entries out of the capacity model and
// every phase.
func dropWorkload(t *testing.T, dir, name string, files ...string) {
	t.Helper()
	edit(t, filepath.Join(dir, "templates", "base", "kustomization.yaml"), func(m map[string]any) {
		var keep []any
		for _, r := range m["resources"].([]any) {
			if !slices.Contains(files, r.(string)) {
				keep = append(keep, r)
			}
		}
		m["resources"] = keep
	})
	phases, _ := filepath.Glob(filepath.Join(dir, "environments", "phases", "*.yaml"))
	for _, f := range append(phases, filepath.Join(dir, "environments", "capacity.yaml")) {
		edit(t, f, func(m map[string]any) {
			delete(m["spec"].(map[string]any)["workloads"].(map[string]any), name)
		})
	}
}

// edit rewrites the YAML file f through change.
func edit(t *testing.T, f string, change func(map[string]any)) {
	t.Helper()
	data, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s: %v", f, err)
	}
	change(m)
	if data, err = yaml.Marshal(m); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
