package argocd

import (
	"strings"
	"testing"

	"github.com/gobwas/glob"
	"sigs.k8s.io/yaml"
)

// TestParentSelectsEveryAppsApplications: Argo CD matches a directory
// source's include with gobwas/glob, no separators, against each file's path
// relative to the source's path (reposerver's getPotentiallyValidManifests);
// the same library here picks exactly the Applications and ApplicationSets
// of every layout, and none of the environments' trees, records or other
// files of the repository.
func TestParentSelectsEveryAppsApplications(t *testing.T) {
	g, err := glob.Compile(ParentInclude)
	if err != nil {
		t.Fatal(err)
	}
	picked := []string{
		"apps/coditect/overlays/argocd/production.yaml",
		"apps/coditect/overlays/argocd/staging.yaml",
		"apps/store/overlays/argocd/production.yaml",
		"teams/payments/apps/shop/overlays/argocd/eu-1.yaml",
		"apps/fleet/overlays/argocd/coditect-applicationset.yaml",
		"overlays/argocd/production.yaml",             // an app whose gitops.path is the top
		"apps/legacy/overlays/argocd/production.yaml", // the previous layout keeps its Applications there too
	}
	left := []string{
		"apps/coditect/production/overlays/production/kustomization.yaml",
		"apps/coditect/production/overlays/production/hpa.yaml",
		"apps/coditect/production/templates/base/statefulset.yaml",
		"apps/coditect/production/.phasegen/owner.yaml",
		"apps/coditect/production/.phasegen/claims/https:%2F%2Fkubernetes.default.svc~StatefulSet.apps~coditect-app~coditect-combined",
		"apps/legacy/overlays/production/kustomization.yaml",
		"apps/legacy/templates/base/statefulset.yaml",
		"README.md",
		"platform/ingress/values.yaml",
		"apps/coditect/overlays/argocd/README.md",
	}
	for _, p := range picked {
		if !g.Match(p) {
			t.Errorf("%s is not picked up", p)
		}
	}
	for _, p := range left {
		if g.Match(p) {
			t.Errorf("%s is picked up", p)
		}
	}
}

func TestParent(t *testing.T) {
	out, err := Parent(ParentOptions{RepoURL: "https://github.com/coditect/argocd-apps.git", Revision: "main"})
	if err != nil {
		t.Fatal(err)
	}
	var app App
	if err := yaml.UnmarshalStrict(out, &app); err != nil {
		t.Fatal(err)
	}
	s := app.Spec
	if app.Kind != KindApplication || app.Metadata.Name != DefaultParentName || app.Metadata.Namespace != Namespace ||
		s.Source.Path != "." || s.Source.Directory == nil || !s.Source.Directory.Recurse || s.Source.Directory.Include != ParentInclude ||
		s.SyncPolicy.Automated == nil || s.SyncPolicy.Automated.Prune || !s.SyncPolicy.Automated.SelfHeal || len(app.Metadata.Finalizers) != 0 {
		t.Errorf("parent:\n%s", out)
	}
	sub, err := Parent(ParentOptions{RepoURL: "https://example.com/r.git", Revision: "release", Path: "/apps/", Name: "root", Namespace: "team-apps"})
	if err != nil || !strings.Contains(string(sub), "path: apps\n") || !strings.Contains(string(sub), "name: root\n") || !strings.Contains(string(sub), "targetRevision: release\n") {
		t.Errorf("parent of apps/: %v\n%s", err, sub)
	}
	if _, err := Parent(ParentOptions{RepoURL: "https://example.com/r.git"}); err == nil {
		t.Errorf("a parent without a branch was written")
	}
}
