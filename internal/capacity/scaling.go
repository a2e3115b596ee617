package capacity

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/coditect/phasegen/internal/autoscaler"
	"github.com/coditect/phasegen/internal/config"
)

// Scaling is how fast a phase's HPA scales up (JSON "scaling"), from the
// autoscaler's simulation of the controller.
type Scaling struct {
	// SecondsToMax is the time from a steady floor until the HPA has set
	// maxReplicas when the load asks for at least that many pods; nil when
	// it does not within autoscaler.MaxSeconds.
	SecondsToMax *int `json:"secondsToMax"`
	// Peak is the phase's SLO checked; nil without spec.slo.
	Peak *Peak `json:"peak,omitempty"`
}

// Peak is a phase's load test (spec.slo) against its HPA.
type Peak struct {
	Users int `json:"users"`
	// Pods is ceil(users / usersPerPod.conservative) clamped to the HPA's range.
	Pods int `json:"pods"`
	// Seconds is the first sync at which the HPA has set Pods replicas, plus
	// podReadySeconds when it had to add any. JSON writes null when the HPA
	// never gets there (Reached false).
	Seconds int  `json:"seconds"`
	Within  int  `json:"within"` // spec.slo.scaleUpWithin in seconds
	Met     bool `json:"met"`
	// Needed is the unclamped pod count when it is above maxReplicas (a
	// finding of its own: the peak cannot be served), else 0.
	Needed int `json:"needed,omitempty"`
	// Reached is false when the HPA never sets Pods (Seconds is then 0).
	Reached bool `json:"-"`
	// Change is the smallest change to the phase that meets the SLO, when
	// it is not met and one exists.
	Change *Change `json:"change,omitempty"`

	ReadySeconds int               `json:"-"`
	Floor        int               `json:"-"` // the HPA's minReplicas
	Trace        []autoscaler.Sync `json:"-"` // the HPA's syncs up to max(Seconds, Within, Change.Seconds)
	ChangeTrace  []autoscaler.Sync `json:"-"` // the same with Change applied
}

// MarshalJSON writes the peak as `plan -o json` shows it (the keys of Peak
// in their order; keep the two in step): seconds is null
// when the HPA never sets the peak's pods, rather than a 0 that reads as
// "at once".
func (k Peak) MarshalJSON() ([]byte, error) {
	var seconds *int
	if k.Reached {
		seconds = &k.Seconds
	}
	return json.Marshal(struct {
		Users   int     `json:"users"`
		Pods    int     `json:"pods"`
		Seconds *int    `json:"seconds"`
		Within  int     `json:"within"`
		Met     bool    `json:"met"`
		Needed  int     `json:"needed,omitempty"`
		Change  *Change `json:"change,omitempty"`
	}{k.Users, k.Pods, seconds, k.Within, k.Met, k.Needed, k.Change})
}

// Setting is one field of a Change.
type Setting struct {
	Field string `json:"field"` // the phase field, such as spec.autoscaling.scaleUp.pods
	From  int    `json:"from"`
	To    int    `json:"to"`
}

// Change is a set of phase settings and the peak's seconds with them.
type Change struct {
	Set     []Setting `json:"set"`
	Seconds int       `json:"seconds"`
}

// String is the change as a reader applies it:
// "spec.autoscaling.scaleUp.pods: 3 → 4 (165 s)".
func (c *Change) String() string {
	s := ""
	for i, x := range c.Set {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%s: %d → %d", x.Field, x.From, x.To)
	}
	return fmt.Sprintf("%s (%d s)", s, c.Seconds)
}

// fields is the change's settings in short: "scaleUp.pods: 4".
func (c *Change) fields() string {
	s := ""
	for i, x := range c.Set {
		if i > 0 {
			s += ", "
		}
		_, short, _ := strings.Cut(x.Field, "autoscaling.")
		s += fmt.Sprintf("%s: %d", short, x.To)
	}
	return s
}

// planScaling simulates p's HPA; nil for a phase without autoscaling.
func (m Model) planScaling(p *config.Phase) *Scaling {
	a := p.Spec.Autoscaling
	if a == nil {
		return nil
	}
	h := autoscaler.Of(a)
	sc := &Scaling{}
	if s, _, ok := autoscaler.Reach(h, a.MinReplicas, a.MaxReplicas, a.MaxReplicas); ok {
		sc.SecondsToMax = &s
	}
	if o := p.Spec.SLO; o != nil && m.Conservative > 0 {
		sc.Peak = m.planPeak(a, o)
		if c := sc.Peak.Change; c != nil {
			// The fields as the phase's file spells them (per workload too).
			for i := range c.Set {
				c.Set[i].Field = p.Field(strings.TrimPrefix(c.Set[i].Field, "spec."))
			}
		}
	}
	return sc
}

// peakTime is the seconds until the HPA h, steady at from, has target pods
// for a demand, plus ready seconds when it had to add pods; ok is false
// when it does not within limit seconds of HPA time.
func peakTime(h autoscaler.HPA, from, demand, target int32, ready, limit int) (int, bool) {
	if from >= target {
		return 0, true
	}
	s, _, ok := autoscaler.ReachWithin(h, from, demand, target, limit)
	if !ok {
		return 0, false
	}
	return s + ready, true
}

func (m Model) planPeak(a *config.Autoscaling, o *config.SLO) *Peak {
	need := int32(Pods(o.PeakUsers, m.Conservative))
	target := min(max(need, a.MinReplicas), a.MaxReplicas)
	h := autoscaler.Of(a)
	pk := &Peak{Users: o.PeakUsers, Pods: int(target), Within: o.WithinSeconds, ReadySeconds: int(o.PodReadySeconds), Floor: int(a.MinReplicas)}
	if need > a.MaxReplicas {
		pk.Needed = int(need)
	}
	pk.Seconds, pk.Reached = peakTime(h, a.MinReplicas, need, target, pk.ReadySeconds, autoscaler.MaxSeconds)
	pk.Met = pk.Reached && pk.Seconds <= pk.Within && pk.Needed == 0
	if !pk.Met {
		pk.Change = smallestChange(a, need, pk.Within, pk.ReadySeconds)
	}
	end := max(pk.Seconds, pk.Within)
	if pk.Change != nil {
		end = max(end, pk.Change.Seconds)
		ca := apply(a, pk.Change)
		pk.ChangeTrace = autoscaler.Run(autoscaler.Of(ca), ca.MinReplicas, constant(need), end+autoscaler.SyncSeconds)
	}
	pk.Trace = autoscaler.Run(h, a.MinReplicas, constant(need), end+autoscaler.SyncSeconds)
	return pk
}

func constant(d int32) func(int) int32 { return func(int) int32 { return d } }

// Fields a change may set, in the order ties are broken.
const (
	fieldMax    = "spec.autoscaling.maxReplicas"
	fieldPods   = "spec.autoscaling.scaleUp.pods"
	fieldPeriod = "spec.autoscaling.scaleUp.periodSeconds"
	fieldWindow = "spec.autoscaling.scaleUp.stabilizationWindowSeconds"
)

// apply returns a copy of a with c's settings.
func apply(a *config.Autoscaling, c *Change) *config.Autoscaling {
	out := *a
	if a.ScaleUp != nil {
		up := *a.ScaleUp
		out.ScaleUp = &up
	}
	for _, s := range c.Set {
		switch s.Field {
		case fieldMax:
			out.MaxReplicas = int32(s.To)
		case fieldPods:
			out.ScaleUp.Pods = int32(s.To)
		case fieldPeriod:
			out.ScaleUp.PeriodSeconds = int32(s.To)
		case fieldWindow:
			out.ScaleUp.StabilizationWindowSeconds = int32(s.To)
		}
	}
	return &out
}

// smallestChange finds the smallest change to a that has need pods within
// seconds. maxReplicas is raised to need first when need is above it. Then,
// when that is not enough and the phase has a scaleUp rule, the search
// counts steps of the rule's fields: a pod more per period, a period one
// sync (15 s) shorter, a window one sync shorter (syncs are all the
// controller acts on, so smaller steps change nothing), and takes the first
// combination with the fewest steps, then the fewest fields, in the order
// pods, periodSeconds, stabilizationWindowSeconds. It returns nil when no
// change meets the SLO (podReadySeconds alone over it, or no scaleUp rule).
func smallestChange(a *config.Autoscaling, need int32, within, ready int) *Change {
	base := &Change{}
	if need > a.MaxReplicas {
		base.Set = append(base.Set, Setting{fieldMax, int(a.MaxReplicas), int(need)})
	}
	b := apply(a, base)
	target := min(max(need, b.MinReplicas), b.MaxReplicas)
	meets := func(c *config.Autoscaling) (int, bool) {
		s, ok := peakTime(autoscaler.Of(c), c.MinReplicas, need, target, ready, within-ready)
		return s, ok && s <= within
	}
	if s, ok := meets(b); ok {
		base.Seconds = s
		return base
	}
	up := b.ScaleUp
	if up == nil {
		return nil
	}
	steps := func(v int32) int32 { return (v + autoscaler.SyncSeconds - 1) / autoscaler.SyncSeconds } // syncs, rounded up
	maxPods := max(int32(0), target-b.MinReplicas-up.Pods)                                            // beyond this a step adds nothing
	maxPeriod := max(int32(0), steps(up.PeriodSeconds)-1)                                             // down to 15 s
	maxWindow := steps(up.StabilizationWindowSeconds)                                                 // down to 0
	// The fastest rule there is: if it fails, nothing does.
	fast := *b
	fast.ScaleUp = &config.ScalingRule{Pods: up.Pods + maxPods, PeriodSeconds: min(up.PeriodSeconds, autoscaler.SyncSeconds)}
	if _, ok := meets(&fast); !ok {
		return nil
	}
	change := func(kp, kt, kw int32) *Change {
		c := &Change{Set: append([]Setting(nil), base.Set...)}
		if kp > 0 {
			c.Set = append(c.Set, Setting{fieldPods, int(up.Pods), int(up.Pods + kp)})
		}
		if kt > 0 {
			c.Set = append(c.Set, Setting{fieldPeriod, int(up.PeriodSeconds), int(autoscaler.SyncSeconds * (steps(up.PeriodSeconds) - kt))})
		}
		if kw > 0 {
			c.Set = append(c.Set, Setting{fieldWindow, int(up.StabilizationWindowSeconds), int(autoscaler.SyncSeconds * (steps(up.StabilizationWindowSeconds) - kw))})
		}
		return c
	}
	ok := func(kp, kt, kw int32) bool {
		_, ok := meets(apply(a, change(kp, kt, kw)))
		return ok
	}
	// Each field only ever makes the HPA faster, so for each period and
	// window the fewest pod steps that meet the SLO are found by bisection,
	// and a combination with more steps than the best so far is skipped.
	var best *Change
	var bestKey [4]int32 // steps, fields, then more pod steps, then more period steps
	for kt := int32(0); kt <= maxPeriod; kt++ {
		for kw := int32(0); kw <= maxWindow; kw++ {
			if best != nil && kt+kw > bestKey[0] {
				break
			}
			if !ok(maxPods, kt, kw) {
				continue
			}
			lo, hi := int32(0), maxPods
			for lo < hi {
				if mid := (lo + hi) / 2; ok(mid, kt, kw) {
					hi = mid
				} else {
					lo = mid + 1
				}
			}
			key := [4]int32{lo + kt + kw, int32(nonzero(lo, kt, kw)), -lo, -kt}
			if best == nil || less(key, bestKey) {
				best, bestKey = change(lo, kt, kw), key
			}
		}
	}
	if best != nil {
		best.Seconds, _ = meets(apply(a, best))
	}
	return best
}

func less(a, b [4]int32) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}

func nonzero(vs ...int32) int {
	n := 0
	for _, v := range vs {
		if v != 0 {
			n++
		}
	}
	return n
}
