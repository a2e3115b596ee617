package capacity

import (
	"bytes"
	"maps"
	"strings"
	"testing"
	"testing/fstest"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/coditect/phasegen/internal/config"
)

// TestFitAgainstQuotaAndNode: the shop's base gains a ResourceQuota, and
// its capacity model a node. At launch the ceiling (every workload at its
// maximum plus a Deployment's default 25% surge, rounded up) asks more CPU
// than the quota allows, and the cart and Redis, without memory limits,
// are refused by its limits.memory (and Redis, without any request, by its
// requests.cpu); pilot fits its amounts. The figures are worked
// out here from the configs and manifests.
func TestFitAgainstQuotaAndNode(t *testing.T) {
	withQuota := maps.Clone(shopBase)
	withQuota["base/kustomization.yaml"] = &fstest.MapFile{Data: []byte("resources: [frontend.yaml, cart.yaml, redis.yaml, quota.yaml]\n")}
	withQuota["base/quota.yaml"] = &fstest.MapFile{Data: []byte("apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: compute}\nspec:\n  hard: {pods: \"20\", requests.cpu: 1500m, limits.memory: 4Gi}\n")}
	cfg, pl := shopPlannerOf(t, withQuota, func(c *config.Set) {
		cpu, mem := resource.MustParse("1"), resource.MustParse("2Gi")
		c.Capacity.Spec.Node = &config.Node{CPU: &cpu, Memory: &mem}
	})
	plans, err := pl.Plan(cfg.Phases)
	if err != nil {
		t.Fatal(err)
	}
	surged := func(n int) int { return n + (n+3)/4 }
	// launch: frontend at most 10, cart and Redis 2 each.
	launch := plans[1]
	pods := surged(10) + 2*surged(2)
	cpuMilli := surged(10)*100 + surged(2)*200 // Redis requests nothing
	if f := launch.Fit; f == nil || f.Pods != pods || len(f.Quotas) != 1 {
		t.Fatalf("launch fit %+v, want %d pods against one quota", f, pods)
	}
	q := launch.Fit.Quotas[0]
	want := []QuotaUse{
		{"limits.memory", resource.NewQuantity(int64(surged(10))*128<<20, resource.BinarySI).String(), "4Gi", true},
		{"pods", itoa(pods), "20", pods <= 20},
		{"requests.cpu", resource.NewMilliQuantity(int64(cpuMilli), resource.DecimalSI).String(), "1500m", cpuMilli <= 1500},
	}
	if q.Fits || len(q.Resources) != len(want) {
		t.Fatalf("quota %+v, want it not to fit with %v", q, want)
	}
	for i, u := range want {
		if q.Resources[i] != u {
			t.Errorf("quota resource %d: %+v, want %+v", i, q.Resources[i], u)
		}
	}
	// Redis, without any request, is refused by requests.cpu too.
	if len(q.Refused) != 3 || !strings.Contains(q.Refused[0], "Deployment cart: container server sets no memory limit, and with limits.memory in ResourceQuota compute the API server refuses its pods") ||
		!strings.Contains(q.Refused[1], "Deployment redis: container redis sets no memory limit") ||
		!strings.Contains(q.Refused[2], "Deployment redis: container redis sets no CPU request, and with requests.cpu in ResourceQuota compute") {
		t.Errorf("refused %q", q.Refused)
	}
	// Nodes of 1 CPU / 2Gi: the CPU requests need the most.
	if n := launch.Fit.Node; n == nil || n.Nodes != (cpuMilli+999)/1000 {
		t.Errorf("node fit %+v, want %d nodes", n, (cpuMilli+999)/1000)
	}
	pilot := plans[0].Fit.Quotas[0]
	if pilot.Resources[2].Fits != true || pilot.Resources[1].Ceiling != itoa(surged(2)+2*surged(1)) {
		t.Errorf("pilot: %+v", pilot)
	}
	var out bytes.Buffer
	if err := WriteTable(&out, plans); err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{
		"launch at its ceiling (" + itoa(pods) + " pods) does not fit ResourceQuota compute: requests.cpu 1900m, the quota allows 1500m: the API server refuses the pods over it",
		"launch: Deployment cart: container server sets no memory limit",
		"launch at its ceiling (" + itoa(pods) + " pods) needs at least 2 nodes of 1 CPU / 2Gi memory allocatable",
	} {
		if !strings.Contains(out.String(), line) {
			t.Errorf("the plan lacks %q:\n%s", line, out.String())
		}
	}
}
