package promote_test

import (
	"bytes"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"
	"sigs.k8s.io/yaml"

	"github.com/coditect/phasegen/internal/argocd"
	"github.com/coditect/phasegen/internal/fileset"
	"github.com/coditect/phasegen/internal/gitops"
	"github.com/coditect/phasegen/internal/promote"
)

// previousLayout seeds a repository with the tree the previous release
// wrote (testdata/previous-layout.txtar), edited by edit when not nil.
func previousLayout(t *testing.T, edit func(fileset.Set)) string {
	t.Helper()
	ar, err := txtar.ParseFile("testdata/previous-layout.txtar")
	if err != nil {
		t.Fatal(err)
	}
	files := fileset.Set{}
	for _, f := range ar.Files {
		files[f.Name] = f.Data
	}
	if edit != nil {
		edit(files)
	}
	dir := newRepo(t)
	res, err := openRepo(t, dir).Write(ctx, gitops.Change{Base: "main", Head: "seed", Files: files,
		Message: "the previous release's tree\n", Author: gitops.Signature{Name: "seed", Email: "seed@example.com"}})
	if err != nil || !res.Changed {
		t.Fatalf("seeding: %v", err)
	}
	merge(t, dir, "seed")
	return dir
}

// appSource returns each Application of branch's tree (found as the parent
// finds them) by name, with its source path.
func appSources(t *testing.T, dir, branch string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for p, data := range treeFiles(t, dir, branch, "") {
		if !strings.HasSuffix(p, ".yaml") || !strings.Contains(p, "overlays/argocd/") {
			continue
		}
		var app argocd.App
		if err := yaml.Unmarshal(data, &app); err != nil {
			t.Fatal(err)
		}
		out[app.Metadata.Name] = app.Spec.Source.Path
	}
	return out
}

// Acceptance 3: a repository the previous release wrote is taken over one
// environment at a time. Each promotion moves its environment into its own
// tree and keeps its Application's name; the other environment builds the
// same bytes before and after the merge; the shared base stays until no
// environment reads it.
func TestMigrateFromPreviousLayout(t *testing.T) {
	f := shipped(t)
	dir := previousLayout(t, nil)
	tg := openRepo(t, dir)
	before := argoBuilds(t, dir, "main")
	if got := slices.Sorted(maps.Keys(before)); !slices.Equal(got, []string{"coditect-combined-production", "coditect-combined-staging"}) {
		t.Fatalf("the previous tree's Applications: %v", got)
	}

	out := f.promoteEnv(t, tg, "production", "beta")
	if !out.Moved || out.KeptName != "coditect-combined-production" || !slices.Equal(out.SharedBaseKept, []string{"staging"}) || out.From != "pre-launch" {
		t.Fatalf("moving production: moved %v, kept name %q, base kept for %v, from %s", out.Moved, out.KeptName, out.SharedBaseKept, out.From)
	}
	mustContain(t, "PR body", out.Body,
		"**Layout:** production moves out of the app's shared tree into `apps/coditect/production/` (its Application keeps its name). The shared `apps/coditect/templates/base` stays: staging still reads it.")
	merge(t, dir, out.Head)
	step1 := argoBuilds(t, dir, "main")
	if !bytes.Equal(step1["coditect-combined-staging"], before["coditect-combined-staging"]) {
		t.Errorf("staging's build changed when production moved")
	}
	kept := mustEnv(t, f, "production")
	kept.Spec.ArgoCD.ApplicationName = out.KeptName // what the CLI records
	if !bytes.Equal(step1["coditect-combined-production"], f.built(t, f.b, "production", "beta")) {
		t.Errorf("production's Application does not build phasegen build of production at beta")
	}
	if src := appSources(t, dir, "main"); src["coditect-combined-production"] != "apps/coditect/production/overlays/production" || src["coditect-combined-staging"] != "apps/coditect/overlays/staging" || len(src) != 2 {
		t.Errorf("Applications after moving production: %v", src)
	}

	out = f.promoteEnv(t, tg, "staging", "beta")
	if !out.Moved || out.KeptName != "coditect-combined-staging" || len(out.SharedBaseKept) != 0 {
		t.Fatalf("moving staging: moved %v, kept name %q, base kept for %v", out.Moved, out.KeptName, out.SharedBaseKept)
	}
	mustContain(t, "PR body", out.Body, "The shared `apps/coditect/templates/base` is removed: no environment reads it any more.")
	merge(t, dir, out.Head)
	step2 := argoBuilds(t, dir, "main")
	if !bytes.Equal(step2["coditect-combined-production"], step1["coditect-combined-production"]) {
		t.Errorf("production's build changed when staging moved")
	}
	// The previous release rendered fewer alerts: all else builds the same.
	if !bytes.Equal(withoutKind(t, step2["coditect-combined-staging"], "PrometheusRule"), withoutKind(t, before["coditect-combined-staging"], "PrometheusRule")) {
		t.Errorf("staging at beta builds other bytes in its own tree than in the shared one")
	}
	if !bytes.Equal(step2["coditect-combined-staging"], f.built(t, f.b, "staging", "beta")) {
		t.Errorf("staging's Application does not build phasegen build of staging at beta")
	}
	for _, p := range treeFiles(t, dir, "main", root).Paths() {
		if strings.HasPrefix(p, "templates/") || strings.HasPrefix(p, "overlays/production/") || strings.HasPrefix(p, "overlays/staging/") {
			t.Errorf("%s of the previous layout is left", p)
		}
	}
}

// A tree of the previous layout records no owner: one whose base deploys a
// workload this app's base does not may be another app's, and moving it is
// refused, naming the workload, unless taken over on purpose.
func TestMigrateRefusesATreeThatMayBeAnotherApps(t *testing.T) {
	f := shipped(t)
	dir := previousLayout(t, func(files fileset.Set) {
		files["apps/coditect/templates/base/cassandra.yaml"] = []byte(`apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: cassandra
spec:
  serviceName: cassandra
  replicas: 3
  selector: {matchLabels: {app: cassandra}}
  template:
    metadata: {labels: {app: cassandra}}
    spec:
      containers: [{name: cassandra, image: cassandra:4}]
`)
		k := "apps/coditect/templates/base/kustomization.yaml"
		files[k] = bytes.Replace(files[k], []byte("resources:\n"), []byte("resources:\n- cassandra.yaml\n"), 1)
	})
	tg := openRepo(t, dir)
	o := f.opts(tg, "beta")
	_, err := promote.Promote(ctx, o)
	if err == nil {
		t.Fatal("moved a tree that deploys another app's StatefulSet")
	}
	mustContain(t, "error", err.Error(), "apps/coditect/overlays/production on main, in the previous layout (which records no owner), deploys StatefulSet cassandra, which app coditect's base does not declare", "--take-over")
	if tip(t, dir, "phasegen/coditect/production") != "" {
		t.Errorf("a refused move wrote a branch")
	}
	o.TakeOver = true
	if _, err := promote.Promote(ctx, o); err != nil {
		t.Errorf("taken over: %v", err)
	}
}

// withoutKind is a built stream without its objects of kind.
func withoutKind(t *testing.T, stream []byte, kind string) []byte {
	t.Helper()
	var keep []string
	for _, d := range strings.Split(string(stream), "\n---\n") {
		if !strings.HasPrefix(d, "apiVersion: ") {
			t.Fatalf("a built object does not start with its apiVersion:\n%s", d)
		}
		if !strings.Contains(d, "\nkind: "+kind+"\n") {
			keep = append(keep, d)
		}
	}
	if len(keep) == len(strings.Split(string(stream), "\n---\n")) {
		t.Fatalf("the stream holds no %s", kind)
	}
	return []byte(strings.Join(keep, "\n---\n"))
}
