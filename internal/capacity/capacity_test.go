package capacity

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"

	"github.com/coditect/phasegen/internal/base"
	"github.com/coditect/phasegen/internal/config"
	"github.com/coditect/phasegen/templates"
)

func shipped(t *testing.T) (*config.Set, *Planner) {
	t.Helper()
	return plannerFor(t, "../testdata/example/environments")
}

// plannerFor loads the configs in dir with the embedded base.
func plannerFor(t *testing.T, dir string) (*config.Set, *Planner) {
	t.Helper()
	cfg, err := config.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := base.Load(templates.FS())
	if err != nil {
		t.Fatal(err)
	}
	pl, err := NewPlanner(cfg, b)
	if err != nil {
		t.Fatal(err)
	}
	return cfg, pl
}

func near(t *testing.T, what string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > 0.005 {
		t.Errorf("%s = %.4f, want %.2f", what, got, want)
	}
}

// TestSeedTwentyUsers pins the seed's "Resource Requirements for 20 Users".
func TestSeedTwentyUsers(t *testing.T) {
	cfg, pl := shipped(t)
	est, err := pl.Estimate(20, cfg.Phases)
	es := est.Estimates
	if err != nil {
		t.Fatal(err)
	}
	cons, opt := es[0], es[1]
	if cons.Name != "conservative" || cons.Pods != 14 || opt.Name != "optimistic" || opt.Pods != 10 {
		t.Fatalf("pods: %s %d, %s %d; want conservative 14, optimistic 10", cons.Name, cons.Pods, opt.Name, opt.Pods)
	}
	near(t, "conservative cores requests", cons.CPUCores.Requests, 7)
	near(t, "conservative cores limits", cons.CPUCores.Limits, 28)
	near(t, "conservative memory requests", cons.MemoryGiB.Requests, 7)
	near(t, "conservative memory limits", cons.MemoryGiB.Limits, 28)
	near(t, "conservative storage", cons.StorageGiB, 770)
	near(t, "optimistic cores requests", opt.CPUCores.Requests, 5)
	near(t, "optimistic cores limits", opt.CPUCores.Limits, 20)
	near(t, "optimistic memory", opt.MemoryGiB.Limits, 20)
	near(t, "optimistic storage", opt.StorageGiB, 550)
	// The seed's "Scaled Cost (10 pods for 20 users)": $446/month compute + $55 storage.
	near(t, "10-pod compute", opt.MonthlyCost.Compute, 446.40)
	near(t, "10-pod storage", opt.MonthlyCost.Storage, 55)
	near(t, "10-pod per user", opt.CostPerUser, 25.07)
}

// TestSeedCosts pins the seed's cost analysis at 3, 10 and 15 pods.
func TestSeedCosts(t *testing.T) {
	_, all := shipped(t)
	pl := all.Workloads[0]
	c := pl.Workload.Container
	pod, err := PodOf(c.Name, c.Resources)
	if err != nil {
		t.Fatal(err)
	}
	three := pl.Model.MonthlyCost(3, pod)
	near(t, "3-pod compute per day", three.Compute/30, 4.46)
	near(t, "3-pod storage", three.Storage, 16.50)
	if tot := three.Total(); math.Abs(tot-150) > 1 {
		t.Errorf("3 pods cost %.2f a month, want ~$150", tot)
	}
	ten := pl.Model.MonthlyCost(10, pod)
	near(t, "10-pod compute per day", ten.Compute/30, 14.88)
	near(t, "10-pod total", ten.Total(), 501.40)
	fifteen := pl.Model.MonthlyCost(15, pod)
	near(t, "15-pod compute per day", fifteen.Compute/30, 22.32)
	near(t, "15-pod storage", fifteen.Storage, 82.50)
	if tot := fifteen.Total(); math.Abs(tot-750) > 5 {
		t.Errorf("15 pods cost %.2f a month, want ~$750", tot)
	}
	// Cost per user at 20 users: $25 (10 pods) to $37.50 (15 pods).
	if lo, hi := ten.Total()/20, fifteen.Total()/20; math.Abs(lo-25) > 0.1 || math.Abs(hi-37.5) > 0.2 {
		t.Errorf("cost per user %.2f-%.2f, want ~25-37.50", lo, hi)
	}
}

func TestShippedPhases(t *testing.T) {
	cfg, pl := shipped(t)
	plans, err := pl.Plan(cfg.Phases)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct{ lo, hi int }{"pre-launch": {10, 30}, "beta": {10, 30}, "full-mvp": {10, 30}, "scale-out": {34, 70}}
	for _, p := range plans {
		w := want[p.Name]
		if p.Replicas.Min != w.lo || p.Replicas.Max != w.hi || p.HPA() == "-" {
			t.Errorf("%s: replicas %d-%d, want HPA %d-%d", p.Name, p.Replicas.Min, p.Replicas.Max, w.lo, w.hi)
		}
		if !p.Ready {
			t.Errorf("%s: not ready for %d users with %d pods", p.Name, p.Users.Max, p.Replicas.Max)
		}
	}
	near(t, "pre-launch floor cost", plans[0].MonthlyCost.Min, 501.40)
	if plans[3].MaxCapacity.Conservative < 100 {
		t.Errorf("scale-out serves %d users at its ceiling, want >= 100", plans[3].MaxCapacity.Conservative)
	}
}

// TestNotReady: a phase whose ceiling cannot serve its maximum users
// conservatively is not ready (fixture testdata/valid-not-ready).
func TestNotReady(t *testing.T) {
	cfg, pl := plannerFor(t, "testdata/valid-not-ready")
	plans, err := pl.Plan(cfg.Phases)
	if err != nil {
		t.Fatal(err)
	}
	if len(plans) != 2 {
		t.Fatalf("%d plans, want 2", len(plans))
	}
	if !plans[0].Ready || plans[1].Ready {
		t.Errorf("ready = %v, %v; want true (3 pods, 4 users), false (3 pods, 5 users)", plans[0].Ready, plans[1].Ready)
	}
	var buf bytes.Buffer
	if err := WriteJSON(&buf, plans); err != nil {
		t.Fatal(err)
	}
	var out struct {
		Phases []struct {
			Name  string `json:"name"`
			Ready bool   `json:"ready"`
		} `json:"phases"`
	}
	if err := json.Unmarshal(buf.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	if out.Phases[1].Name != "overbooked" || out.Phases[1].Ready {
		t.Errorf("json: %+v, want overbooked ready:false", out.Phases[1])
	}
}

func TestPodsAndServed(t *testing.T) {
	cases := []struct {
		users int
		upp   float64
		pods  int
	}{{20, 1.5, 14}, {20, 2, 10}, {3, 1.5, 2}, {100, 1.5, 67}, {0, 2, 0}, {1, 2, 1}}
	for _, c := range cases {
		if got := Pods(c.users, c.upp); got != c.pods {
			t.Errorf("Pods(%d, %g) = %d, want %d", c.users, c.upp, got, c.pods)
		}
	}
	if got := Served(3, 1.5); got != 4 {
		t.Errorf("Served(3, 1.5) = %d, want 4", got)
	}
}
