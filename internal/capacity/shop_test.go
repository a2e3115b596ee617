package capacity

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/coditect/phasegen/internal/base"
	"github.com/coditect/phasegen/internal/config"
)

// shop is an app as the public microservice demos ship it: a frontend sized
// by users (requests and limits), a cart service with requests and no
// limits, and a Redis without any resources, all Deployments.
var shopBase = fstest.MapFS{
	"base/kustomization.yaml": {Data: []byte("resources: [frontend.yaml, cart.yaml, redis.yaml]\n")},
	"base/frontend.yaml": {Data: []byte(deploymentYAML("frontend", "server",
		"{requests: {cpu: 100m, memory: 64Mi}, limits: {cpu: 200m, memory: 128Mi}}"))},
	"base/cart.yaml":  {Data: []byte(deploymentYAML("cart", "server", "{requests: {cpu: 200m, memory: 64Mi}}"))},
	"base/redis.yaml": {Data: []byte(deploymentYAML("redis", "redis", "{}"))},
}

func deploymentYAML(name, container, resources string) string {
	return `apiVersion: apps/v1
kind: Deployment
metadata: {name: ` + name + `}
spec:
  selector: {matchLabels: {app: ` + name + `}}
  template:
    metadata: {labels: {app: ` + name + `}}
    spec:
      containers: [{name: ` + container + `, image: demo/` + name + `, resources: ` + resources + `}]
`
}

// shopPlanner plans the shop; edit, when not nil, changes the loaded
// configuration first.
func shopPlanner(t *testing.T, edit func(*config.Set)) (*config.Set, *Planner) {
	t.Helper()
	return shopPlannerOf(t, shopBase, edit)
}

// shopPlannerOf is shopPlanner over the base in baseFS.
func shopPlannerOf(t *testing.T, baseFS fstest.MapFS, edit func(*config.Set)) (*config.Set, *Planner) {
	t.Helper()
	phase := func(name string, order, users int, frontend, others string) string {
		return "apiVersion: phasegen.dev/v1alpha1\nkind: Phase\nmetadata: {name: " + name + "}\nspec:\n  order: " + itoa(order) +
			"\n  users: {min: 1, max: " + itoa(users) + "}\n  workloads:\n    frontend: " + frontend + "\n    cart: " + others + "\n    redis: " + others + "\n"
	}
	cfg, err := config.LoadFS(fstest.MapFS{
		"c/capacity.yaml": {Data: []byte("apiVersion: phasegen.dev/v1alpha1\nkind: CapacityModel\nmetadata: {name: shop}\nspec:\n" +
			"  pricing: {cpuCoreHour: 0.04, memoryGiBHour: 0.005, storageGBMonth: 0.1, hoursPerMonth: 720}\n" +
			"  workloads:\n    frontend: {usersPerPod: {conservative: 50, optimistic: 80}}\n    cart: {}\n    redis: {}\n")},
		"c/phases/pilot.yaml":  {Data: []byte(phase("pilot", 1, 100, "{replicas: 2}", "{replicas: 1}"))},
		"c/phases/launch.yaml": {Data: []byte(phase("launch", 2, 500, "{autoscaling: {minReplicas: 3, maxReplicas: 10, targetCPUUtilizationPercentage: 70}}", "{replicas: 2}"))},
	}, "c")
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(cfg)
	}
	b, err := base.Load(baseFS)
	if err != nil {
		t.Fatal(err)
	}
	pl, err := NewPlanner(cfg, b)
	if err != nil {
		t.Fatal(err)
	}
	return cfg, pl
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestUnpricedIsSaid: Redis, without requests or limits, is named as
// unpriced in the table, the JSON and the notes (never "priced on its
// request"); the cart, with requests only, is priced on them.
func TestUnpricedIsSaid(t *testing.T) {
	cfg, pl := shopPlanner(t, nil)
	plans, err := pl.Plan(cfg.Phases)
	if err != nil {
		t.Fatal(err)
	}
	var table, js, md bytes.Buffer
	if err := WriteTable(&table, plans); err != nil {
		t.Fatal(err)
	}
	if err := WriteJSON(&js, plans); err != nil {
		t.Fatal(err)
	}
	if err := WriteMarkdown(&md, plans); err != nil {
		t.Fatal(err)
	}
	for what, out := range map[string]string{"table": table.String(), "markdown": md.String()} {
		for _, want := range []string{
			"(unpriced: redis cpu, redis memory)",
			"Unpriced: redis/redis cpu has neither a request nor a limit, so it is priced at $0 (pilot, launch): its cost is unknown, not nothing",
			"Pricing: cart/server cpu has no limit, so it is priced on its request (pilot, launch)",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("%s lacks %q:\n%s", what, want, out)
			}
		}
		if strings.Contains(out, "redis/redis cpu has no limit, so it is priced on its request") {
			t.Errorf("%s says Redis is priced on a request it does not have", what)
		}
	}
	var got struct {
		Phases []struct {
			Workloads []struct {
				Name     string   `json:"name"`
				Unpriced []string `json:"unpriced"`
			} `json:"workloads"`
		} `json:"phases"`
	}
	if err := json.Unmarshal(js.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	for _, w := range got.Phases[0].Workloads {
		want := map[string]string{"redis": "redis cpu,redis memory"}[w.Name]
		if strings.Join(w.Unpriced, ",") != want {
			t.Errorf("JSON: %s unpriced %v, want %q", w.Name, w.Unpriced, want)
		}
	}
}

// TestEstimatePricesTheWholeApp: --users 300 sizes the frontend for 300
// users and prices the cart and Redis as launch runs them (the first phase
// whose users reach 300), at its floor; the totals add them up. The sums
// are worked out here from the configs and manifests.
func TestEstimatePricesTheWholeApp(t *testing.T) {
	cfg, pl := shopPlanner(t, nil)
	est, err := pl.Estimate(300, cfg.Phases)
	if err != nil {
		t.Fatal(err)
	}
	if est.Phase != "launch" || est.Beyond || len(est.Estimates) != 4 || len(est.Totals) != 2 {
		t.Fatalf("estimation %+v", est)
	}
	const h = 720.0
	// Frontend: 300/50 = 6 pods conservatively, 300/80 → 4 optimistically,
	// billed on limits: 0.2 core × 0.04 + 0.125 GiB × 0.005 an hour.
	frontendPod := (0.2*0.04 + 0.125*0.005) * h
	// Cart: 2 pods at launch, billed on requests: 0.2 core, 1/16 GiB.
	cart := 2 * (0.2*0.04 + 0.0625*0.005) * h
	// Redis: 2 pods, nothing to bill.
	for i, c := range []struct {
		name string
		pods int
	}{{"conservative", 6}, {"optimistic", 4}} {
		tot := est.Totals[i]
		want := float64(c.pods)*frontendPod + cart
		if tot.Name != c.name || tot.Pods != c.pods+4 || math.Abs(tot.MonthlyCost.Total-want) > 1e-9 || math.Abs(tot.CostPerUser-want/300) > 1e-9 {
			t.Errorf("%s total: %d pods, $%.4f ($%.6f a user), want %d pods, $%.4f", c.name, tot.Pods, tot.MonthlyCost.Total, tot.CostPerUser, c.pods+4, want)
		}
	}
	var out bytes.Buffer
	if err := WriteEstimatesTable(&out, est); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "priced as phase launch runs them, at its floor") || !strings.Contains(out.String(), "\nTOTAL ") {
		t.Errorf("table:\n%s", out.String())
	}
	if est, err = pl.Estimate(900, cfg.Phases); err != nil || est.Phase != "launch" || !est.Beyond {
		t.Errorf("900 users, beyond every phase: %+v %v", est, err)
	}
}

// TestExamplePricesAreSaid: prices init wrote (spec.pricing.example) are
// said to be examples in the table's notes and the JSON.
func TestExamplePricesAreSaid(t *testing.T) {
	cfg, pl := shopPlanner(t, func(c *config.Set) { c.Capacity.Spec.Pricing.Example = true })
	plans, err := pl.Plan(cfg.Phases)
	if err != nil {
		t.Fatal(err)
	}
	var table, js bytes.Buffer
	if err := WriteTable(&table, plans); err != nil {
		t.Fatal(err)
	}
	if err := WriteJSON(&js, plans); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(table.String(), "Prices: these costs use example prices (spec.pricing.example: true in capacity.yaml") || !strings.Contains(js.String(), `"examplePrices": true`) {
		t.Errorf("table:\n%s\njson:\n%s", table.String(), js.String())
	}
}
