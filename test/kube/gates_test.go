package kube

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// gateRow is one change to the two-workload example's base: what the
// server does with the update, and, where phasegen deliberately fires a
// gate the server has no reason to refuse, why.
type gateRow struct {
	name     string
	edit     func(t *testing.T, base string)
	refused  bool   // the server refuses the update
	stricter string // why phasegen's gate fires anyway ("" when it must agree)
}

const (
	dbFile  = "db-statefulset.yaml"
	apiFile = "api-deployment.yaml"
)

func gateRows() []gateRow {
	set := func(file string, value any, path ...string) func(*testing.T, string) {
		return func(t *testing.T, base string) {
			editDoc(t, filepath.Join(base, file), func(o *unstructured.Unstructured) {
				must(t, unstructured.SetNestedField(o.Object, value, path...))
			})
		}
	}
	relabel := func(file string) func(*testing.T, string) {
		return func(t *testing.T, base string) {
			editDoc(t, filepath.Join(base, file), func(o *unstructured.Unstructured) {
				must(t, unstructured.SetNestedField(o.Object, "v2", "spec", "selector", "matchLabels", "generation"))
				must(t, unstructured.SetNestedField(o.Object, "v2", "spec", "template", "metadata", "labels", "generation"))
			})
		}
	}
	claim := func(edit func(c map[string]any)) func(*testing.T, string) {
		return func(t *testing.T, base string) {
			editDoc(t, filepath.Join(base, dbFile), func(o *unstructured.Unstructured) {
				claims, _, _ := unstructured.NestedSlice(o.Object, "spec", "volumeClaimTemplates")
				edit(claims[0].(map[string]any))
				must(t, unstructured.SetNestedSlice(o.Object, claims, "spec", "volumeClaimTemplates"))
			})
		}
	}
	image := func(file, img string) func(*testing.T, string) {
		return func(t *testing.T, base string) {
			editDoc(t, filepath.Join(base, file), func(o *unstructured.Unstructured) {
				cs, _, _ := unstructured.NestedSlice(o.Object, "spec", "template", "spec", "containers")
				cs[0].(map[string]any)["image"] = img
				must(t, unstructured.SetNestedSlice(o.Object, cs, "spec", "template", "spec", "containers"))
			})
		}
	}
	return []gateRow{
		{name: "StatefulSet serviceName", edit: set(dbFile, "store-db-headless", "spec", "serviceName"), refused: true},
		{name: "StatefulSet selector (and template labels)", edit: relabel(dbFile), refused: true},
		{name: "StatefulSet volume claim resized 20Gi → 40Gi", edit: claim(func(c map[string]any) {
			c["spec"].(map[string]any)["resources"] = map[string]any{"requests": map[string]any{"storage": "40Gi"}}
		}), refused: true},
		{name: "StatefulSet volume claim given a storage class", edit: claim(func(c map[string]any) {
			c["spec"].(map[string]any)["storageClassName"] = "fast"
		}), refused: true},
		{name: "StatefulSet volume claim template without apiVersion and kind", edit: claim(func(c map[string]any) {
			delete(c, "apiVersion")
			delete(c, "kind")
		})},
		{name: "StatefulSet volume claim's volumeMode Filesystem written out (the default)", edit: claim(func(c map[string]any) {
			c["spec"].(map[string]any)["volumeMode"] = "Filesystem"
		})},
		{name: "StatefulSet podManagementPolicy Parallel", edit: set(dbFile, "Parallel", "spec", "podManagementPolicy"), refused: true},
		{name: "StatefulSet podManagementPolicy OrderedReady written out (the default)", edit: set(dbFile, "OrderedReady", "spec", "podManagementPolicy")},
		{name: "StatefulSet persistentVolumeClaimRetentionPolicy", edit: set(dbFile, map[string]any{"whenDeleted": "Delete", "whenScaled": "Retain"}, "spec", "persistentVolumeClaimRetentionPolicy")},
		{name: "StatefulSet minReadySeconds", edit: set(dbFile, int64(10), "spec", "minReadySeconds")},
		{name: "StatefulSet updateStrategy OnDelete", edit: set(dbFile, map[string]any{"type": "OnDelete"}, "spec", "updateStrategy"), refused: true},
		{name: "StatefulSet updateStrategy OnDelete, rollingUpdate: null", edit: set(dbFile, map[string]any{"type": "OnDelete", "rollingUpdate": nil}, "spec", "updateStrategy"), refused: true},
		{name: "StatefulSet ordinals start at 1", edit: set(dbFile, map[string]any{"start": int64(1)}, "spec", "ordinals")},
		{name: "StatefulSet revisionHistoryLimit", edit: set(dbFile, int64(5), "spec", "revisionHistoryLimit")},
		{name: "StatefulSet image", edit: image(dbFile, "mysql:8.4.2")},
		{name: "StatefulSet replicas in the base", edit: set(dbFile, int64(3), "spec", "replicas")},
		{name: "Deployment selector (and template labels)", edit: relabel(apiFile), refused: true},
		{name: "Deployment strategy Recreate", edit: set(apiFile, map[string]any{"type": "Recreate"}, "spec", "strategy"), refused: true},
		{name: "Deployment strategy Recreate, rollingUpdate: null", edit: set(apiFile, map[string]any{"type": "Recreate", "rollingUpdate": nil}, "spec", "strategy"), refused: true},
		{name: "Deployment minReadySeconds", edit: set(apiFile, int64(10), "spec", "minReadySeconds")},
		{name: "Deployment revisionHistoryLimit", edit: set(apiFile, int64(3), "spec", "revisionHistoryLimit")},
		{name: "Deployment image", edit: image(apiFile, "ghcr.io/example/store-api:1.5.0")},
		{name: "Deployment replicas in the base", edit: set(apiFile, int64(5), "spec", "replicas")},
		{name: "Deployment leaves the base", edit: removeWorkload(apiFile, "store-api"),
			stricter: "Argo CD prunes the Deployment and its pods go: the server has nothing to refuse, the gate says so before the merge"},
	}
}

// removeWorkload deletes file from the base and from its kustomization,
// and the workload from the capacity model and every phase.
func removeWorkload(file, workload string) func(*testing.T, string) {
	return func(t *testing.T, base string) {
		envs := filepath.Join(base, "..", "..", "environments")
		files, err := filepath.Glob(filepath.Join(envs, "phases", "*.yaml"))
		must(t, err)
		for _, f := range append(files, filepath.Join(envs, "capacity.yaml")) {
			editDoc(t, f, func(o *unstructured.Unstructured) {
				unstructured.RemoveNestedField(o.Object, "spec", "workloads", workload)
			})
		}
		must(t, os.Remove(filepath.Join(base, file)))
		k := filepath.Join(base, "kustomization.yaml")
		data := readFile(t, k)
		out := strings.Replace(string(data), "- "+file+"\n", "", 1)
		if out == string(data) {
			t.Fatalf("%s lists no %s", k, file)
		}
		must(t, os.WriteFile(k, []byte(out), 0o644))
	}
}

// editDoc rewrites the one object of file after edit (comments are lost;
// only the object matters here).
func editDoc(t *testing.T, file string, edit func(*unstructured.Unstructured)) {
	t.Helper()
	var m map[string]any
	if err := yaml.Unmarshal(readFile(t, file), &m); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	o := &unstructured.Unstructured{Object: m}
	edit(o)
	data, err := yaml.Marshal(o.Object)
	if err != nil {
		t.Fatal(err)
	}
	must(t, os.WriteFile(file, data, 0o644))
}

// gatesAgreeWithTheServer: for each change of the table, made to a git
// repository of the two-workload example, `phasegen review --fail-on
// gate` fires exactly when the real server refuses to update the objects
// built before the change into those built after it (or the row says why
// phasegen is stricter).
func gatesAgreeWithTheServer(t *testing.T, c *cluster, bin string) {
	repo := gitRepo(t, filepath.Join(repoRoot, "examples", "store"))
	before := buildEnv(t, bin, repo, gateEnv)
	for i, row := range gateRows() {
		gates, refusals := tryRow(t, c, bin, repo, fmt.Sprintf("gate-%d", i), row, before)
		refused, fired := len(refusals) > 0, len(gates) > 0
		if refused != row.refused {
			t.Errorf("%s: the server refused=%v, the table says %v: %v", row.name, refused, row.refused, refusals)
		}
		switch {
		case row.stricter != "" && (!fired || refused):
			t.Errorf("%s: phasegen is meant to be stricter (%s): gates %v, server refusals %v", row.name, row.stricter, gates, refusals)
		case row.stricter == "" && fired != refused:
			t.Errorf("%s: the gates (%v) and the server (%v) disagree", row.name, gates, refusals)
		default:
			t.Logf("%s: server %s; gates %s", row.name, verdict(refusals), strings.Join(gates, "; "))
		}
	}
}

// gateEnv is the environment of the two-workload example the table
// changes.
const gateEnv = "staging"

// tryRow creates before in ns for real, makes the row's change to the
// repository, and returns the gates review fires and the server's
// refusals of the update (following the strategy runbook where that gate
// fires); the repository is restored.
func tryRow(t *testing.T, c *cluster, bin, repo, ns string, row gateRow, before []*unstructured.Unstructured) (gates, refusals []string) {
	t.Helper()
	c.namespace(t, ns)
	for _, obj := range before {
		obj = obj.DeepCopy()
		obj.SetNamespace(ns)
		if err := c.apply(obj, false); err != nil {
			t.Fatalf("%s: creating %s: %v", row.name, describe(obj), err)
		}
	}
	defer restore(t, repo)
	row.edit(t, filepath.Join(repo, "templates", "base"))
	gates = review(t, bin, repo, gateEnv)
	after := buildEnv(t, bin, repo, gateEnv)
	for _, obj := range after {
		obj.SetNamespace(ns)
		if err := c.apply(obj, true); err != nil {
			refusals = append(refusals, describe(obj)+": "+err.Error())
		}
	}
	if len(refusals) > 0 && strategyGate(gates) {
		strategyRunbook(t, c, ns, row.name, after)
	}
	c.warnings.take()
	return gates, refusals
}

// strategyGate reports whether the strategy-change gate fired.
func strategyGate(gates []string) bool {
	for _, g := range gates {
		if strings.HasPrefix(g, "strategy-change:") {
			return true
		}
	}
	return false
}

// strategyRunbook follows the strategy-change runbook's patch (gate
// package, StrategyRunbook: remove the live rollingUpdate and set the new
// type in one JSON patch) on each workload of after whose strategy is not
// RollingUpdate, then applies after for real: the server must accept both.
func strategyRunbook(t *testing.T, c *cluster, ns, row string, after []*unstructured.Unstructured) {
	t.Helper()
	for _, obj := range after {
		field := map[string]string{"Deployment": "strategy", "StatefulSet": "updateStrategy"}[obj.GetKind()]
		typ, _, _ := unstructured.NestedString(obj.Object, "spec", field, "type")
		if field == "" || typ == "" || typ == "RollingUpdate" {
			continue
		}
		patch := fmt.Sprintf(`[{"op":"remove","path":"/spec/%s/rollingUpdate"},{"op":"replace","path":"/spec/%s/type","value":%q}]`, field, field, typ)
		if err := c.patch(obj.GetKind(), ns, obj.GetName(), patch); err != nil {
			t.Errorf("%s: the runbook's patch of %s: %v", row, describe(obj), err)
		}
	}
	for _, obj := range after {
		if err := c.apply(obj, false); err != nil {
			t.Errorf("%s: after the runbook, %s still refused: %v", row, describe(obj), err)
		}
	}
	t.Logf("%s: after the runbook's patch, the sync's apply is accepted", row)
}

func verdict(refusals []string) string {
	if len(refusals) == 0 {
		return "accepts"
	}
	return "refuses (" + strings.Join(refusals, "; ") + ")"
}

// review runs phasegen review --fail-on gate for env against HEAD and
// returns the gates that fired, as "name: message".
func review(t *testing.T, bin, repo, env string) []string {
	t.Helper()
	out, errs, code := run(t, bin, repo, "review", "--base", "HEAD", env, "--fail-on", "gate", "-o", "json")
	var r struct {
		Environments []struct {
			Name  string `json:"name"`
			Gates []struct {
				Name    string `json:"name"`
				Message string `json:"message"`
			} `json:"gates"`
		} `json:"environments"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil || code > 1 {
		t.Fatalf("phasegen review: exit %d, %v\n%s", code, err, errs)
	}
	var gates []string
	for _, e := range r.Environments {
		for _, g := range e.Gates {
			gates = append(gates, g.Name+": "+g.Message)
		}
	}
	if (code == 1) != (len(gates) > 0) {
		t.Fatalf("phasegen review: exit %d with gates %v\n%s", code, gates, errs)
	}
	return gates
}

// buildEnv is phasegen build ENV (at its phase) in dir.
func buildEnv(t *testing.T, bin, dir, env string) []*unstructured.Unstructured {
	t.Helper()
	out, errs, code := run(t, bin, dir, "build", env)
	if code != 0 {
		t.Fatalf("phasegen build %s in %s: exit %d\n%s", env, dir, code, errs)
	}
	return objects(t, []byte(out))
}

// gitRepo copies the configuration of src (environments and templates)
// into a new git repository with one commit.
func gitRepo(t *testing.T, src string) string {
	t.Helper()
	dir := t.TempDir()
	for _, sub := range []string{"environments", "templates"} {
		cmd := exec.Command("cp", "-R", filepath.Join(src, sub), dir)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("cp: %v\n%s", err, out)
		}
	}
	git(t, dir, "init", "-q", "-b", "main")
	git(t, dir, "add", "-A")
	git(t, dir, "-c", "user.name=phasegen", "-c", "user.email=phasegen@example.com", "commit", "-q", "-m", "base")
	return dir
}

// restore puts the working tree back to the commit.
func restore(t *testing.T, dir string) {
	git(t, dir, "checkout", "-q", "--", ".")
}

// isolatedEnv is the environment for git and phasegen in these tests: no
// user or system git configuration (a developer's signing, hooks or
// default branch must not change what they see), a home of their own.
func isolatedEnv(t *testing.T) []string {
	t.Helper()
	home := t.TempDir()
	return append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+home,
		"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_SYSTEM=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
}

func git(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = isolatedEnv(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}
