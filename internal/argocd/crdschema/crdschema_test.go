package crdschema

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coditect/phasegen/internal/argocd/crdtest"
)

// crdFile is Argo CD's CRD manifests/crds/<name>, from its module.
func crdFile(t *testing.T, name string) string {
	t.Helper()
	return crdtest.Path(t, "manifests/crds/"+name)
}

func application(t *testing.T) *Schema {
	t.Helper()
	s, err := Load(crdFile(t, "application-crd.yaml"), "v1alpha1")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

const validApp = `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: a
  namespace: argocd
  annotations: {x: "1"}
  finalizers: [resources-finalizer.argocd.argoproj.io]
spec:
  project: default
  source: {repoURL: https://github.com/o/r.git, path: p, targetRevision: main}
  destination: {server: https://kubernetes.default.svc, namespace: ns}
  syncPolicy:
    automated: {prune: true, selfHeal: true}
    syncOptions: [CreateNamespace=true]
  ignoreDifferences:
  - {group: apps, kind: StatefulSet, jsonPointers: [/spec/replicas]}
`

func TestValidAccepted(t *testing.T) {
	if err := application(t).ValidateYAML([]byte(validApp)); err != nil {
		t.Fatal(err)
	}
}

// TestRejects: the validator really rejects what a cluster would, and fields
// a cluster would prune.
func TestRejects(t *testing.T) {
	s := application(t)
	for name, c := range map[string]struct{ old, new, want string }{
		"unknown spec field":      {"  project: default\n", "  project: default\n  projekt: x\n", "spec.projekt: unknown field"},
		"unknown nested field":    {"selfHeal: true}", "selfHeal: true, selfheal: true}", "spec.syncPolicy.automated.selfheal: unknown field"},
		"unknown in list item":    {"kind: StatefulSet,", "kind: StatefulSet, jsonPointer: x,", "spec.ignoreDifferences[0].jsonPointer: unknown field"},
		"unknown root field":      {"kind: Application\n", "kind: Application\nstatus2: {}\n", "status2: unknown field"},
		"unknown metadata field":  {"  name: a\n", "  name: a\n  nam: b\n", "metadata.nam: unknown field"},
		"wrong type bool":         {"prune: true", "prune: \"true\"", "spec.syncPolicy.automated.prune: must be a boolean"},
		"wrong type string":       {"project: default", "project: 3", "spec.project: must be a string"},
		"wrong type array":        {"syncOptions: [CreateNamespace=true]", "syncOptions: CreateNamespace=true", "must be an array"},
		"wrong type object":       {"destination: {server: https://kubernetes.default.svc, namespace: ns}", "destination: [x]", "spec.destination: must be an object"},
		"annotation not a string": {"annotations: {x: \"1\"}", "annotations: {x: 1}", "metadata.annotations.x: must be a string"},
		"missing required":        {"  project: default\n", "", "spec.project: required field is missing"},
		"missing required nested": {"kind: StatefulSet, ", "", "spec.ignoreDifferences[0].kind: required field is missing"},
		"missing metadata":        {"metadata:\n  name: a\n  namespace: argocd\n  annotations: {x: \"1\"}\n  finalizers: [resources-finalizer.argocd.argoproj.io]\n", "", "metadata: required field is missing"},
		"null":                    {"path: p", "path: null", "spec.source.path: must not be null"},
	} {
		t.Run(name, func(t *testing.T) {
			doc := strings.Replace(validApp, c.old, c.new, 1)
			if doc == validApp {
				t.Fatalf("fixture: %q not found", c.old)
			}
			err := s.ValidateYAML([]byte(doc))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want one containing %q", err, c.want)
			}
		})
	}
}

// TestKeywords covers the keywords Argo CD's schemas use that a valid
// Application from phasegen does not reach.
func TestKeywords(t *testing.T) {
	s := application(t)
	// spec.syncPolicy.retry.limit is format int64; retry.backoff.duration a string.
	withRetry := strings.Replace(validApp, "    syncOptions:", "    retry: {limit: LIMIT}\n    syncOptions:", 1)
	for limit, ok := range map[string]bool{"5": true, "1.5": false, `"5"`: false} {
		err := s.ValidateYAML([]byte(strings.Replace(withRetry, "LIMIT", limit, 1)))
		if (err == nil) != ok {
			t.Errorf("retry.limit %s: err = %v", limit, err)
		}
	}
	// Status fields: hydration phase is an enum; a sync result's replica count
	// is int-or-string; sourceHydrator's path has a pattern and minLength.
	set, err := Load(crdFile(t, "applicationset-crd.yaml"), "v1alpha1")
	if err != nil {
		t.Fatal(err)
	}
	appset := func(policy string) string {
		return `apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: s}
spec:
  generators: [{list: {elements: [{a: 1, b: {c: [x]}}]}}]
  template:
    metadata: {name: x}
    spec: {project: p, destination: {}}
  syncPolicy: {applicationsSync: ` + policy + `}
`
	}
	if err := set.ValidateYAML([]byte(appset("create-only"))); err != nil {
		t.Errorf("enum value and preserved unknown fields in list elements: %v", err)
	}
	if err := set.ValidateYAML([]byte(appset("delete-all"))); err == nil || !strings.Contains(err.Error(), "is not one of") {
		t.Errorf("value outside the enum: err = %v", err)
	}
	hydrator := func(path string) string {
		return strings.Replace(validApp, "  source: {repoURL: https://github.com/o/r.git, path: p, targetRevision: main}\n",
			"  sourceHydrator:\n    drySource: {repoURL: https://r, targetRevision: main, path: d}\n    syncSource: {targetBranch: env, path: "+path+"}\n", 1)
	}
	if err := s.ValidateYAML([]byte(hydrator("envs/prod"))); err != nil {
		t.Errorf("sourceHydrator: %v", err)
	}
	for _, bad := range []string{`"."`, `""`} {
		if err := s.ValidateYAML([]byte(hydrator(bad))); err == nil {
			t.Errorf("sourceHydrator.syncSource.path %s: accepted, the CRD's pattern or minLength refuses it", bad)
		}
	}
}

func TestIntOrString(t *testing.T) {
	s := &Schema{Type: "object", Properties: map[string]*Schema{
		"count": {IntOrString: true, AnyOf: []*Schema{{Type: "integer"}, {Type: "string"}}},
	}}
	if err := s.compile("t"); err != nil {
		t.Fatal(err)
	}
	for doc, ok := range map[string]bool{"count: 3": true, "count: '50%'": true, "count: 1.5": false, "count: true": false} {
		if err := s.ValidateYAML([]byte(doc)); (err == nil) != ok {
			t.Errorf("%s: err = %v", doc, err)
		}
	}
}

// TestUnknownKeywordRefused: a schema using a keyword the validator does not
// implement fails to load instead of passing everything.
func TestUnknownKeywordRefused(t *testing.T) {
	dir := t.TempDir()
	for name, schema := range map[string]string{
		"unknown keyword": "{type: object, properties: {a: {type: string, maxLength: 3}}}",
		"oneOf":           "{type: object, properties: {a: {oneOf: [{type: string}]}}}",
		"list type set":   "{type: object, properties: {a: {type: array, items: {type: string}, x-kubernetes-list-type: set}}}",
		"unknown format":  "{type: object, properties: {a: {type: string, format: uri}}}",
	} {
		file := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".yaml")
		crd := "spec:\n  versions:\n  - name: v1\n    schema:\n      openAPIV3Schema: " + schema + "\n"
		if err := os.WriteFile(file, []byte(crd), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(file, "v1"); err == nil {
			t.Errorf("%s: loaded", name)
		}
	}
	if _, err := Load(crdFile(t, "application-crd.yaml"), "v9"); err == nil {
		t.Error("missing version: loaded")
	}
}
