package cli_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coditect/phasegen/internal/history"
)

// storeNS is where the two-workload example runs in the tests' Prometheus
// (its production environment): the API Deployment, with a rollout, owner
// series and decoys, for 3 days; the database StatefulSet for only 12
// hours, too short for tune.
const storeNS = "store"

func storeAPIOptions() history.Options { return history.StoreAPI(historyEnd) }

func storeDBOptions() history.Options { return history.StoreDB(historyEnd) }

// storeRepo is a copy of examples/store.
func storeRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{"environments", "templates", "overlays"} {
		if err := copyTree(filepath.Join("..", "..", "examples", "store", d), filepath.Join(dir, d)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestStatusOfTwoWorkloadsAgainstPrometheus: status of the two-workload
// example gives every figure of each workload within 1% of the value
// computed from the samples (the Deployment's pods through their owners,
// its decoys left out; the StatefulSet's by name, with its volumes), with
// the same queries as one workload, and the environment's verdict naming
// its workloads.
func TestStatusOfTwoWorkloadsAgainstPrometheus(t *testing.T) {
	srv, h := promServer.Get(t)
	dir := storeRepo(t)
	env := map[string]string{"PROMETHEUS_URL": srv.URL}
	code, out, errs := runIn(t, dir, env, "status", "production", "--at", at(), "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	var s struct {
		Environment, Phase string
		Workloads          []struct {
			Name, Kind string
			statusJSON
		}
		Verdict struct {
			Status  string
			Reasons []string
		}
	}
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatal(err)
	}
	if len(s.Workloads) != 2 || s.Workloads[0].Name != "store-api" || s.Workloads[1].Name != "store-db" {
		t.Fatalf("workloads %+v", s.Workloads)
	}
	week := 7 * 24 * time.Hour
	want := map[string]expected{
		"store-api": expectOf(h, storeNS, ownedBy(h, storeNS, "store-api"), "server", "", nil, week, historyEnd),
		"store-db": expectOf(h, storeNS, regexp.MustCompile(`^store-db-[0-9]+$`).MatchString, "mysql", "",
			regexp.MustCompile(`^.*-store-db-[0-9]+$`), week, historyEnd),
	}
	for _, w := range s.Workloads {
		e := want[w.Name]
		near(t, w.Name+" pods.min", w.Pods.Min, e.podsMin)
		near(t, w.Name+" pods.max", w.Pods.Max, e.podsMax)
		near(t, w.Name+" cpuCores.p95PerPod", w.CPUCores.P95PerPod, e.cpuP95)
		near(t, w.Name+" cpuCores.maxPerPod", w.CPUCores.MaxPerPod, e.cpuMax)
		near(t, w.Name+" memoryGiB.maxPerPod", w.MemoryGiB.MaxPerPod, e.memMax/(1<<30))
	}
	if api := s.Workloads[0]; api.PVCUsedPercent.Max != nil || api.HPA.AtMaxFraction == nil {
		t.Errorf("store-api: volumes %v, HPA %v: a Deployment without claims, under an HPA", api.PVCUsedPercent.Max, api.HPA.AtMaxFraction)
	} else {
		near(t, "store-api hpa.atMaxFraction", *api.HPA.AtMaxFraction, want["store-api"].hpaAtMax)
	}
	if db := s.Workloads[1]; db.PVCUsedPercent.Max == nil || db.HPA.AtMaxFraction != nil {
		t.Errorf("store-db: volumes %v, HPA %v: a StatefulSet with claims, fixed", db.PVCUsedPercent.Max, db.HPA.AtMaxFraction)
	} else {
		near(t, "store-db pvcUsedPercent.max", *db.PVCUsedPercent.Max, want["store-db"].pvcMax)
	}
	all := expectOf(h, storeNS, func(pod string) bool { return strings.HasPrefix(pod, "store-api") }, "server", "", nil, week, historyEnd)
	if all.cpuMax == want["store-api"].cpuMax || all.podsMax == want["store-api"].podsMax {
		t.Fatal("the decoys change nothing: the test would not see them counted")
	}
	for _, r := range s.Verdict.Reasons {
		if !strings.HasPrefix(r, "store-api: ") && !strings.HasPrefix(r, "store-db: ") {
			t.Errorf("a reason that names no workload: %q", r)
		}
	}
}

// TestTuneTwoWorkloads: tune --write on the two-workload example tunes the
// API and writes only its section of the phase file; the database, with
// 12 hours of data, is named, left as it is, and the command exits 0.
// check then finds the overlay stale, and render makes it current.
//
// The API is a Deployment with an HPA on CPU and no session metric: its
// replicas stay, and its CPU target is re-pointed so the HPA keeps scaling
// at 70% of the old 250m request (clamped to 50-90% and said).
func TestTuneTwoWorkloads(t *testing.T) {
	srv, h := promServer.Get(t)
	dir := storeRepo(t)
	env := map[string]string{"PROMETHEUS_URL": srv.URL}
	file := filepath.Join(dir, "environments", "phases", "pilot.yaml")
	before, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	code, out, errs := runIn(t, dir, env, "tune", "production", "--at", at(), "--write", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	if !strings.Contains(errs, "store-db: not tuned, left as it is: refusing to recommend for production: the workload has 12h of data") {
		t.Errorf("the database is not named as left alone:\n%s", errs)
	}
	after, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	section := func(b []byte, name string) string {
		s := string(b)
		i := strings.Index(s, "    "+name+":\n")
		j := strings.Index(s[i+1:], "\n    store-")
		if i < 0 {
			t.Fatalf("no section %s", name)
		}
		if j < 0 {
			return s[i:]
		}
		return s[i : i+1+j]
	}
	if section(before, "store-db") != section(after, "store-db") {
		t.Errorf("the database's section changed:\n%s", section(after, "store-db"))
	}
	if section(before, "store-api") == section(after, "store-api") {
		t.Error("the API's section did not change")
	}
	if head := func(b []byte) string { return string(b[:bytes.Index(b, []byte("  workloads:"))]) }; head(before) != head(after) {
		t.Errorf("the phase's own fields changed:\n%s", head(after))
	}
	// Each workload is named by "name", as status -o json names it.
	var r struct {
		Workloads []struct {
			Name        string   `json:"name"`
			Rules       []string `json:"rules"`
			Recommended struct {
				Autoscaling struct {
					MinReplicas, MaxReplicas       int
					TargetCPUUtilizationPercentage int
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil || len(r.Workloads) != 1 || r.Workloads[0].Name != "store-api" || strings.Contains(out, `"workload":`) {
		t.Errorf("tune -o json: %v %+v", err, r)
	}
	if len(r.Workloads) == 1 {
		e := expectOf(h, storeNS, ownedBy(h, storeNS, "store-api"), "server", "", nil, 7*24*time.Hour, historyEnd)
		req := math.Max(math.Ceil(e.cpuP95*1000-1e-9), 10)
		exact := 70 * 250 / req
		target := min(max(int(math.Round(exact)), 50), 90)
		a := r.Workloads[0].Recommended.Autoscaling
		t.Logf("from the samples: requests.cpu %vm, the old scale point 175m a pod takes %.1f%%: target %d", req, exact, target)
		if a.TargetCPUUtilizationPercentage != target || a.MinReplicas != 2 || a.MaxReplicas != 4 {
			t.Errorf("store-api autoscaling %+v, want 2-4 kept and CPU target %d", a, target)
		}
		said := fmt.Sprintf("autoscaling.targetCPUUtilizationPercentage %d (was 70)", target)
		if rules := strings.Join(r.Workloads[0].Rules, "\n"); !strings.Contains(rules, said) || (target != int(math.Round(exact)) && !strings.Contains(rules, "so it is clamped to 50-90%")) {
			t.Errorf("the re-pointed target is not said (%q):\n%s", said, rules)
		}
		if !strings.Contains(section(after, "store-api"), fmt.Sprintf("targetCPUUtilizationPercentage: %d", target)) && target != 70 {
			t.Errorf("the target is not written:\n%s", section(after, "store-api"))
		}
	}
	if code, _, _ := runIn(t, dir, nil, "check"); code != 3 {
		t.Errorf("check after tune --write: exit %d, want 3", code)
	}
	if code, _, errs := runIn(t, dir, nil, "render"); code != 0 {
		t.Fatalf("render: exit %d\n%s", code, errs)
	}
	if code, _, _ := runIn(t, dir, nil, "check"); code != 0 {
		t.Errorf("check after render: exit %d, want 0", code)
	}
}

// skewNS holds a history whose pod 2 carries twice its CPU for one day of
// three, and no other hot pod.
const skewNS = "coditect-skew"

func skewOptions() history.Options {
	o := history.Production(historyEnd)
	o.Namespace, o.Decoys, o.HotPod = skewNS, false, -1
	o.MinPods, o.MaxPods = 4, 4
	o.SkewPod, o.SkewFrom, o.SkewFor = 2, 24*time.Hour, 24*time.Hour
	return o
}

// TestStatusImbalance: the pod carrying twice its CPU for a day is the
// busiest; its p95 CPU against the median pod's is within 1% of the ratio
// computed from the samples, and the verdict's reason names the pod and
// the base's Service pinning clients (ClientIP, 3 hours) as the likely
// cause.
func TestStatusImbalance(t *testing.T) {
	srv, h := promServer.Get(t)
	dir := promRepo(t, map[string]string{"environments/skew.yaml": envFile("skew", skewNS, "pre-launch")})
	code, out, errs := runIn(t, dir, map[string]string{"PROMETHEUS_URL": srv.URL}, "status", "skew", "--at", at(), "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	var s statusJSON
	decodeStrict(t, out, &s)
	e := expect(h, skewNS, "coditect-combined", "coditect_active_sessions", 7*24*time.Hour, historyEnd)
	if e.busiest != "coditect-combined-2" || e.cpuRatio < 1.5 {
		t.Fatalf("the history lost its shape: busiest %s at %v× the median", e.busiest, e.cpuRatio)
	}
	if s.Imbalance == nil || s.Imbalance.Pod != e.busiest {
		t.Fatalf("imbalance %+v, want pod %s", s.Imbalance, e.busiest)
	}
	near(t, "imbalance.cpuP95Ratio", s.Imbalance.CPUP95Ratio, e.cpuRatio)
	reasons := strings.Join(s.Verdict.Reasons, "\n")
	for _, want := range []string{"The load is not balanced: pod coditect-combined-2's p95 CPU is",
		"Likely cause: Service coditect-combined pins each client to one pod for 3h (sessionAffinity: ClientIP, timeoutSeconds 10800)"} {
		if !strings.Contains(reasons, want) {
			t.Errorf("the verdict does not say %q:\n%s", want, reasons)
		}
	}
}
