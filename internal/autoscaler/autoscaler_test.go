package autoscaler

import (
	"os"
	"reflect"
	"testing"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/coditect/phasegen/internal/config"
)

func rule(window, pods, period int32) *config.ScalingRule {
	return &config.ScalingRule{StabilizationWindowSeconds: window, Pods: pods, PeriodSeconds: period}
}

// seed is the HPA of the seed's phases: 10-30 pods, scale-up window 60 s and
// 3 pods per 60 s, scale-down window 300 s and 1 pod per 60 s.
func seed() *config.Autoscaling {
	return &config.Autoscaling{MinReplicas: 10, MaxReplicas: 30, ScaleUp: rule(60, 3, 60), ScaleDown: rule(300, 1, 60)}
}

func with(f func(a *config.Autoscaling)) *config.Autoscaling {
	a := seed()
	f(a)
	return a
}

// TestReachHandWorked pins the seconds from a steady floor to a demand, each
// worked by hand from the controller's rules (a sync every 15 s; a scale-up
// is let through once every recommendation strictly newer than now − window
// asks for it; a Pods policy adds value pods to the replicas at the start of
// its period, scale events strictly newer than now − period counting as in
// the period).
func TestReachHandWorked(t *testing.T) {
	cases := []struct {
		name    string
		a       *config.Autoscaling
		from    int32
		demand  int32
		seconds int
	}{
		// Window 60: the recommendations of -45, -30 and -15 (10) hold the
		// scale-up back until t = 45; then 13 at 45, 16 at 105, 19 at 165,
		// 20 at 225 (22 asked, the demand caps it).
		{"seed to 20", seed(), 10, 20, 225},
		// ... 22 at 225, 25 at 285, 28 at 345, 30 at 405 (31, maxReplicas caps it).
		{"seed to 30", seed(), 10, 30, 405},
		{"seed to 34 (beyond max)", seed(), 10, 34, 405},
		// 14 at 45, 18 at 105, 20 at 165.
		{"pods 4 to 20", with(func(a *config.Autoscaling) { a.ScaleUp.Pods = 4 }), 10, 20, 165},
		// 14, 18, 22, 26, 30 at 45 + 4 × 60.
		{"pods 4 to 30", with(func(a *config.Autoscaling) { a.ScaleUp.Pods = 4 }), 10, 30, 285},
		// 15 at 45, 20 at 105.
		{"pods 5 to 20", with(func(a *config.Autoscaling) { a.ScaleUp.Pods = 5 }), 10, 20, 105},
		{"pods 5 to 30", with(func(a *config.Autoscaling) { a.ScaleUp.Pods = 5 }), 10, 30, 225},
		// 30 at 45: one period's worth is all that is needed.
		{"pods 20 to 30", with(func(a *config.Autoscaling) { a.ScaleUp.Pods = 20 }), 10, 30, 45},
		// Period 45: 13 at 45, 16 at 90, 19 at 135, 20 at 180.
		{"period 45 to 20", with(func(a *config.Autoscaling) { a.ScaleUp.PeriodSeconds = 45 }), 10, 20, 180},
		// Period 30: 13 at 45, 16 at 75, 19 at 105, 20 at 135.
		{"period 30 to 20", with(func(a *config.Autoscaling) { a.ScaleUp.PeriodSeconds = 30 }), 10, 20, 135},
		// Period 15: every sync from 45: 13, 16, 19, 20 at 90.
		{"period 15 to 20", with(func(a *config.Autoscaling) { a.ScaleUp.PeriodSeconds = 15 }), 10, 20, 90},
		// Period 50 acts like 60: at 90 the event of 45 is still newer than 40.
		{"period 50 to 20", with(func(a *config.Autoscaling) { a.ScaleUp.PeriodSeconds = 50 }), 10, 20, 225},
		// Window 0: the scale-up starts at t = 0: 13, 16 at 60, 19 at 120, 20 at 180.
		{"window 0 to 20", with(func(a *config.Autoscaling) { a.ScaleUp.StabilizationWindowSeconds = 0 }), 10, 20, 180},
		{"window 0 to 30", with(func(a *config.Autoscaling) { a.ScaleUp.StabilizationWindowSeconds = 0 }), 10, 30, 360},
		// Window 15: the recommendation of -15 is not strictly newer than 0 - 15.
		{"window 15 to 20", with(func(a *config.Autoscaling) { a.ScaleUp.StabilizationWindowSeconds = 15 }), 10, 20, 180},
		// Window 300: the floor's recommendation of -15 lasts until t = 285;
		// then 13, 16 at 345, 19 at 405, 20 at 465.
		{"window 300 to 20", with(func(a *config.Autoscaling) { a.ScaleUp.StabilizationWindowSeconds = 300 }), 10, 20, 465},
		{"window 300 to 30", with(func(a *config.Autoscaling) { a.ScaleUp.StabilizationWindowSeconds = 300 }), 10, 30, 645},
		// behavior without scaleUp: the API's default, window 0 and the larger
		// of 4 pods and 100 % per 15 s: 10 → 20 at once (100 %); for 30, 20
		// at 0 and 30 at 15 (the event at 0 is not newer than 15 − 15).
		{"scaleUp omitted to 20", with(func(a *config.Autoscaling) { a.ScaleUp = nil }), 10, 20, 0},
		{"scaleUp omitted to 30", with(func(a *config.Autoscaling) { a.ScaleUp = nil }), 10, 30, 15},
		// From 1: max(1+4, 2) = 5 at 0, max(9, 10) = 10 at 15.
		{"scaleUp omitted from 1", &config.Autoscaling{MinReplicas: 1, MaxReplicas: 10, ScaleDown: rule(300, 1, 60)}, 1, 10, 15},
		// From 2: 6 at 0, 12 at 15 (100 %), 24 at 30, 30 at 45.
		{"scaleUp omitted from 2", &config.Autoscaling{MinReplicas: 2, MaxReplicas: 30, ScaleDown: rule(300, 1, 60)}, 2, 30, 45},
		// No behavior: the legacy rule, at most max(2 × current, 4) a sync:
		// 10 → 20 at 0; 20 at 0 and 30 at 15; from 1: 4, 8, 10.
		{"behavior omitted to 20", &config.Autoscaling{MinReplicas: 10, MaxReplicas: 30}, 10, 20, 0},
		{"behavior omitted to 30", &config.Autoscaling{MinReplicas: 10, MaxReplicas: 30}, 10, 30, 15},
		{"behavior omitted from 1", &config.Autoscaling{MinReplicas: 1, MaxReplicas: 10}, 1, 10, 30},
		// Already there.
		{"at the floor", seed(), 10, 10, 0},
		// The shipped scale-out phase: 34-70, 5 pods per 60 s: 39 at 45,
		// then 5 a minute: 69 at 405, 70 (74, maxReplicas caps it) at 465.
		{"scale-out to 70", &config.Autoscaling{MinReplicas: 34, MaxReplicas: 70, ScaleUp: rule(60, 5, 60), ScaleDown: rule(300, 2, 60)}, 34, 70, 465},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			target := min(max(c.demand, c.a.MinReplicas), c.a.MaxReplicas)
			got, trace, ok := Reach(Of(c.a), c.from, c.demand, target)
			if !ok || got != c.seconds {
				t.Errorf("reached %d pods at %d s (ok %v), want %d s; trace %v", target, got, ok, c.seconds, trace)
			}
			if ok && (trace[len(trace)-1].Second != got || trace[len(trace)-1].Replicas < target) {
				t.Errorf("trace ends at %+v", trace[len(trace)-1])
			}
		})
	}
}

// TestSeedTrace pins every sync of the seed's 10 → 20 so the chart in the
// plan shows what the controller does.
func TestSeedTrace(t *testing.T) {
	_, trace, _ := Reach(Of(seed()), 10, 20, 20)
	var got []int32
	for _, s := range trace {
		got = append(got, s.Replicas)
	}
	want := []int32{10, 10, 10, 13, 13, 13, 13, 16, 16, 16, 16, 19, 19, 19, 19, 20}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("replicas %v, want %v", got, want)
	}
}

// TestScaleDown: the other direction, with behaviour (the seed's window 300 s
// and 1 pod per 60 s) and with the legacy rule (window 300 s, not older than
// it, no rate limit).
func TestScaleDown(t *testing.T) {
	low := func(int) int32 { return 10 }
	at := func(s []Sync, second int) int32 {
		for _, x := range s {
			if x.Second == second {
				return x.Replicas
			}
		}
		t.Fatalf("no sync at %d", second)
		return 0
	}
	s := Run(Of(seed()), 30, low, 1500)
	// The recommendation of -15 (30) is strictly newer than t − 300 until 285.
	if at(s, 270) != 30 || at(s, 285) != 29 || at(s, 345) != 28 || at(s, 1365) != 11 || at(s, 1425) != 10 {
		t.Errorf("seed scale-down: %v", s)
	}
	legacy := Run(Of(&config.Autoscaling{MinReplicas: 10, MaxReplicas: 30}), 30, low, 400)
	// -15's 30 is not older than 285 − 300; at 300 every recommendation is 10.
	if at(legacy, 285) != 30 || at(legacy, 300) != 10 {
		t.Errorf("legacy scale-down: %v", legacy)
	}
	// A demand that rises and falls again within the scale-up window never
	// passes it: the seed's HPA stays at 10.
	blip := Run(Of(seed()), 10, func(t int) int32 {
		if t >= 15 && t < 60 {
			return 30
		}
		return 10
	}, 600)
	for _, x := range blip {
		if x.Replicas != 10 {
			t.Fatalf("a 45 s blip scaled the seed's HPA: %v", blip)
		}
	}
}

func TestDisabledNeverReaches(t *testing.T) {
	h := Of(seed())
	disabled := autoscalingv2.DisabledPolicySelect
	h.Behavior.ScaleUp.SelectPolicy = &disabled
	if s, _, ok := Reach(h, 10, 20, 20); ok {
		t.Errorf("a disabled scale-up reached 20 at %d s", s)
	}
}

// TestRenderedHPA: the HPA phasegen renders for production (overlays/,
// checked by `phasegen check`), read back as the API object, has the
// behavior Of gives for the shipped pre-launch phase, and takes 225 s to 20
// pods and 405 s to 30.
func TestRenderedHPA(t *testing.T) {
	data, err := os.ReadFile("../testdata/example/overlays/production/hpa.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var obj autoscalingv2.HorizontalPodAutoscaler
	if err := sigsyaml.UnmarshalStrict(data, &obj); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load("../testdata/example/environments")
	if err != nil {
		t.Fatal(err)
	}
	p, _ := cfg.Phase("pre-launch")
	want := Of(p.Spec.Autoscaling)
	got := HPA{MinReplicas: *obj.Spec.MinReplicas, MaxReplicas: obj.Spec.MaxReplicas, Behavior: obj.Spec.Behavior}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("rendered %+v, Of gives %+v", got, want)
	}
	for _, c := range []struct {
		to      int32
		seconds int
	}{{20, 225}, {30, 405}} {
		if s, _, ok := Reach(got, 10, c.to, c.to); !ok || s != c.seconds {
			t.Errorf("rendered HPA: 10 → %d in %d s, want %d", c.to, s, c.seconds)
		}
	}
}

func TestBehavior(t *testing.T) {
	if b := Behavior(&config.Autoscaling{MinReplicas: 1, MaxReplicas: 2}); b != nil {
		t.Errorf("no scaleUp or scaleDown gave behavior %+v", b)
	}
	b := Behavior(&config.Autoscaling{MinReplicas: 1, MaxReplicas: 2, ScaleDown: rule(300, 1, 60)})
	if b == nil || b.ScaleUp != nil || b.ScaleDown == nil || *b.ScaleDown.StabilizationWindowSeconds != 300 {
		t.Errorf("scaleDown only: %+v", b)
	}
}

func BenchmarkReachSeed(b *testing.B) {
	h := Of(seed())
	for b.Loop() {
		Reach(h, 10, 30, 30)
	}
}
