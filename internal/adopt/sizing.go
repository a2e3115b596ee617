package adopt

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/coditect/phasegen/internal/base"
)

// ContainerError is a workload whose container phasegen cannot know, or a
// container named for a workload the inputs lack: the caller says how to
// name one.
type ContainerError struct {
	Workload string
	Err      error
}

func (e *ContainerError) Error() string { return e.Err.Error() }
func (e *ContainerError) Unwrap() error { return e.Err }

// sizing is how the inputs run one workload: what the phase says of it.
type sizing struct {
	name, container string
	skip            bool // managed: false (init --skip): left as the inputs have it
	replicas        int32
	hpa             *autoscalingv2.HorizontalPodAutoscalerSpec
	resources       corev1.ResourceRequirements
	pdb             *policyv1.PodDisruptionBudgetSpec
}

// sizings reads each workload's replicas, container resources, HPA and PDB.
// A PDB that selects one workload's pods becomes its phase's budget; one
// that selects no workload's passes through to the base; one that selects
// several workloads' pods, or workloads whose selectors overlap, are
// refused: each would leave pods under two budgets, which the eviction API
// refuses to evict.
func (o *Options) sizings(b *base.Base, in inputs, r *Result) ([]sizing, error) {
	for _, w := range slices.Sorted(maps.Keys(o.Containers)) {
		if _, ok := b.Workloads[w]; !ok && !o.Update {
			return nil, &ContainerError{Workload: w, Err: fmt.Errorf("a container is named for %s, which is no Deployment or StatefulSet among the inputs (have: %s)", w, strings.Join(b.WorkloadNames(), ", "))}
		}
	}
	for _, w := range o.Skip {
		if _, ok := b.Workloads[w]; !ok && !o.Update {
			return nil, fmt.Errorf("--skip %s: no Deployment or StatefulSet of that name among the inputs (have: %s)", w, strings.Join(b.WorkloadNames(), ", "))
		}
	}
	if len(o.Skip) == len(b.WorkloadNames()) && !o.Update {
		return nil, fmt.Errorf("every workload is skipped: phasegen would have nothing to size")
	}
	if err := overlapping(b); err != nil {
		return nil, err
	}
	pdbs, err := budgets(b, in.pdbs, r, o.Skip)
	if err != nil {
		return nil, err
	}
	var out []sizing
	for _, name := range b.WorkloadNames() {
		w := b.Workloads[name]
		if slices.Contains(o.Skip, name) {
			if ob, ok := in.hpas[name]; ok {
				r.Notes = append(r.Notes, fmt.Sprintf("passed through %s as it is: it scales %s, which phasegen leaves alone", ob, name))
				r.passed = append(r.passed, ob)
			}
			out = append(out, sizing{name: name, skip: true})
			continue
		}
		c, err := w.Container(o.Containers[name])
		if err != nil && o.Update && len(w.Template.Spec.Containers) > 0 {
			// The configuration answers it, or its check asks.
			c, err = &w.Template.Spec.Containers[0], nil
		}
		if err != nil {
			return nil, &ContainerError{Workload: name, Err: err}
		}
		s := sizing{name: name, container: c.Name, replicas: 1, resources: c.Resources, pdb: pdbs[name]}
		if n := replicasOf(w); n != nil {
			s.replicas = *n
		}
		if ob, ok := in.hpas[name]; ok {
			if s.hpa, err = hpaSpec(ob, r); err != nil {
				return nil, err
			}
		}
		out = append(out, s)
	}
	return out, nil
}

func replicasOf(w *base.Workload) *int32 {
	if w.Deployment != nil {
		return w.Deployment.Spec.Replicas
	}
	return w.StatefulSet.Spec.Replicas
}

// overlapping refuses two workloads of which one's selector selects the
// other's pods.
func overlapping(b *base.Base) error {
	for _, a := range b.WorkloadNames() {
		wa := b.Workloads[a]
		sel, err := metav1.LabelSelectorAsSelector(wa.PodSelector())
		if err != nil {
			return fmt.Errorf("%s: spec.selector: %w", wa, err)
		}
		for _, other := range b.WorkloadNames() {
			wb := b.Workloads[other]
			if other != a && sel.Matches(labels.Set(wb.Template.Labels)) {
				return fmt.Errorf("%s's selector (%s) also selects the pods of %s: phasegen writes a PodDisruptionBudget per workload over its selector, so %s's pods would be under two budgets and the eviction API would refuse to evict them (every node drain would block); give each workload a label of its own in its selector and pod template", wa, sel, wb, wb.Name)
			}
		}
	}
	return nil
}

// budgets gives each workload the PDB that selects its pods, by workload;
// a PDB selecting no workload's pods passes through (noted), one
// selecting several is refused.
func budgets(b *base.Base, pdbs []object, r *Result, skip []string) (map[string]*policyv1.PodDisruptionBudgetSpec, error) {
	out := map[string]*policyv1.PodDisruptionBudgetSpec{}
	from := map[string]object{}
	for _, ob := range pdbs {
		var pdb policyv1.PodDisruptionBudget
		if err := typed(ob, &pdb); err != nil {
			return nil, err
		}
		var selected []string
		if sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector); err == nil && pdb.Spec.Selector != nil {
			for _, name := range b.WorkloadNames() {
				if sel.Matches(labels.Set(b.Workloads[name].Template.Labels)) {
					selected = append(selected, name)
				}
			}
		}
		switch {
		case len(selected) > 1:
			return nil, fmt.Errorf("%s (%s) selects the pods of %s: phasegen writes one PodDisruptionBudget per workload, and a pod under two budgets cannot be evicted (every node drain would block); split it into one budget per workload, or leave it out of the inputs", ob, ob.source, strings.Join(selected, " and "))
		case len(selected) == 0:
			r.Notes = append(r.Notes, fmt.Sprintf("passed through %s as it is: it selects none of the workloads' pods", ob))
			r.passed = append(r.passed, ob)
			continue
		}
		w := selected[0]
		if slices.Contains(skip, w) {
			r.Notes = append(r.Notes, fmt.Sprintf("passed through %s as it is: it selects the pods of %s, which phasegen leaves alone", ob, w))
			r.passed = append(r.passed, ob)
			continue
		}
		if prev, ok := from[w]; ok {
			return nil, fmt.Errorf("%s and %s both select the pods of %s: keep one (a pod under two budgets cannot be evicted)", prev, ob, w)
		}
		from[w] = ob
		spec := pdb.Spec
		out[w] = &spec
		r.Notes = append(r.Notes, fmt.Sprintf("%s: its budget is the phase's pdb of %s; phasegen writes %s-pdb", ob, w, w))
	}
	return out, nil
}

// typed decodes an input object into a Kubernetes type.
func typed(ob object, into any) error {
	js, err := sigsyaml.Marshal(ob.doc)
	if err == nil {
		err = sigsyaml.Unmarshal(js, into)
	}
	if err != nil {
		return fmt.Errorf("input %s: %s: %w", ob.source, ob, err)
	}
	return nil
}

// hpaSpec reads an HPA (autoscaling/v2, or v1's CPU target) as a phase can
// hold it: CPU and memory utilization targets and, per direction, one Pods
// policy; anything else is refused, naming the field. What the API server
// fills in (minReplicas 1, a CPU target of 80% when none is given, the
// default rules of a direction left out of behavior) reads as left out.
func hpaSpec(ob object, r *Result) (*autoscalingv2.HorizontalPodAutoscalerSpec, error) {
	refuse := func(what string) error {
		return fmt.Errorf("%s (%s): %s, which a phase cannot hold (it holds CPU and memory utilization targets and, per direction, one Pods policy); change the HPA or leave it out of the inputs", ob, ob.source, what)
	}
	spec, err := hpaV2(ob)
	if err != nil {
		return nil, err
	}
	if spec.MinReplicas != nil && *spec.MinReplicas < 1 {
		return nil, refuse(fmt.Sprintf("spec.minReplicas is %d (scaling to zero needs the HPAScaleToZero feature gate)", *spec.MinReplicas))
	}
	if len(spec.Metrics) == 0 {
		spec.Metrics = []autoscalingv2.MetricSpec{utilization(corev1.ResourceCPU, defaultCPUUtilization)}
		r.Notes = append(r.Notes, fmt.Sprintf("%s sets no target: the phase holds the API server's default, %d%% CPU", ob, defaultCPUUtilization))
	}
	for i, m := range spec.Metrics {
		if m.Type != autoscalingv2.ResourceMetricSourceType || m.Resource == nil || m.Resource.Target.Type != autoscalingv2.UtilizationMetricType ||
			(m.Resource.Name != corev1.ResourceCPU && m.Resource.Name != corev1.ResourceMemory) || m.Resource.Target.AverageUtilization == nil {
			return nil, refuse(fmt.Sprintf("spec.metrics[%d] is not a CPU or memory utilization target", i))
		}
	}
	if b := spec.Behavior; b != nil {
		if equalRules(b.ScaleUp, defaultScaleUp()) {
			b.ScaleUp = nil
		}
		if equalRules(b.ScaleDown, defaultScaleDown()) {
			b.ScaleDown = nil
		}
		for _, d := range []struct {
			name  string
			rules *autoscalingv2.HPAScalingRules
		}{{"scaleUp", b.ScaleUp}, {"scaleDown", b.ScaleDown}} {
			if r := d.rules; r != nil && (len(r.Policies) != 1 || r.Policies[0].Type != autoscalingv2.PodsScalingPolicy ||
				(r.SelectPolicy != nil && *r.SelectPolicy != autoscalingv2.MaxChangePolicySelect)) {
				return nil, refuse("spec.behavior." + d.name + " is not a single Pods policy")
			}
		}
		if b.ScaleUp == nil && b.ScaleDown == nil {
			spec.Behavior = nil
		}
	}
	return spec, nil
}

// hpaV2 reads an HPA of autoscaling/v1 or v2 as v2's spec.
func hpaV2(ob object) (*autoscalingv2.HorizontalPodAutoscalerSpec, error) {
	if v, _ := ob.doc["apiVersion"].(string); v == "autoscaling/v1" {
		var h autoscalingv1.HorizontalPodAutoscaler
		if err := typed(ob, &h); err != nil {
			return nil, err
		}
		spec := &autoscalingv2.HorizontalPodAutoscalerSpec{MinReplicas: h.Spec.MinReplicas, MaxReplicas: h.Spec.MaxReplicas}
		if t := h.Spec.TargetCPUUtilizationPercentage; t != nil {
			spec.Metrics = []autoscalingv2.MetricSpec{utilization(corev1.ResourceCPU, *t)}
		}
		return spec, nil
	}
	var h autoscalingv2.HorizontalPodAutoscaler
	if err := typed(ob, &h); err != nil {
		return nil, err
	}
	return &h.Spec, nil
}

// defaultCPUUtilization is the target the API server gives an HPA without
// metrics (autoscaling.DefaultCPUUtilization).
const defaultCPUUtilization = 80

// defaultScaleUp and defaultScaleDown are the rules the API server fills in
// for a direction behavior leaves out (k8s.io/kubernetes
// pkg/apis/autoscaling/v2/defaults.go): a kubectl get -o yaml export
// carries them.
func defaultScaleUp() *autoscalingv2.HPAScalingRules {
	zero, max := int32(0), autoscalingv2.MaxChangePolicySelect
	return &autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: &zero, SelectPolicy: &max, Policies: []autoscalingv2.HPAScalingPolicy{
		{Type: autoscalingv2.PodsScalingPolicy, Value: 4, PeriodSeconds: 15},
		{Type: autoscalingv2.PercentScalingPolicy, Value: 100, PeriodSeconds: 15},
	}}
}

func defaultScaleDown() *autoscalingv2.HPAScalingRules {
	max := autoscalingv2.MaxChangePolicySelect
	return &autoscalingv2.HPAScalingRules{SelectPolicy: &max, Policies: []autoscalingv2.HPAScalingPolicy{
		{Type: autoscalingv2.PercentScalingPolicy, Value: 100, PeriodSeconds: 15},
	}}
}

// equalRules reports whether a is exactly b (a nil window is the
// controller's default, so only another nil equals it).
func equalRules(a, b *autoscalingv2.HPAScalingRules) bool {
	if a == nil || b == nil {
		return a == b
	}
	eq := func(x, y *int32) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
	sp := func(x *autoscalingv2.ScalingPolicySelect) autoscalingv2.ScalingPolicySelect {
		if x == nil {
			return autoscalingv2.MaxChangePolicySelect
		}
		return *x
	}
	return eq(a.StabilizationWindowSeconds, b.StabilizationWindowSeconds) && sp(a.SelectPolicy) == sp(b.SelectPolicy) &&
		slices.Equal(a.Policies, b.Policies) && a.Tolerance == nil
}

func utilization(name corev1.ResourceName, v int32) autoscalingv2.MetricSpec {
	return autoscalingv2.MetricSpec{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
		Name: name, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: &v}}}
}
