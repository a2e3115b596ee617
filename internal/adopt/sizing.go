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

// inputs are the objects sorted by what becomes of them.
type inputs struct {
	base []object          // what templates/base holds
	hpas map[string]object // a workload's HPA, by workload: the phase carries it
	pdbs []object          // PodDisruptionBudgets: a workload's goes into the phase
}

// classify sorts the inputs: HPAs leave the base (phasegen renders them); an
// HPA targeting nothing among the inputs is skipped; PDBs wait for the
// workloads to be known; the rest is the base. What is skipped or passed
// through is noted.
func classify(objs []object, r *Result) (inputs, error) {
	in := inputs{hpas: map[string]object{}}
	workloads := map[string]string{}
	for _, ob := range objs {
		if k := ob.kind(); k == base.KindDeployment || k == base.KindStatefulSet {
			workloads[ob.name()] = k
		}
	}
	if len(workloads) == 0 {
		return in, fmt.Errorf("the inputs hold no Deployment or StatefulSet: phasegen sizes those, so name the manifests that declare them")
	}
	var passed []string
	for _, ob := range objs {
		if clean(ob) {
			r.Notes = append(r.Notes, fmt.Sprintf("%s: dropped what the cluster adds (status, uid, resourceVersion, managedFields, last-applied-configuration)", ob))
		}
		switch ob.kind() {
		case "HorizontalPodAutoscaler":
			spec, _ := ob.doc["spec"].(map[string]any)
			ref, _ := spec["scaleTargetRef"].(map[string]any)
			kind, _ := ref["kind"].(string)
			name, _ := ref["name"].(string)
			if workloads[name] == "" || workloads[name] != kind {
				r.Notes = append(r.Notes, fmt.Sprintf("skipped %s: it targets %s/%s, which is not among the inputs", ob, kind, name))
				continue
			}
			if prev, ok := in.hpas[name]; ok {
				return in, fmt.Errorf("%s and %s both scale %s %s: keep one", prev, ob, kind, name)
			}
			in.hpas[name] = ob
		case "PodDisruptionBudget":
			in.pdbs = append(in.pdbs, ob)
		case base.KindDeployment, base.KindStatefulSet:
			in.base = append(in.base, ob)
		default:
			in.base = append(in.base, ob)
			passed = append(passed, ob.String())
		}
	}
	if len(passed) > 0 {
		slices.Sort(passed)
		r.Notes = append(r.Notes, "passed through to the base as they are: "+strings.Join(passed, ", "))
	}
	return in, nil
}

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
	replicas        int32
	hpa             *autoscalingv2.HorizontalPodAutoscalerSpec
	resources       corev1.ResourceRequirements
	pdb             *policyv1.PodDisruptionBudgetSpec
}

// sizings reads each workload's replicas, container resources, HPA and PDB;
// a PDB of no workload passes through to the base.
func (o *Options) sizings(b *base.Base, in inputs, r *Result) ([]sizing, error) {
	for _, w := range slices.Sorted(maps.Keys(o.Containers)) {
		if _, ok := b.Workloads[w]; !ok {
			return nil, &ContainerError{Workload: w, Err: fmt.Errorf("a container is named for %s, which is no Deployment or StatefulSet among the inputs (have: %s)", w, strings.Join(b.WorkloadNames(), ", "))}
		}
	}
	var out []sizing
	pdbs := slices.Clone(in.pdbs)
	for _, name := range b.WorkloadNames() {
		w := b.Workloads[name]
		c, err := w.Container(o.Containers[name])
		if err != nil {
			return nil, &ContainerError{Workload: name, Err: err}
		}
		s := sizing{name: name, container: c.Name, replicas: 1, resources: c.Resources}
		if n := replicasOf(w); n != nil {
			s.replicas = *n
		}
		if ob, ok := in.hpas[name]; ok {
			if s.hpa, err = hpaSpec(ob); err != nil {
				return nil, err
			}
		}
		s.pdb, pdbs, err = pdbOf(w, pdbs, r)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	if len(pdbs) > 0 {
		return nil, fmt.Errorf("%s selects none of the workloads' pods alone: phasegen writes each workload's PodDisruptionBudget, so remove it from the inputs or keep it outside phasegen's base", pdbs[0])
	}
	return out, nil
}

func replicasOf(w *base.Workload) *int32 {
	if w.Deployment != nil {
		return w.Deployment.Spec.Replicas
	}
	return w.StatefulSet.Spec.Replicas
}

// pdbOf takes from pdbs the PodDisruptionBudget whose selector is w's own:
// its budget goes into the phase, the object leaves the base.
func pdbOf(w *base.Workload, pdbs []object, r *Result) (*policyv1.PodDisruptionBudgetSpec, []object, error) {
	for i, ob := range pdbs {
		var pdb policyv1.PodDisruptionBudget
		if err := typed(ob, &pdb); err != nil {
			return nil, pdbs, err
		}
		sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
		if err != nil || pdb.Spec.Selector == nil || !sel.Matches(labels.Set(w.Template.Labels)) {
			continue
		}
		r.Notes = append(r.Notes, fmt.Sprintf("%s: its budget is the phase's pdb of %s; phasegen writes %s-pdb", ob, w.Name, w.Name))
		return &pdb.Spec, slices.Delete(slices.Clone(pdbs), i, i+1), nil
	}
	return nil, pdbs, nil
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
// policy; anything else is refused, naming the field.
func hpaSpec(ob object) (*autoscalingv2.HorizontalPodAutoscalerSpec, error) {
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
	refuse := func(what string) error {
		return fmt.Errorf("%s (%s): %s, which a phase cannot hold (it holds CPU and memory utilization targets and, per direction, one Pods policy); change the HPA or leave it out of the inputs", ob, ob.source, what)
	}
	for i, m := range h.Spec.Metrics {
		if m.Type != autoscalingv2.ResourceMetricSourceType || m.Resource == nil || m.Resource.Target.Type != autoscalingv2.UtilizationMetricType ||
			(m.Resource.Name != corev1.ResourceCPU && m.Resource.Name != corev1.ResourceMemory) {
			return nil, refuse(fmt.Sprintf("spec.metrics[%d] is not a CPU or memory utilization target", i))
		}
	}
	if b := h.Spec.Behavior; b != nil {
		for _, d := range []struct {
			name  string
			rules *autoscalingv2.HPAScalingRules
		}{{"scaleUp", b.ScaleUp}, {"scaleDown", b.ScaleDown}} {
			if r := d.rules; r != nil && (len(r.Policies) != 1 || r.Policies[0].Type != autoscalingv2.PodsScalingPolicy ||
				(r.SelectPolicy != nil && *r.SelectPolicy != autoscalingv2.MaxChangePolicySelect)) {
				return nil, refuse("spec.behavior." + d.name + " is not a single Pods policy")
			}
		}
	}
	return &h.Spec, nil
}

func utilization(name corev1.ResourceName, v int32) autoscalingv2.MetricSpec {
	return autoscalingv2.MetricSpec{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
		Name: name, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: &v}}}
}
