package promote_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/coditect/phasegen/internal/base"
	pgconfig "github.com/coditect/phasegen/internal/config"
	"github.com/coditect/phasegen/internal/gitops"
	"github.com/coditect/phasegen/internal/promote"
)

// microservices is an app of n Deployments (svc-01 … svc-n, each with a
// sidecar-free container "app" that sets requests and limits) at two
// phases: pilot, and launch, which changes only svc-03 (more replicas) and
// svc-07 (a larger memory limit).
func microservices(t *testing.T, n int) fixture {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"capacity.yaml": "apiVersion: phasegen.dev/v1alpha1\nkind: CapacityModel\nmetadata: {name: demo}\nspec:\n  pricing: {cpuCoreHour: 0.031, memoryGiBHour: 0.004, storageGBMonth: 0.1, hoursPerMonth: 720}\n  workloads:\n",
		"production.yaml": "apiVersion: phasegen.dev/v1alpha1\nkind: Environment\nmetadata: {name: production}\nspec:\n  phase: pilot\n  namespace: demo\n" +
			"  gitops: {repo: example/gitops, branch: main, path: apps/demo}\n",
	}
	phase := func(name string, order int, edit func(i int) string) string {
		s := fmt.Sprintf("apiVersion: phasegen.dev/v1alpha1\nkind: Phase\nmetadata: {name: %s}\nspec:\n  order: %d\n  users: {min: %d, max: %d}\n  workloads:\n", name, order, order*10, order*10+9)
		for i := 1; i <= n; i++ {
			s += fmt.Sprintf("    svc-%02d:\n%s", i, edit(i))
		}
		return s
	}
	sized := func(replicas int, memory string) string {
		return fmt.Sprintf("      replicas: %d\n      resources: {requests: {cpu: 100m, memory: 128Mi}, limits: {cpu: 500m, memory: %s}}\n", replicas, memory)
	}
	files["phases/pilot.yaml"] = phase("pilot", 1, func(int) string { return sized(2, "256Mi") })
	files["phases/launch.yaml"] = phase("launch", 2, func(i int) string {
		switch i {
		case 3:
			return sized(4, "256Mi")
		case 7:
			return sized(2, "512Mi")
		}
		return sized(2, "256Mi")
	})
	mfs := fstest.MapFS{}
	var resources []string
	for i := 1; i <= n; i++ {
		name := fmt.Sprintf("svc-%02d", i)
		files["capacity.yaml"] += fmt.Sprintf("    %s: {container: app}\n", name)
		resources = append(resources, "- "+name+".yaml")
		mfs["base/"+name+".yaml"] = &fstest.MapFile{Data: []byte(fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: %[1]s
  labels: {app.kubernetes.io/name: %[1]s, app.kubernetes.io/part-of: demo}
spec:
  replicas: 2
  selector:
    matchLabels: {app.kubernetes.io/name: %[1]s}
  template:
    metadata:
      labels: {app.kubernetes.io/name: %[1]s, app.kubernetes.io/part-of: demo}
    spec:
      containers:
      - name: app
        image: ghcr.io/example/%[1]s:1.0.0
        env:
        - {name: SERVICE_NAME, value: %[1]s}
        ports:
        - {name: http, containerPort: 8080}
        readinessProbe:
          httpGet: {path: /healthz, port: http}
        resources:
          requests: {cpu: 100m, memory: 128Mi}
          limits: {cpu: 500m, memory: 256Mi}
`, name))}
	}
	mfs["base/kustomization.yaml"] = &fstest.MapFile{Data: []byte("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n" + strings.Join(resources, "\n") + "\n")}
	if err := os.Mkdir(filepath.Join(dir, "phases"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := pgconfig.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := base.Load(mfs)
	if err != nil {
		t.Fatal(err)
	}
	return fixture{cfg, b}
}

// Acceptance: a promotion of 12 workloads that changes 2 lists those 2 in
// its table (with the total) and the other 10 in one line, and its body
// holds the whole diff of what changes, under GitHub's limit.
func TestPromoteManyWorkloadsShowsTheChange(t *testing.T) {
	f := microservices(t, 12)
	dir := newRepo(t)
	if _, err := promote.Promote(ctx, f.opts(openRepo(t, dir), "pilot")); err != nil {
		t.Fatal(err)
	}
	merge(t, dir, "phasegen/demo/production")
	out, err := promote.Promote(ctx, f.opts(openRepo(t, dir), "launch"))
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, line := range strings.Split(out.Body, "\n") {
		if strings.HasPrefix(line, "| svc-") || strings.HasPrefix(line, "| pilot | svc-") || strings.HasPrefix(line, "| launch | svc-") {
			rows = append(rows, line)
		}
	}
	for _, r := range rows {
		if !strings.Contains(r, "| svc-03") && !strings.Contains(r, "| svc-07") {
			t.Errorf("the table has a row of a workload the promotion does not change: %s", r)
		}
	}
	mustContain(t, "body", out.Body,
		"| svc-03: Replicas | 2 | 4 |", "| svc-07: Memory per pod (request / limit) | 128Mi / 256Mi | 128Mi / 512Mi |",
		"| Unchanged (10): svc-01, svc-02, svc-04, svc-05, svc-06, svc-08, svc-09, svc-10, svc-11, svc-12 |",
		"| Monthly cost, all workloads (min–max) |",
		// The capacity plan shows the two as well, the others in one line.
		"| pilot | svc-03 (Deployment) |", "| launch | svc-07 (Deployment) |", "| launch | **total** |",
		"Not shown, sized alike at every phase here (10): svc-01, svc-02, svc-04,",
		"a/Deployment/svc-03", "a/Deployment/svc-07", "-  replicas: 2", "+  replicas: 4", "-            memory: 256Mi", "+            memory: 512Mi")
	if strings.Contains(out.Body, "Cut to stay under") || len(out.Body) > gitops.MaxBodyChars {
		t.Errorf("the body is cut or too long: %d characters", len(out.Body))
	}
	if out.Counts.Changed() != 5 {
		t.Errorf("the commit changes %s; want the two patches, the kustomization, the owner record and the Application", out.Counts)
	}
	t.Logf("body: %d characters, %d table rows of workloads; commit: %s", len(out.Body), len(rows), out.Counts)
}
