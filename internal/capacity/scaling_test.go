package capacity

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/coditect/phasegen/internal/base"
	"github.com/coditect/phasegen/internal/config"
)

func planOf(t *testing.T, cfg *config.Set, pl *Planner, name string) PhasePlan {
	t.Helper()
	p, ok := cfg.Phase(name)
	if !ok {
		t.Fatalf("no phase %s", name)
	}
	plans, err := pl.Plan([]*config.Phase{p})
	if err != nil {
		t.Fatal(err)
	}
	return plans[0]
}

// TestShippedScaling: the shipped phases' floor-to-ceiling times and the
// seed's stress test on full-mvp (30 users within 3m) not met by the seed's
// HPA: 20 pods at 225 s, and scaleUp.pods 3 → 4 gets them at 165 s.
func TestShippedScaling(t *testing.T) {
	cfg, pl := shipped(t)
	want := map[string]int{"pre-launch": 405, "beta": 405, "full-mvp": 405, "scale-out": 465}
	for name, s := range want {
		p := planOf(t, cfg, pl, name)
		if p.Scaling == nil || p.Scaling.SecondsToMax == nil || *p.Scaling.SecondsToMax != s {
			t.Errorf("%s: scaling %+v, want %d s to max", name, p.Scaling, s)
		}
		if (p.Scaling.Peak != nil) != (name == "full-mvp") {
			t.Errorf("%s: peak %+v", name, p.Scaling.Peak)
		}
	}
	k := planOf(t, cfg, pl, "full-mvp").Scaling.Peak
	if k.Users != 30 || k.Pods != 20 || k.Seconds != 225 || k.Within != 180 || k.Met || k.Needed != 0 {
		t.Errorf("full-mvp peak %+v", k)
	}
	wantChange := &Change{Set: []Setting{{fieldPods, 3, 4}}, Seconds: 165}
	if !reflect.DeepEqual(k.Change, wantChange) {
		t.Errorf("change %+v, want %+v", k.Change, wantChange)
	}
}

// TestChangeApplied: testdata/valid-slo-change-applied is the shipped
// full-mvp with the change plan names applied; its SLO is met in the
// change's seconds.
func TestChangeApplied(t *testing.T) {
	cfg, pl := shipped(t)
	k := planOf(t, cfg, pl, "full-mvp").Scaling.Peak
	fcfg, fpl := plannerFor(t, "testdata/valid-slo-change-applied")
	shippedPhase, _ := cfg.Phase("full-mvp")
	fixture, _ := fcfg.Phase("full-mvp")
	if got, want := fixture.Spec.Autoscaling, apply(shippedPhase.Spec.Autoscaling, k.Change); !reflect.DeepEqual(got, want) {
		t.Fatalf("the fixture's autoscaling %+v is not the shipped one with %s: %+v", got, k.Change, want)
	}
	if !reflect.DeepEqual(fixture.Spec.SLO, shippedPhase.Spec.SLO) {
		t.Fatalf("the fixture's SLO %+v differs from the shipped %+v", fixture.Spec.SLO, shippedPhase.Spec.SLO)
	}
	fk := planOf(t, fcfg, fpl, "full-mvp").Scaling.Peak
	if !fk.Met || fk.Seconds != k.Change.Seconds || fk.Seconds != 165 || fk.Change != nil {
		t.Errorf("with the change: %+v, want met at 165 s", fk)
	}
	var buf bytes.Buffer
	if err := WriteTable(&buf, []PhasePlan{planOf(t, fcfg, fpl, "full-mvp")}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "20/165s/180s ✓") || !strings.Contains(buf.String(), "within the 180 s limit: met.") {
		t.Errorf("table:\n%s", buf.String())
	}
}

func slo(users int, within int, ready int32) *config.SLO {
	return &config.SLO{PeakUsers: users, WithinSeconds: within, PodReadySeconds: ready}
}

func seedHPA() *config.Autoscaling {
	return &config.Autoscaling{MinReplicas: 10, MaxReplicas: 30,
		ScaleUp:   &config.ScalingRule{StabilizationWindowSeconds: 60, Pods: 3, PeriodSeconds: 60},
		ScaleDown: &config.ScalingRule{StabilizationWindowSeconds: 300, Pods: 1, PeriodSeconds: 60}}
}

// TestPeakVariants pins the peak's seconds and the change found, worked by
// hand (the HPA's times are those of the autoscaler's tests).
func TestPeakVariants(t *testing.T) {
	m := Model{Conservative: 1.5, Optimistic: 2}
	legacy := &config.Autoscaling{MinReplicas: 10, MaxReplicas: 30}
	noUp := seedHPA()
	noUp.ScaleUp = nil
	window0 := seedHPA()
	window0.ScaleUp.StabilizationWindowSeconds = 0
	cases := []struct {
		name    string
		a       *config.Autoscaling
		o       *config.SLO
		pods    int
		seconds int
		met     bool
		needed  int
		change  *Change
	}{
		// 225 s + 30 s of start-up. A pod more a period (195 s), a period
		// of 45 s (210 s) or a window of 45 s (210 s) is not enough; 5 pods
		// a period (105 + 30 s) is, with two steps.
		{"ready 30", seedHPA(), slo(30, 180, 30), 20, 255, false, 0, &Change{Set: []Setting{{fieldPods, 3, 5}}, Seconds: 135}},
		// Window 0: 13 at 0, 16 at 60, 19 at 120, 20 at 180.
		{"window 0", window0, slo(30, 180, 0), 20, 180, true, 0, nil},
		// 60 users need 40 pods: maxReplicas to 40, then 30 pods to add in
		// 180 s: 3 a sync from 45 (a 15 s period: three steps) is 180 s;
		// fewer steps are not enough (5 pods a minute: 345 s).
		{"above max", seedHPA(), slo(60, 180, 0), 30, 405, false, 40, &Change{Set: []Setting{{fieldMax, 30, 40}, {fieldPeriod, 60, 15}}, Seconds: 180}},
		// 200 s of start-up is over the limit whatever the HPA does.
		{"ready over the limit", seedHPA(), slo(30, 180, 200), 20, 425, false, 0, nil},
		// No behavior: 20 at once (2 × 10), then 30 s to Ready.
		{"behavior omitted", legacy, slo(30, 180, 30), 20, 30, true, 0, nil},
		// behavior without scaleUp: 100 % per 15 s, 20 at once.
		{"scaleUp omitted", noUp, slo(30, 60, 0), 20, 0, true, 0, nil},
		// 15 users need the floor's 10 pods: nothing to add, no start-up.
		{"at the floor", seedHPA(), slo(15, 60, 30), 10, 0, true, 0, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			k := m.planPeak(c.a, c.o)
			if k.Pods != c.pods || k.Seconds != c.seconds || k.Met != c.met || k.Needed != c.needed || !k.Reached {
				t.Errorf("peak %+v, want pods %d, %d s, met %v, needed %d", k, c.pods, c.seconds, c.met, c.needed)
			}
			if !reflect.DeepEqual(k.Change, c.change) {
				t.Errorf("change %+v, want %+v", k.Change, c.change)
			}
			if c.change != nil {
				with := m.planPeak(apply(c.a, c.change), c.o)
				if !with.Met || with.Seconds != c.change.Seconds {
					t.Errorf("with the change: %+v", with)
				}
			}
		})
	}
}

// TestMinAfterPeak: the shipped base keeps a scale-down's volumes, so
// pre-launch's floor costs $446.40 of compute for 10 pods plus $165 of
// storage for 30 after a peak; a base with whenScaled: Delete costs $501.40.
func TestMinAfterPeak(t *testing.T) {
	cfg, pl := shipped(t)
	p := planOf(t, cfg, pl, "pre-launch")
	near(t, "pre-launch minAfterPeak", p.MonthlyCost.MinAfterPeak, 611.40)
	if !p.KeepsVolumes {
		t.Error("the shipped base does not keep volumes")
	}
	b, err := base.Load(os.DirFS("testdata/valid-base-when-scaled-delete"))
	if err != nil {
		t.Fatal(err)
	}
	dpl, err := NewPlanner(cfg, b)
	if err != nil {
		t.Fatal(err)
	}
	plans, err := dpl.Plan(cfg.Phases)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range plans {
		if p.KeepsVolumes || p.MonthlyCost.MinAfterPeak != p.MonthlyCost.Min {
			t.Errorf("%s with whenScaled: Delete: %+v", p.Name, p.MonthlyCost)
		}
	}
	var buf bytes.Buffer
	if err := WriteJSON(&buf, plans[:1]); err != nil {
		t.Fatal(err)
	}
	var out struct {
		Phases []struct {
			MonthlyCost map[string]float64 `json:"monthlyCost"`
		} `json:"phases"`
	}
	if err := json.Unmarshal(buf.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	if got := out.Phases[0].MonthlyCost["minAfterPeak"]; got != 501.40 {
		t.Errorf("json minAfterPeak %v, want 501.4", got)
	}
	buf.Reset()
	if err := WriteTable(&buf, plans[:1]); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "whenScaled: Delete") || strings.Contains(buf.String(), "volumes stay") {
		t.Errorf("the storage line does not say the volumes go:\n%s", buf.String())
	}
}

// TestWideRangeChange: a range of 10-1000 pods and a peak that needs all of
// them within 3m still gets a change, and the change meets it.
func TestWideRangeChange(t *testing.T) {
	m := Model{Conservative: 1.5, Optimistic: 2}
	a := seedHPA()
	a.MaxReplicas = 1000
	o := slo(1500, 180, 0)
	k := m.planPeak(a, o)
	if k.Met || k.Change == nil {
		t.Fatalf("peak %+v", k)
	}
	if with := m.planPeak(apply(a, k.Change), o); !with.Met || with.Seconds != k.Change.Seconds {
		t.Errorf("with %s: %+v", k.Change, with)
	}
	t.Logf("change: %s", k.Change)
}

func BenchmarkPlanPeakSeed(b *testing.B) {
	m := Model{Conservative: 1.5, Optimistic: 2}
	a, o := seedHPA(), slo(30, 180, 0)
	for b.Loop() {
		m.planPeak(a, o)
	}
}

// TestPeakChart: a peak above maxReplicas draws the change's HPA (up to 40
// pods) on an axis that holds it, with the 40 pods needed.
func TestPeakChart(t *testing.T) {
	m := Model{Conservative: 1.5, Optimistic: 2}
	p := PhasePlan{Name: "x", Replicas: MinMax[int]{10, 30}, Autoscaling: true,
		Scaling: &Scaling{Peak: m.planPeak(seedHPA(), slo(60, 180, 0))}}
	var buf bytes.Buffer
	writePeakChart(&buf, p)
	got := buf.String()
	// The change: maxReplicas 40 and a 15 s period, 3 pods a sync from 45 s.
	for _, want := range []string{
		`title "x: replicas after 60 users arrive (need 40 within 180 s; lines: the HPA as configured, with maxReplicas: 40, scaleUp.periodSeconds: 15, the pods needed)"`,
		`x-axis "seconds after the peak arrives" 0 --> 405`,
		`y-axis "replicas" 0 --> 40`,
		"line [10, 10, 10, 13, 16, 19, 22, 25, 28, 31, 34, 37, 40, 40,",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("chart lacks %q:\n%s", want, got)
		}
	}
}

// TestScalingSentences: the cells review and the PR body show for a
// phase's HPA speed and SLO, in each state.
func TestScalingSentences(t *testing.T) {
	cfg, pl := shipped(t)
	mvp := planOf(t, cfg, pl, "full-mvp")
	if got, want := mvp.ScaleUpTime(), "405 s"; got != want {
		t.Errorf("ScaleUpTime %q, want %q", got, want)
	}
	if got, want := mvp.PeakSummary(), "30 users: 20 pods in 225 s, limit 180 s: ✗ not met"; got != want {
		t.Errorf("PeakSummary %q, want %q", got, want)
	}
	pre := planOf(t, cfg, pl, "pre-launch")
	if pre.PeakSummary() != "none" || (PhasePlan{}).ScaleUpTime() != "none" {
		t.Errorf("without an SLO %q, without an HPA %q", pre.PeakSummary(), (PhasePlan{}).ScaleUpTime())
	}
	never := PhasePlan{Scaling: &Scaling{Peak: &Peak{Users: 30, Pods: 20, Within: 180}}}
	if got, want := never.PeakSummary(), "30 users: 20 pods not within a day, limit 180 s: ✗ not met"; got != want {
		t.Errorf("never reached: %q, want %q", got, want)
	}
	if got, want := never.ScaleUpTime(), ">86400 s"; got != want {
		t.Errorf("never at max: %q, want %q", got, want)
	}
	met := PhasePlan{Scaling: &Scaling{Peak: &Peak{Users: 30, Pods: 20, Seconds: 165, Within: 180, Met: true, Reached: true}}}
	if got, want := met.PeakSummary(), "30 users: 20 pods in 165 s, limit 180 s: ✓ met"; got != want {
		t.Errorf("met: %q, want %q", got, want)
	}
}

// TestPeakJSONUnreached: a peak the HPA never reaches has seconds null in
// JSON, a reached one its seconds; the other keys are as declared.
func TestPeakJSONUnreached(t *testing.T) {
	for _, c := range []struct {
		k    Peak
		want string
	}{
		{Peak{Users: 30, Pods: 20, Seconds: 165, Within: 180, Met: true, Reached: true},
			`{"users":30,"pods":20,"seconds":165,"within":180,"met":true}`},
		{Peak{Users: 30, Pods: 20, Within: 180},
			`{"users":30,"pods":20,"seconds":null,"within":180,"met":false}`},
	} {
		b, err := json.Marshal(c.k)
		if err != nil || string(b) != c.want {
			t.Errorf("json = %s, %v; want %s", b, err, c.want)
		}
	}
}
