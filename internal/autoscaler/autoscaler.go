// Package autoscaler simulates the replica decisions of the Kubernetes
// HorizontalPodAutoscaler controller (pkg/controller/podautoscaler in
// kubernetes/kubernetes) sync by sync, so that a plan can say how long a
// phase's HPA takes to reach a number of pods. It follows the controller's
// normalization: with spec.behavior, the stabilization windows
// (stabilizeRecommendationWithBehaviors) and the scaling policies
// (calculateScaleUpLimitWithScalingRules, getReplicasChangePerPeriod), with
// the API defaults for an absent direction (pkg/apis/autoscaling/v2
// defaults.go); without it, the legacy rule (normalizeDesiredReplicas). It
// does no I/O; demand is given as the raw recommendation of each sync (the
// pods the metrics ask for), so metric collection and the tolerance band are
// outside it.
package autoscaler

import (
	"math"

	autoscalingv2 "k8s.io/api/autoscaling/v2"

	"github.com/coditect/phasegen/internal/config"
)

// SyncSeconds is the controller's sync period
// (--horizontal-pod-autoscaler-sync-period, default 15s).
const SyncSeconds = 15

// DownscaleStabilizationSeconds is the controller's default scale-down window
// (--horizontal-pod-autoscaler-downscale-stabilization, default 5m), used by
// the legacy rule and when behavior.scaleDown sets no window.
const DownscaleStabilizationSeconds = 300

// MaxSeconds bounds a simulation: a target not reached within a day is
// reported as never reached.
const MaxSeconds = 24 * 3600

// The legacy rule's scale-up limit: max(scaleUpLimitFactor × current,
// scaleUpLimitMinimum) per sync.
const (
	scaleUpLimitFactor  = 2.0
	scaleUpLimitMinimum = 4.0
)

// HPA is what the controller reads from a HorizontalPodAutoscaler's spec.
type HPA struct {
	MinReplicas, MaxReplicas int32
	// Behavior as written in the object; nil selects the legacy rule. Absent
	// parts take the API defaults.
	Behavior *autoscalingv2.HorizontalPodAutoscalerBehavior
}

// Of returns the HPA phasegen renders for a phase's autoscaling config.
func Of(a *config.Autoscaling) HPA {
	return HPA{MinReplicas: a.MinReplicas, MaxReplicas: a.MaxReplicas, Behavior: Behavior(a)}
}

// Behavior is the spec.behavior phasegen writes for a phase: nil when the
// phase sets neither scaleUp nor scaleDown (the legacy rule applies), else a
// Pods policy for each direction the phase sets (the other takes the API
// defaults).
func Behavior(a *config.Autoscaling) *autoscalingv2.HorizontalPodAutoscalerBehavior {
	if a.ScaleUp == nil && a.ScaleDown == nil {
		return nil
	}
	return &autoscalingv2.HorizontalPodAutoscalerBehavior{ScaleUp: rules(a.ScaleUp), ScaleDown: rules(a.ScaleDown)}
}

func rules(s *config.ScalingRule) *autoscalingv2.HPAScalingRules {
	if s == nil {
		return nil
	}
	window := s.StabilizationWindowSeconds
	return &autoscalingv2.HPAScalingRules{
		StabilizationWindowSeconds: &window,
		Policies: []autoscalingv2.HPAScalingPolicy{{
			Type:          autoscalingv2.PodsScalingPolicy,
			Value:         s.Pods,
			PeriodSeconds: s.PeriodSeconds,
		}},
	}
}

// Sync is one sync of the controller: the raw recommendation it was given and
// the replicas it left the target at.
type Sync struct {
	Second         int   `json:"second"`
	Recommendation int32 `json:"recommendation"`
	Replicas       int32 `json:"replicas"`
}

// rulesFor is one direction's rules after defaulting.
type rulesFor struct {
	window   int32
	selector autoscalingv2.ScalingPolicySelect
	policies []autoscalingv2.HPAScalingPolicy
}

// defaulted fills an HPA's behavior the way the API server does
// (GenerateHPAScaleUpRules, GenerateHPAScaleDownRules) and the controller
// does for a missing scale-down window (maybeInitScaleDownStabilizationWindow).
func defaulted(b *autoscalingv2.HorizontalPodAutoscalerBehavior) (up, down rulesFor) {
	up = rulesFor{window: 0, selector: autoscalingv2.MaxChangePolicySelect, policies: []autoscalingv2.HPAScalingPolicy{
		{Type: autoscalingv2.PodsScalingPolicy, Value: 4, PeriodSeconds: 15},
		{Type: autoscalingv2.PercentScalingPolicy, Value: 100, PeriodSeconds: 15},
	}}
	down = rulesFor{window: DownscaleStabilizationSeconds, selector: autoscalingv2.MaxChangePolicySelect, policies: []autoscalingv2.HPAScalingPolicy{
		{Type: autoscalingv2.PercentScalingPolicy, Value: 100, PeriodSeconds: 15},
	}}
	apply := func(r *rulesFor, from *autoscalingv2.HPAScalingRules) {
		if from == nil {
			return
		}
		if from.SelectPolicy != nil {
			r.selector = *from.SelectPolicy
		}
		if from.StabilizationWindowSeconds != nil {
			r.window = *from.StabilizationWindowSeconds
		}
		if from.Policies != nil {
			r.policies = from.Policies
		}
	}
	apply(&up, b.ScaleUp)
	apply(&down, b.ScaleDown)
	return up, down
}

type recommendation struct {
	at    int
	value int32
}

type scaleEvent struct {
	at     int
	change int32
}

// controller is the state the real controller keeps per HPA.
type controller struct {
	hpa             HPA
	up, down        rulesFor
	keep            int // seconds of recommendations any window reads
	recommendations []recommendation
	upEvents        []scaleEvent
	downEvents      []scaleEvent
}

func newController(h HPA, steady int32) *controller {
	c := &controller{hpa: h}
	if h.Behavior != nil {
		c.up, c.down = defaulted(h.Behavior)
	}
	// The target has run at steady replicas, recommended at every sync, for
	// longer than any window (at most an hour by the API's validation).
	c.keep = int(max(c.up.window, c.down.window, DownscaleStabilizationSeconds))
	for t := -c.keep - SyncSeconds; t < 0; t += SyncSeconds {
		c.recommendations = append(c.recommendations, recommendation{t, steady})
	}
	return c
}

// Run simulates the controller from a target that has run steadily at
// steady replicas: at each sync t = 0, 15, 30, ... below until seconds it is
// given demand(t) as the raw recommendation. It returns every sync.
func Run(h HPA, steady int32, demand func(second int) int32, until int) []Sync {
	c := newController(h, steady)
	current := steady
	var out []Sync
	for t := 0; t < until; t += SyncSeconds {
		d := demand(t)
		current = c.sync(t, current, d)
		out = append(out, Sync{Second: t, Recommendation: d, Replicas: current})
	}
	return out
}

// Reach simulates a step in demand: the target has run steadily at from
// replicas; at t = 0 (a sync) the metrics start to ask for demand pods and
// keep asking. It returns the first sync at which the controller has set
// replicas ≥ target, with the syncs up to and including it; ok is false
// when that does not happen within MaxSeconds.
func Reach(h HPA, from, demand, target int32) (seconds int, trace []Sync, ok bool) {
	return ReachWithin(h, from, demand, target, MaxSeconds)
}

// ReachWithin is Reach giving up after limit seconds.
func ReachWithin(h HPA, from, demand, target int32, limit int) (seconds int, trace []Sync, ok bool) {
	c := newController(h, from)
	current := from
	if current >= target {
		return 0, []Sync{{0, demand, current}}, true
	}
	for t := 0; t <= limit; t += SyncSeconds {
		current = c.sync(t, current, demand)
		trace = append(trace, Sync{Second: t, Recommendation: demand, Replicas: current})
		if current >= target {
			return t, trace, true
		}
	}
	return 0, trace, false
}

// sync is one reconcile of the controller at second now (reconcileAutoscaler
// from getting the scale on): it returns the replicas the target is left at.
func (c *controller) sync(now int, current, raw int32) int32 {
	h := c.hpa
	var desired int32
	switch {
	case current == 0 && h.MinReplicas != 0:
		return 0 // scaling is disabled for a target at zero
	case current > h.MaxReplicas:
		desired = h.MaxReplicas
	case current < h.MinReplicas:
		desired = h.MinReplicas
	case h.Behavior == nil:
		desired = c.normalizeLegacy(now, current, raw)
	default:
		desired = c.normalizeWithBehaviors(now, current, raw)
	}
	if desired != current {
		c.storeScaleEvent(now, current, desired)
	}
	return desired
}

// normalizeLegacy is normalizeDesiredReplicas: the highest recommendation of
// the downscale window (not older than it), then at most
// max(2 × current, 4) replicas, within min and max.
func (c *controller) normalizeLegacy(now int, current, raw int32) int32 {
	stabilized := raw
	cutoff := now - DownscaleStabilizationSeconds
	for _, r := range c.recommendations {
		if r.at >= cutoff && r.value > stabilized {
			stabilized = r.value
		}
	}
	c.record(now, raw)
	upLimit := int32(math.Max(scaleUpLimitFactor*float64(current), scaleUpLimitMinimum))
	maxAllowed := min(c.hpa.MaxReplicas, upLimit)
	switch {
	case stabilized < c.hpa.MinReplicas:
		return c.hpa.MinReplicas
	case stabilized > maxAllowed:
		return maxAllowed
	}
	return stabilized
}

// normalizeWithBehaviors is normalizeDesiredReplicasWithBehaviors:
// stabilization over the recommendations strictly newer than now − window,
// then the scaling policies, within min and max.
func (c *controller) normalizeWithBehaviors(now int, current, raw int32) int32 {
	// stabilizeRecommendationWithBehaviors: the lowest recommendation of the
	// scale-up window and the highest of the scale-down window bound the
	// result, which stays at current between them.
	upRec, downRec := raw, raw
	upCutoff, downCutoff := now-int(c.up.window), now-int(c.down.window)
	for _, r := range c.recommendations {
		if r.at > upCutoff {
			upRec = min(upRec, r.value)
		}
		if r.at > downCutoff {
			downRec = max(downRec, r.value)
		}
	}
	c.record(now, raw)
	desired := current
	if desired < upRec {
		desired = upRec
	}
	if desired > downRec {
		desired = downRec
	}
	// convertDesiredReplicasWithBehaviorRate.
	switch {
	case desired > current:
		limit := max(c.scaleUpLimit(now, current), current)
		if desired > min(c.hpa.MaxReplicas, limit) {
			return min(c.hpa.MaxReplicas, limit)
		}
	case desired < current:
		limit := min(c.scaleDownLimit(now, current), current)
		if desired < max(c.hpa.MinReplicas, limit) {
			return max(c.hpa.MinReplicas, limit)
		}
	}
	return desired
}

// periodStart is the replicas at the start of a policy's period: current
// less the scale-ups and plus the scale-downs strictly newer than
// now − period (getReplicasChangePerPeriod).
func (c *controller) periodStart(now int, current int32, period int32) int32 {
	cutoff := now - int(period)
	start := current
	for _, e := range c.upEvents {
		if e.at > cutoff {
			start -= e.change
		}
	}
	for _, e := range c.downEvents {
		if e.at > cutoff {
			start += e.change
		}
	}
	return start
}

// scaleUpLimit is calculateScaleUpLimitWithScalingRules.
func (c *controller) scaleUpLimit(now int, current int32) int32 {
	var result int32
	var pick func(a, b int32) int32
	switch c.up.selector {
	case autoscalingv2.DisabledPolicySelect:
		return current
	case autoscalingv2.MinChangePolicySelect:
		result, pick = math.MaxInt32, func(a, b int32) int32 { return min(a, b) }
	default:
		result, pick = math.MinInt32, func(a, b int32) int32 { return max(a, b) }
	}
	for _, p := range c.up.policies {
		start := c.periodStart(now, current, p.PeriodSeconds)
		var proposed int32
		switch p.Type {
		case autoscalingv2.PodsScalingPolicy:
			proposed = start + p.Value
		case autoscalingv2.PercentScalingPolicy:
			proposed = int32(math.Ceil(float64(start) * (1 + float64(p.Value)/100)))
		}
		result = pick(result, proposed)
	}
	return result
}

// scaleDownLimit is calculateScaleDownLimitWithBehaviors.
func (c *controller) scaleDownLimit(now int, current int32) int32 {
	var result int32
	var pick func(a, b int32) int32
	switch c.down.selector {
	case autoscalingv2.DisabledPolicySelect:
		return current
	case autoscalingv2.MinChangePolicySelect:
		result, pick = math.MinInt32, func(a, b int32) int32 { return max(a, b) }
	default:
		result, pick = math.MaxInt32, func(a, b int32) int32 { return min(a, b) }
	}
	for _, p := range c.down.policies {
		start := c.periodStart(now, current, p.PeriodSeconds)
		var proposed int32
		switch p.Type {
		case autoscalingv2.PodsScalingPolicy:
			proposed = start - p.Value
		case autoscalingv2.PercentScalingPolicy:
			proposed = int32(float64(start) * (1 - float64(p.Value)/100))
		}
		result = pick(result, proposed)
	}
	return result
}

// record stores the raw recommendation of the sync at now, dropping those no
// window can reach any more (the controller reuses their slots).
func (c *controller) record(now int, raw int32) {
	keep := now - c.keep
	i := 0
	for i < len(c.recommendations) && c.recommendations[i].at < keep {
		i++
	}
	c.recommendations = append(c.recommendations[i:], recommendation{now, raw})
}

// storeScaleEvent records a rescale; the legacy rule keeps none.
func (c *controller) storeScaleEvent(now int, prev, next int32) {
	if c.hpa.Behavior == nil {
		return
	}
	if next > prev {
		c.upEvents = append(recent(c.upEvents, now-longestPeriod(c.up)), scaleEvent{now, next - prev})
	} else {
		c.downEvents = append(recent(c.downEvents, now-longestPeriod(c.down)), scaleEvent{now, prev - next})
	}
}

// recent drops the events before cutoff (markScaleEventsOutdated).
func recent(events []scaleEvent, cutoff int) []scaleEvent {
	i := 0
	for i < len(events) && events[i].at < cutoff {
		i++
	}
	return events[i:]
}

func longestPeriod(r rulesFor) int {
	var p int32
	for _, pol := range r.policies {
		p = max(p, pol.PeriodSeconds)
	}
	return int(p)
}
