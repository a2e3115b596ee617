// Package review compares two versions of a phasegen configuration (the
// configs, the capacity model and the templates base at a git revision, and
// the working tree) environment by environment: whether the kustomize-built
// manifests change, the semantic change (phase, replicas, HPA range, the
// planner's HPA scale-up time and SLO peak, per-pod resources, alert
// thresholds, soak, monthly cost and its delta), the gates a
// promotion would apply (order, immutable fields of StatefulSets and Deployments, objects
// Argo CD must prune) and the unified diff per object. An environment whose
// inputs are byte-identical on both sides is not built at all; the others
// are built on both sides concurrently with kbuild.BuildAll. The reports
// (table, JSON, Markdown PR comment) are in report.go and markdown.go.
package review

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/coditect/phasegen/internal/argocd"
	"github.com/coditect/phasegen/internal/base"
	"github.com/coditect/phasegen/internal/capacity"
	"github.com/coditect/phasegen/internal/config"
	"github.com/coditect/phasegen/internal/diff"
	"github.com/coditect/phasegen/internal/fileset"
	"github.com/coditect/phasegen/internal/gate"
	"github.com/coditect/phasegen/internal/kbuild"
	"github.com/coditect/phasegen/internal/manifest"
	"github.com/coditect/phasegen/internal/overlay"
	"github.com/coditect/phasegen/internal/parallel"
)

// Side is one version of the configuration: the loaded configs and base. A
// nil Config means the side has no configuration at all (every environment
// of the other side is added or removed).
type Side struct {
	Config *config.Set
	Base   *base.Base
}

// Input is one review.
type Input struct {
	// From is the configuration at the base revision, To the proposed one
	// (the working tree).
	From, To Side
	// BaseRev is the base revision's commit id, reported as is.
	BaseRev string
	// Envs restricts the review to these environments (present on either
	// side); empty reviews every environment of both sides.
	Envs []string
	// Overrides name how a promotion lets a refused gate through, for the
	// gates' messages.
	Overrides gate.Overrides
}

// Gate names.
const (
	GateOrder     = "order"
	GateImmutable = "immutable-field"
	// GateStrategy: a workload's rollout strategy leaves RollingUpdate,
	// which the API server refuses until the live rollingUpdate is removed.
	GateStrategy = "strategy-change"
	GateRemoved  = "removed-object"
	GateMoved    = "application-moved"
	// GateHPADropped fires for the HPA of a workload that stays: Argo CD
	// sets its replicas again.
	GateHPADropped = "hpa-dropped"
)

// Report is the outcome of a review, in the JSON shape docs/json.md documents.
type Report struct {
	// App is the app reviewed: the proposed CapacityModel's metadata.name.
	// It is empty for a review of several apps (Combine), whose Apps
	// lists them.
	App          string     `json:"app,omitempty"`
	Apps         []AppCount `json:"apps,omitempty"`
	Base         string     `json:"base"`
	Environments []Env      `json:"environments"`
	Skipped      int        `json:"skipped"`
	// Built counts the kustomize builds run (both sides).
	Built int `json:"-"`
}

// Env is the review of one environment.
type Env struct {
	// App is the app the environment is of.
	App         string    `json:"app"`
	Name        string    `json:"name"`
	Phase       FromTo    `json:"phase"`
	Changed     bool      `json:"changed"`
	MonthlyCost CostDelta `json:"monthlyCost"`
	Gates       []Gate    `json:"gates"`
	Objects     []Object  `json:"objects"`
	// Workloads are the environment's workloads (of either side), each
	// with whether its objects change and its share of the cost.
	Workloads []WorkloadChange `json:"workloads"`
	// Scaling is the planner's HPA simulation on both sides (plan -o
	// json's "scaling"), only when it differs; null on a side without an
	// HPA or without the environment.
	Scaling *ScalingDelta `json:"scaling,omitempty"`
	// Soak is the phase's spec.soak on both sides, only when it differs;
	// null for none.
	Soak *SoakDelta `json:"soak,omitempty"`

	// Added or Removed: the environment exists on one side only.
	Added   bool `json:"-"`
	Removed bool `json:"-"`
	// Skipped: its inputs are byte-identical on both sides; not built.
	Skipped bool `json:"-"`
	// Rows are the semantic changes, from → to, of the fields that differ.
	Rows []Row `json:"-"`
	// Diffs are the unified diffs of the built manifests, one per object.
	Diffs []diff.FileDiff `json:"-"`
	// Runbook says how to apply an immutable-field change or an Application
	// move by hand.
	Runbook string `json:"-"`
	// qualified: the environment is labelled APP/ENV (a review of several
	// apps).
	qualified bool
}

// FromTo is a phase name on each side; nil where the environment does not
// exist.
type FromTo struct {
	From *string `json:"from"`
	To   *string `json:"to"`
}

// ScalingDelta is the planner's scaling of the phase on each side: seconds
// from floor to ceiling and the SLO's peak.
type ScalingDelta struct {
	From *capacity.Scaling `json:"from"`
	To   *capacity.Scaling `json:"to"`
}

// SoakDelta is spec.soak on each side.
type SoakDelta struct {
	From *string `json:"from"`
	To   *string `json:"to"`
}

// Money is a monthly cost range.
type Money = capacity.MinMax[float64]

// CostDelta is the monthly cost on both sides and its change. A side where
// the environment does not exist costs nothing.
type CostDelta struct {
	From  Money `json:"from"`
	To    Money `json:"to"`
	Delta Money `json:"delta"`
}

// Gate is one gate a promotion of the change would apply.
type Gate struct {
	Name    string `json:"name"`
	Message string `json:"message"`
}

// Object is one built object that changes.
type Object struct {
	Kind   string `json:"kind"`
	Name   string `json:"name"`
	Change string `json:"change"` // added, removed or modified
}

// Row is one semantic field on both sides.
type Row struct {
	Field, From, To string
}

// Changes counts the environments whose built manifests change.
func (r *Report) Changes() int {
	n := 0
	for _, e := range r.Environments {
		if e.Changed {
			n++
		}
	}
	return n
}

// Gates counts the gates that fire over every environment.
func (r *Report) Gates() int {
	n := 0
	for _, e := range r.Environments {
		n += len(e.Gates)
	}
	return n
}

// envSide is one environment on one side, resolved.
type envSide struct {
	env   *config.Environment
	phase *config.Phase
	// hpaOwned are the workloads the phase autoscales (the Application
	// leaves their replicas to the HPAs).
	hpaOwned []argocd.Workload
	// inputs digests what rendering it reads of its own (Side.inputsOf).
	inputs [32]byte
}

func (s Side) lookup(name string) (*envSide, error) {
	if s.Config == nil {
		return nil, nil
	}
	e, ok := s.Config.Environment(name)
	if !ok {
		return nil, nil
	}
	p, ok := s.Config.Phase(e.Spec.Phase)
	if !ok {
		return nil, fmt.Errorf("environment %s: phase %q does not exist in %s (have: %s)", name, e.Spec.Phase, s.Config.Dir, strings.Join(s.Config.PhaseNames(), ", "))
	}
	out := &envSide{env: e, phase: p}
	if s.Base != nil {
		out.inputs = s.inputsOf(e, p)
	}
	return out, nil
}

// sameShared reports whether the inputs every environment shares (the
// capacity model and the base) are byte-identical on both sides.
func sameShared(a, b Side) bool {
	if a.Config == nil || b.Config == nil || a.Base == nil || b.Base == nil {
		return false
	}
	if !bytes.Equal(a.Config.Capacity.Source.Raw, b.Config.Capacity.Source.Raw) {
		return false
	}
	return maps.EqualFunc(a.Base.Files, b.Base.Files, bytes.Equal)
}

// sameInputs reports whether everything rendering reads for the environment
// is byte-identical (Side.inputsOf; the shared inputs are compared once, by
// sameShared).
func sameInputs(a, b *envSide) bool { return a.inputs == b.inputs }

// start names e and its phases on each side.
func (e *Env) start(name string, from, to *envSide) {
	e.Name = name
	e.Added, e.Removed = from == nil, to == nil
	if from != nil {
		e.Phase.From = &from.phase.Metadata.Name
	}
	if to != nil {
		e.Phase.To = &to.phase.Metadata.Name
	}
}

// Run reviews in.
func Run(in Input) (*Report, error) {
	if in.To.Config == nil || in.To.Base == nil {
		return nil, errors.New("review: the proposed configuration and base are required")
	}
	names, err := selectNames(in)
	if err != nil {
		return nil, err
	}
	shared := sameShared(in.From, in.To)
	costs := [2]*coster{newCoster(in.From), newCoster(in.To)}
	rep := &Report{Base: in.BaseRev, Environments: make([]Env, len(names))}
	if c := in.To.Config.Capacity; c != nil {
		rep.App = c.Metadata.Name
	}

	type pending struct {
		i        int
		from, to *envSide
	}
	var work []pending
	var jobs []job
	for i, n := range names {
		from, err := in.From.lookup(n)
		if err != nil {
			return nil, fmt.Errorf("at the base revision: %w", err)
		}
		to, err := in.To.lookup(n)
		if err != nil {
			return nil, err
		}
		e := &rep.Environments[i]
		e.start(n, from, to)
		e.App = rep.App
		if err := semantic(e, costs, from, to); err != nil {
			return nil, err
		}
		e.Gates, e.Objects = []Gate{}, []Object{}
		if shared && from != nil && to != nil && sameInputs(from, to) {
			e.Skipped = true
			rep.Skipped++
			continue
		}
		p := pending{i: i, from: from, to: to}
		if from != nil {
			jobs = append(jobs, job{side: 0, es: from})
		}
		if to != nil {
			jobs = append(jobs, job{side: 1, es: to})
		}
		work = append(work, p)
	}

	// Build every side that needs it, on every core.
	renderers := [2]*overlay.Renderer{}
	if in.From.Config != nil && in.From.Base != nil {
		renderers[0] = overlay.NewRenderer(in.From.Config, in.From.Base)
	}
	renderers[1] = overlay.NewRenderer(in.To.Config, in.To.Base)
	if err := setHPAOwned(jobs, renderers); err != nil {
		return nil, err
	}
	built, err := kbuild.BuildAll(len(jobs), func(i int) (kbuild.Job, error) {
		j := jobs[i]
		files, err := renderers[j.side].Overlay(j.es.env, j.es.phase)
		if err != nil {
			return kbuild.Job{}, sideError(j.side, err)
		}
		return kbuild.Job{Files: files, Dir: overlay.EnvDir(j.es.env.Metadata.Name)}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("building: %w", err)
	}
	rep.Built = len(jobs)

	// Compare, object by object, on every core.
	next := 0
	outputs := make([][2][]byte, len(work))
	for k, p := range work {
		if p.from != nil {
			outputs[k][0] = built[next]
			next++
		}
		if p.to != nil {
			outputs[k][1] = built[next]
			next++
		}
	}
	phases := in.To.Config.Phases
	err = parallel.Do(len(work), func(k int) error {
		p := work[k]
		return compare(&rep.Environments[p.i], p.from, p.to, phases, outputs[k][0], outputs[k][1], in.Overrides)
	})
	if err != nil {
		return nil, err
	}
	return rep, nil
}

type job struct {
	side int // 0 base revision, 1 proposed
	es   *envSide
}

func sideError(side int, err error) error {
	if side == 0 {
		return fmt.Errorf("at the base revision: %w", err)
	}
	return err
}

// selectNames returns the environments to review, sorted.
func selectNames(in Input) ([]string, error) {
	all := map[string]bool{}
	for _, s := range []Side{in.From, in.To} {
		if s.Config == nil {
			continue
		}
		for _, e := range s.Config.Environments {
			all[e.Metadata.Name] = true
		}
	}
	if len(in.Envs) == 0 {
		return slices.Sorted(maps.Keys(all)), nil
	}
	seen := map[string]bool{}
	var out []string
	for _, n := range in.Envs {
		if !all[n] {
			return nil, fmt.Errorf("environment %q exists on neither side (have: %s)", n, strings.Join(slices.Sorted(maps.Keys(all)), ", "))
		}
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out, nil
}

// addApplication adds the environment's Argo CD Application, as render
// writes it (less the header line), to its built objects: Argo CD applies
// it beside the manifests, and a change to it (project, sync policy, the
// ignoreDifferences an HPA needs) is a change the review must show. es nil
// (the environment is not on that side) adds nothing.
func addApplication(objs fileset.Set, es *envSide) error {
	if es == nil {
		return nil
	}
	app, err := argocd.NewApp(es.env, es.phase, es.hpaOwned)
	if err != nil {
		return err
	}
	data, err := argocd.Application(es.env, es.phase, es.hpaOwned)
	if err != nil {
		return err
	}
	objs["Application/"+app.Metadata.Name] = data
	return nil
}

// compare fills e from the built manifests of both sides. The gates are
// the promotion's (internal/gate), fed only what changed: the StatefulSets
// whose documents differ are decoded for the immutable-field gate, the
// objects only the base side builds are the ones Argo CD must prune.
func compare(e *Env, from, to *envSide, phases []*config.Phase, fromBuilt, toBuilt []byte, ov gate.Overrides) error {
	// Secret values are masked before anything is compared or shown: a
	// changed value is a changed digest.
	fromMasked, _ := manifest.MaskSecrets(fromBuilt)
	toMasked, _ := manifest.MaskSecrets(toBuilt)
	fromObjs, toObjs := manifest.Split(fromMasked), manifest.Split(toMasked)
	if err := addApplication(fromObjs, from); err != nil {
		return fmt.Errorf("%s at the base revision: %w", e.Name, err)
	}
	if err := addApplication(toObjs, to); err != nil {
		return fmt.Errorf("%s: %w", e.Name, err)
	}
	e.Diffs = diff.Files(fromObjs, toObjs)
	e.Changed = len(e.Diffs) > 0
	for _, d := range e.Diffs {
		kind, name, _ := strings.Cut(d.Path, "/")
		o := Object{Kind: kind, Name: name, Change: string(d.Status)}
		e.Objects = append(e.Objects, o)
		for i := range e.Workloads {
			e.Workloads[i].Changed = e.Workloads[i].Changed || e.Workloads[i].owns(o)
		}
	}
	if from == nil || to == nil {
		return nil // an environment added or removed: no promotion to gate
	}
	if o := gate.Order(e.Name, phases, from.phase, to.phase, false, ov); o.Refusal != "" {
		e.Gates = append(e.Gates, Gate{Name: GateOrder, Message: o.Refusal})
	}
	// A budget that allows no eviction fires when the change makes it so
	// (one that already blocked is what the repository holds, said at
	// render and promote).
	for _, w := range e.Workloads {
		v, was := to.phase.For(w.Name), from.phase.For(w.Name)
		if v == nil {
			continue
		}
		if msg := gate.BlockingBudget(v, w.Name); msg != "" && (was == nil || gate.BlockingBudget(was, w.Name) == "") {
			e.Gates = append(e.Gates, Gate{Name: gate.GateBlockingBudget, Message: msg})
		}
	}
	var removed []manifest.Object
	gated := false // a workload or an HPA changes: the gates read the workloads
	for i, d := range e.Diffs {
		switch k := e.Objects[i].Kind; {
		case d.Status == diff.Removed:
			removed = append(removed, manifest.Object{Kind: k, Name: e.Objects[i].Name})
			gated = true
		case k == "StatefulSet" || k == "Deployment":
			gated = true
		}
	}
	var fromW, toW manifest.Manifests
	if gated {
		var err error
		if fromW, err = workloads(fromObjs); err != nil {
			return fmt.Errorf("%s at the base revision: %w", e.Name, err)
		}
		if toW, err = workloads(toObjs); err != nil {
			return fmt.Errorf("%s: %w", e.Name, err)
		}
	}
	if m := gate.Moved(to.env, from.env.Spec.ArgoCD.ApplicationNamespace(), from.env.ApplicationName()); m != nil {
		e.Gates = append(e.Gates, Gate{Name: GateMoved, Message: m.Message() + "; a promotion needs " + ov.RecreateName() + " and the runbook"})
		e.Runbook += m.Runbook()
	}
	changes := gate.Immutable(fromW, toW)
	for _, c := range changes {
		e.Gates = append(e.Gates, Gate{Name: GateImmutable, Message: c.String() + ": Kubernetes cannot update this field in place; a promotion needs " + ov.RecreateName() + " and the runbook"})
	}
	if len(changes) > 0 {
		e.Runbook += gate.Runbook(to.env, changes)
	}
	strategies := gate.Strategies(fromW, toW)
	for _, c := range strategies {
		e.Gates = append(e.Gates, Gate{Name: GateStrategy, Message: c.String() + "; a promotion needs " + ov.RecreateName() + " and the runbook"})
	}
	e.Runbook += gate.StrategyRunbook(to.env, strategies)
	for _, o := range removed {
		msg := gate.RemovedMessage(o, fromW, toW, from.phase, to.phase)
		if w := gate.PruneWarning(to.env, o); w != "" {
			msg += "; " + w
		}
		name := GateRemoved
		if gate.DroppedHPA(o, toW) {
			name = GateHPADropped
		}
		e.Gates = append(e.Gates, Gate{Name: name, Message: msg})
	}
	return nil
}
