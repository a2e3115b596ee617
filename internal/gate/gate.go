// Package gate decides whether a promotion may go ahead. Its gates are pure
// functions over the phase an environment is at, the phase it is promoted
// to, the promotion order and the kustomize-built manifests at both phases:
//
//   - order: only the next phase by spec.order, unless skipping is allowed;
//     an earlier phase is a rollback, allowed and flagged;
//   - immutable fields: a change to a StatefulSet's volumeClaimTemplates,
//     serviceName, selector or podManagementPolicy, or to a Deployment's
//     selector, is refused unless recreating is allowed, and comes with a
//     runbook;
//   - rollout strategy: a Deployment's strategy going to Recreate, or a
//     StatefulSet's updateStrategy to OnDelete, is refused unless
//     recreating is allowed (the live rollingUpdate block makes the API
//     server refuse the sync), and comes with a runbook;
//   - Application moved: the Application the target holds in another
//     namespace than spec.argocd.namespace is refused unless recreating is
//     allowed (Argo CD creates a new one and the old one's deletion cascades),
//     and comes with a runbook;
//   - removed objects: an object the promotion stops generating must be
//     pruned by Argo CD, which is warned about (a workload: what happens to
//     its pods and volumes; an HPA: the replicas Argo CD sets instead), more
//     loudly when the Application does not prune.
//
// Every refusal says what to do instead.
package gate

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/coditect/phasegen/internal/config"
	"github.com/coditect/phasegen/internal/manifest"
)

// Input is what Check looks at.
type Input struct {
	// Env is the environment promoted (name, namespace, Argo CD settings).
	Env *config.Environment
	// Phases are all phases, in promotion order.
	Phases []*config.Phase
	// From is the phase the target holds; nil on a first promotion, when the
	// order gate does not apply.
	From *config.Phase
	// To is the phase promoted to.
	To *config.Phase
	// FromBuilt and ToBuilt are the kustomize-built manifests (a YAML
	// stream) at From (as the target holds it; nil when there is nothing
	// yet) and at To.
	FromBuilt, ToBuilt []byte
	// FromAppNamespace is the metadata.namespace of the Application the
	// target holds for Env; "" when it holds none (a first promotion), when
	// the move gate does not apply.
	FromAppNamespace string
	// FromAppName is the name of that Application; "" when it holds none or
	// its name is not known (then the name is taken as unchanged).
	FromAppName string
	// AllowSkip lets a promotion go past the next phase.
	AllowSkip bool
	// AllowRecreate lets a promotion change a StatefulSet's immutable
	// fields, or move the Application to another namespace.
	AllowRecreate bool
	// Overrides name AllowSkip and AllowRecreate as the caller's users set
	// them, for the refusals and warnings to quote.
	Overrides Overrides
}

// Overrides say how the caller lets a refused gate through, in its own
// terms (the command line's flags); the gates quote them. An empty one
// reads as "the override".
type Overrides struct {
	Skip, Recreate string
	// Early lets a forward promotion through before the current phase's
	// soak has passed (promote's own check, not a gate's).
	Early string
	// TakeOver lets a promotion move an environment out of the previous
	// layout although the tree held declares workloads its base does not.
	TakeOver string
}

// TakeOverName is how the override to take a previous-layout tree over is
// named.
func (o Overrides) TakeOverName() string { return orOverride(o.TakeOver, "to take the tree over") }

func (o Overrides) skip() string     { return orOverride(o.Skip, "to skip phases") }
func (o Overrides) recreate() string { return orOverride(o.Recreate, "to recreate") }

// RecreateName is how the override to recreate is named.
func (o Overrides) RecreateName() string { return o.recreate() }

// EarlyName is how the override to promote before the soak ends is named.
func (o Overrides) EarlyName() string { return orOverride(o.Early, "to promote early") }

func orOverride(name, what string) string {
	if name == "" {
		return "the override " + what
	}
	return name
}

// Report is the outcome of the gates.
type Report struct {
	// Refusals say why the promotion may not go ahead and what to do.
	Refusals []string
	// Warnings go ahead with the promotion, on stderr and in the PR.
	Warnings []string
	// Rollback is set when To comes before From in promotion order.
	Rollback bool
	// Changes are the immutable fields (StatefulSets', Deployments' selectors) the promotion changes.
	Changes []FieldChange
	// Strategies are the workloads whose rollout strategy leaves
	// RollingUpdate, which the sync cannot apply alone.
	Strategies []StrategyChange
	// Runbook, set when Changes is not empty, says how to apply them by hand.
	Runbook string
	// StrategyRunbook, set when Strategies is not empty, says how to let
	// the sync through.
	StrategyRunbook string
	// Removed are the objects the promotion stops generating.
	Removed []manifest.Object
	// Move is set when the Application changes namespace.
	Move *Move
	// MoveRunbook, set with Move, says how to move it safely.
	MoveRunbook string
}

// RefusedError is returned by Report.Err when a gate refuses.
type RefusedError struct {
	Reasons []string
}

func (e *RefusedError) Error() string {
	if len(e.Reasons) == 1 {
		return "promotion refused: " + e.Reasons[0]
	}
	return "promotion refused:\n- " + strings.Join(e.Reasons, "\n- ")
}

// Err returns a *RefusedError when a gate refused, else nil.
func (r Report) Err() error {
	if len(r.Refusals) == 0 {
		return nil
	}
	return &RefusedError{Reasons: append([]string(nil), r.Refusals...)}
}

// IsRefused reports whether err is (or wraps) a gate refusal.
func IsRefused(err error) bool {
	var re *RefusedError
	return errors.As(err, &re)
}

// Check runs every gate. It returns an error only when the built manifests
// cannot be read; refusals are in the Report.
func Check(in Input) (Report, error) {
	var r Report
	if in.Env == nil || in.To == nil {
		return r, errors.New("gate: environment and target phase are required")
	}
	env := in.Env.Metadata.Name
	o := Order(env, in.Phases, in.From, in.To, in.AllowSkip, in.Overrides)
	if o.Refusal != "" {
		r.Refusals = append(r.Refusals, o.Refusal)
	}
	if o.Warning != "" {
		r.Warnings = append(r.Warnings, o.Warning)
	}
	r.Rollback = o.Rollback

	from, err := manifest.Decode(in.FromBuilt, manifest.Lenient)
	if err != nil {
		return r, fmt.Errorf("gate: manifests at the current phase: %w", err)
	}
	to, err := manifest.Decode(in.ToBuilt, manifest.Lenient)
	if err != nil {
		return r, fmt.Errorf("gate: manifests at %s: %w", in.To.Metadata.Name, err)
	}

	for _, w := range workloadNames(to) {
		if v := in.To.For(w); v != nil {
			if msg := BlockingBudget(v, w); msg != "" {
				r.Warnings = append(r.Warnings, msg)
			}
		}
	}

	r.Changes = Immutable(from, to)
	if len(r.Changes) > 0 {
		r.Runbook = Runbook(in.Env, r.Changes)
		if in.AllowRecreate {
			r.Warnings = append(r.Warnings, fmt.Sprintf(
				"immutable fields change (%s given): %s; follow the runbook before syncing, or the sync fails",
				in.Overrides.recreate(), describeChanges(r.Changes)))
		} else {
			r.Refusals = append(r.Refusals, fmt.Sprintf(
				"%s: Kubernetes cannot update these fields in place; follow the runbook below and pass %s, or keep the fields as they are in templates/base\n%s",
				describeChanges(r.Changes), in.Overrides.recreate(), r.Runbook))
		}
	}

	checkStrategies(&r, in, from, to)

	if m := Moved(in.Env, in.FromAppNamespace, in.FromAppName); m != nil {
		r.Move, r.MoveRunbook = m, m.Runbook()
		if in.AllowRecreate {
			r.Warnings = append(r.Warnings, m.Message()+" ("+in.Overrides.recreate()+" given): follow the runbook before merging")
		} else {
			r.Refusals = append(r.Refusals, fmt.Sprintf(
				"%s: follow the runbook below and pass %s, or %s\n%s",
				m.Message(), in.Overrides.recreate(), m.undo(), r.MoveRunbook))
		}
	}

	r.Removed = manifest.Removed(from.Objects, to.Objects)
	for _, obj := range r.Removed {
		r.Warnings = append(r.Warnings, RemovedMessage(obj, from, to, in.From, in.To))
		if w := PruneWarning(in.Env, obj); w != "" {
			r.Warnings = append(r.Warnings, w)
		}
	}
	return r, nil
}

// workloadNames are the StatefulSets' and Deployments' names of m, sorted.
func workloadNames(m manifest.Manifests) []string {
	var out []string
	for n := range m.StatefulSets {
		out = append(out, n)
	}
	for n := range m.Deployments {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// checkStrategies refuses (or, with AllowRecreate, warns of) a rollout
// strategy leaving RollingUpdate, and adds its runbook.
func checkStrategies(r *Report, in Input, from, to manifest.Manifests) {
	r.Strategies = Strategies(from, to)
	if len(r.Strategies) == 0 {
		return
	}
	runbook := StrategyRunbook(in.Env, r.Strategies)
	r.StrategyRunbook = runbook
	var msgs []string
	for _, c := range r.Strategies {
		msgs = append(msgs, c.String())
	}
	if in.AllowRecreate {
		r.Warnings = append(r.Warnings, fmt.Sprintf("%s (%s given): follow the runbook before syncing, or the sync fails",
			strings.Join(msgs, "; "), in.Overrides.recreate()))
		return
	}
	r.Refusals = append(r.Refusals, fmt.Sprintf("%s: follow the runbook below and pass %s, or keep the strategy as it is in templates/base\n%s",
		strings.Join(msgs, "; "), in.Overrides.recreate(), runbook))
}

// firstOrder is the order gate of a first promotion.
func firstOrder(env string, phases []*config.Phase, to *config.Phase, allowSkip bool, ov Overrides) OrderResult {
	if len(phases) == 0 || phases[0].Spec.Order >= to.Spec.Order {
		return OrderResult{}
	}
	first := phases[0].Metadata.Name
	if allowSkip {
		return OrderResult{Warning: fmt.Sprintf("%s's first promotion goes to %s, not to %s, the first phase (%s given): Argo CD's first sync takes the running app over and changes it in one step",
			env, to.Metadata.Name, first, ov.skip())}
	}
	return OrderResult{Refusal: fmt.Sprintf(
		"%s's first promotion lands %s, the first phase (the one an environment runs at when phasegen takes it over), not %s: Argo CD's first sync takes the running app over, so changing it in the same step hides the change in the adoption; promote to %s, merge and sync it, then to the next phase, or pass %s",
		env, first, to.Metadata.Name, first, ov.skip())}
}

// OrderResult is the outcome of the order gate.
type OrderResult struct {
	Refusal  string // non-empty when refused
	Warning  string // non-empty for a rollback or a skip that was allowed
	Rollback bool
}

// Order is the order gate: env at from may go to to when to is from's next
// phase by spec.order, or any later phase when allowSkip; an earlier phase
// is a rollback, allowed with a warning; the same phase rewrites the files
// of that phase. A first promotion (from nil) lands the first phase, the
// one an environment runs at when phasegen adopts it (init writes it):
// Argo CD's first sync takes the running app over, and changing it in the
// same step is a skip.
func Order(env string, phases []*config.Phase, from, to *config.Phase, allowSkip bool, ov Overrides) OrderResult {
	if to == nil {
		return OrderResult{}
	}
	if from == nil {
		return firstOrder(env, phases, to, allowSkip, ov)
	}
	fn, tn := from.Metadata.Name, to.Metadata.Name
	switch {
	case to.Spec.Order == from.Spec.Order:
		return OrderResult{}
	case to.Spec.Order < from.Spec.Order:
		return OrderResult{Rollback: true, Warning: fmt.Sprintf(
			"rollback: %s goes back from %s (order %d) to %s (order %d); check the checklist of %s still holds before merging",
			env, fn, from.Spec.Order, tn, to.Spec.Order, tn)}
	}
	var next *config.Phase
	var skipped []string
	for _, p := range phases {
		if p.Spec.Order <= from.Spec.Order || p.Spec.Order >= to.Spec.Order {
			continue
		}
		if next == nil {
			next = p
		}
		skipped = append(skipped, p.Metadata.Name)
	}
	if next == nil {
		return OrderResult{}
	}
	if allowSkip {
		return OrderResult{Warning: fmt.Sprintf("%s skips %s on its way from %s to %s (%s given)",
			env, strings.Join(skipped, ", "), fn, tn, ov.skip())}
	}
	return OrderResult{Refusal: fmt.Sprintf(
		"%s is at %s and %s is not the next phase (it would skip %s): promote to %s first, or pass %s",
		env, fn, tn, strings.Join(skipped, ", "), next.Metadata.Name, ov.skip())}
}
