package gate_test

import (
	"strings"
	"testing"

	"github.com/coditect/phasegen/internal/config"
	"github.com/coditect/phasegen/internal/gate"
	"github.com/coditect/phasegen/internal/manifest"
)

func decodeAll(t *testing.T, stream string) manifest.Manifests {
	t.Helper()
	m, err := manifest.Decode([]byte(stream), manifest.Lenient)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func deployment(selector, labels string) string {
	return `apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  selector: {matchLabels: ` + selector + `}
  template:
    metadata: {labels: ` + labels + `}
    spec: {containers: [{name: server, image: x}]}
`
}

// A Deployment's selector is immutable. When the new selector still
// matches the old pods, the runbook says the Deployment made again adopts
// their ReplicaSet; when it does not, it says to delete the old
// ReplicaSet once the new pods are Ready, found by the old selector.
func TestDeploymentSelector(t *testing.T) {
	env := &config.Environment{Metadata: config.Metadata{Name: "production"}}
	env.Spec.Namespace = "shop"
	for _, c := range []struct {
		name, oldLabels, newSelector, newLabels string
		adopts                                  bool
		want                                    []string
	}{
		{"narrower, still matching", "{app: api, tier: web}", "{app: api, tier: web}", "{app: api, tier: web}", true,
			[]string{"kubectl delete deployment api -n shop --cascade=orphan", "adopts their ReplicaSet"}},
		{"new labels", "{app: api}", "{app: api, tier: web}", "{app: api, tier: web}", false,
			[]string{"kubectl delete deployment api -n shop --cascade=orphan", "does not match the old pods",
				"kubectl get replicasets -n shop -l 'app=api'", "the one whose OWNER is <none>"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			from := decodeAll(t, deployment("{app: api}", c.oldLabels))
			to := decodeAll(t, deployment(c.newSelector, c.newLabels))
			changes := gate.Immutable(from, to)
			if len(changes) != 1 || changes[0].Kind != "Deployment" || changes[0].Field != gate.FieldSelector || changes[0].Adopts != c.adopts {
				t.Fatalf("changes = %+v", changes)
			}
			rb := gate.Runbook(env, changes)
			for _, w := range c.want {
				if !strings.Contains(rb, w) {
					t.Errorf("runbook lacks %q:\n%s", w, rb)
				}
			}
		})
	}
	same := decodeAll(t, deployment("{app: api}", "{app: api}"))
	if got := gate.Immutable(same, same); len(got) != 0 {
		t.Errorf("no change: %+v", got)
	}
}

// A workload leaving the base or changing kind says what becomes of its
// pods and data; the HPA of a workload that stays hands its replicas back.
func TestRemovedWorkloads(t *testing.T) {
	phase := func(body string) *config.Phase {
		doc, ps := config.Parse("p.yaml", []byte("apiVersion: phasegen.dev/v1alpha1\nkind: Phase\nmetadata: {name: p}\nspec:\n  order: 1\n  users: {min: 1, max: 2}\n"+body), config.KindPhase)
		if len(ps) > 0 {
			t.Fatal(ps)
		}
		return doc.(*config.Phase)
	}
	from := phase("  autoscaling: {minReplicas: 2, maxReplicas: 5, targetCPUUtilizationPercentage: 70}\n")
	to := phase("  replicas: 3\n")
	db := `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  persistentVolumeClaimRetentionPolicy: {whenDeleted: Delete}
  volumeClaimTemplates: [{metadata: {name: data}}]
`
	api := decodeAll(t, deployment("{app: api}", "{app: api}"))
	for _, c := range []struct {
		name     string
		obj      manifest.Object
		from, to manifest.Manifests
		want     string
	}{
		{"statefulset gone", manifest.Object{Kind: "StatefulSet", Name: "db"}, decodeAll(t, db), manifest.Manifests{},
			"StatefulSet db leaves the base at p: Argo CD prunes it (sync with prune) and its pods go; its volume claims (data-db-N) are deleted with it"},
		{"deployment gone", manifest.Object{Kind: "Deployment", Name: "api"}, api, manifest.Manifests{},
			"Deployment api leaves the base at p: Argo CD prunes it (sync with prune) and its pods go; a Deployment keeps no data of its own"},
		{"kind change", manifest.Object{Kind: "StatefulSet", Name: "api"}, decodeAll(t, strings.Replace(db, "name: db", "name: api", 1)), api,
			"StatefulSet api becomes a Deployment at p: Kubernetes cannot change an object's kind"},
		{"hpa dropped", manifest.Object{Kind: "HorizontalPodAutoscaler", Name: "api-hpa"}, api, api,
			"the Deployment goes from whatever the HPA had set (2–5 at p; the live count is not known here) to 3 replicas"},
	} {
		if got := gate.RemovedMessage(c.obj, c.from, c.to, from, to); !strings.Contains(got, c.want) {
			t.Errorf("%s: %s\nwant …%s…", c.name, got, c.want)
		}
	}
}
