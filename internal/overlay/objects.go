package overlay

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/kustomize/api/types"

	"github.com/coditect/phasegen/internal/autoscaler"
	"github.com/coditect/phasegen/internal/base"
	"github.com/coditect/phasegen/internal/printer"
)

// object is a Kubernetes object without status: what a manifest declares.
type object[S any] struct {
	metav1.TypeMeta `json:",inline"`
	Metadata        metav1.ObjectMeta `json:"metadata"`
	Spec            S                 `json:"spec"`
}

func (r *renderer) hpa() any {
	a := r.phase.Spec.Autoscaling
	minReplicas := a.MinReplicas
	spec := autoscalingv2.HorizontalPodAutoscalerSpec{
		ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{
			APIVersion: "apps/v1",
			Kind:       r.w.Kind,
			Name:       r.workload(),
		},
		MinReplicas: &minReplicas,
		MaxReplicas: a.MaxReplicas,
	}
	// cpu, then memory: the order the HPA controller writes them back in.
	for _, m := range []struct {
		name   corev1.ResourceName
		target *int32
	}{{corev1.ResourceCPU, a.TargetCPUUtilizationPercentage}, {corev1.ResourceMemory, a.TargetMemoryUtilizationPercentage}} {
		if m.target == nil {
			continue
		}
		v := *m.target
		spec.Metrics = append(spec.Metrics, autoscalingv2.MetricSpec{
			Type: autoscalingv2.ResourceMetricSourceType,
			Resource: &autoscalingv2.ResourceMetricSource{
				Name:   m.name,
				Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: &v},
			},
		})
	}
	// The behavior the planner's simulator reads too.
	spec.Behavior = autoscaler.Behavior(a)
	return object[autoscalingv2.HorizontalPodAutoscalerSpec]{
		TypeMeta: metav1.TypeMeta{APIVersion: "autoscaling/v2", Kind: "HorizontalPodAutoscaler"},
		Metadata: r.meta(r.workload() + hpaSuffix),
		Spec:     spec,
	}
}

// pdb is the workload's PodDisruptionBudget: the phase's budget (default
// maxUnavailable: 1) over the workload's own selector.
func (r *renderer) pdb() any {
	spec := policyv1.PodDisruptionBudgetSpec{Selector: r.w.PodSelector()}
	switch b := r.phase.Spec.PDB; {
	case b != nil && b.MinAvailable != nil:
		v := *b.MinAvailable
		spec.MinAvailable = &v
	case b != nil && b.MaxUnavailable != nil:
		v := *b.MaxUnavailable
		spec.MaxUnavailable = &v
	default:
		one := intstr.FromInt32(1)
		spec.MaxUnavailable = &one
	}
	return object[policyv1.PodDisruptionBudgetSpec]{
		TypeMeta: metav1.TypeMeta{APIVersion: "policy/v1", Kind: "PodDisruptionBudget"},
		Metadata: r.meta(r.workload() + pdbSuffix),
		Spec:     spec,
	}
}

// The workload patch is a strategic-merge patch: only the fields it sets
// are written, so its shape is spelled out instead of using the full
// appsv1.StatefulSet or Deployment (whose non-omitempty fields would clear
// the base's).
type workloadPatch struct {
	metav1.TypeMeta `json:",inline"`
	Metadata        patchMeta         `json:"metadata"`
	Spec            workloadPatchSpec `json:"spec"`
}

type patchMeta struct {
	Name        string            `json:"name"`
	Namespace   string            `json:"namespace,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

type workloadPatchSpec struct {
	Replicas *int32 `json:"replicas"`
	Template struct {
		Spec struct {
			Containers []containerPatch `json:"containers"`
		} `json:"spec"`
	} `json:"template"`
}

type containerPatch struct {
	Name      string                      `json:"name"`
	Env       []corev1.EnvVar             `json:"env,omitempty"`
	Resources corev1.ResourceRequirements `json:"resources"`
}

// workloadPatch sets replicas (with an HPA, its floor: the field is never
// dropped, or a sync would take a live workload down to one pod) and the
// sized container's resources; the other containers keep the base's.
func (r *renderer) workloadPatch(res corev1.ResourceRequirements) any {
	replicas := r.phase.MinReplicas()
	p := workloadPatch{
		TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: r.w.Kind},
		// The base's own namespace: a patch matches the object as the base
		// declares it, before the overlay's namespace replaces it.
		Metadata: patchMeta{Name: r.workload(), Namespace: r.w.Namespace},
	}
	p.Spec.Replicas = &replicas
	c := containerPatch{Name: r.w.Container.Name, Resources: res}
	// The phase's variables, by name: a strategic merge replaces the
	// base's of one name and keeps the others.
	for _, k := range slices.Sorted(maps.Keys(r.phase.Spec.Env)) {
		c.Env = append(c.Env, corev1.EnvVar{Name: k, Value: r.phase.Spec.Env[k]})
	}
	p.Spec.Template.Spec.Containers = []containerPatch{c}
	return p
}

// annotationTransformer stamps the phase annotation on the metadata of every
// object the overlay builds to. It is the builtin AnnotationsTransformer with
// one field spec, metadata/annotations, instead of commonAnnotations, whose
// field specs also reach pod templates: that would restart every pod on each
// promotion even when nothing about the pods changed. (It is also far cheaper
// to build than a strategic-merge patch per object.)
func (r *renderer) annotationTransformer() (string, error) {
	t := struct {
		APIVersion  string            `json:"apiVersion"`
		Kind        string            `json:"kind"`
		Metadata    patchMeta         `json:"metadata"`
		Annotations map[string]string `json:"annotations"`
		FieldSpecs  []types.FieldSpec `json:"fieldSpecs"`
	}{
		APIVersion:  "builtin",
		Kind:        "AnnotationsTransformer",
		Metadata:    patchMeta{Name: phaseAnnotationName},
		Annotations: map[string]string{PhaseAnnotation: r.phase.Metadata.Name},
		FieldSpecs:  []types.FieldSpec{{Path: "metadata/annotations", CreateIfNotPresent: true}},
	}
	b, err := printer.Marshal(t)
	return string(b), err
}

// omitFile is the patch that leaves cluster-scoped object o out of an
// environment whose cluster another environment deploys it to.
func omitFile(o base.FileObject) string {
	return "omit-" + strings.ToLower(o.Kind) + "-" + o.Name + ".yaml"
}

// omitPatch deletes o from the build (a strategic merge's $patch: delete):
// owner, another environment on the same cluster, deploys it.
func omitPatch(o base.FileObject, owner string) []byte {
	return []byte(fmt.Sprintf("# %s deploys it to this cluster (spec.ownsClusterScoped)\napiVersion: %s\nkind: %s\nmetadata:\n  name: %s\n$patch: delete\n", owner, o.APIVersion, o.Kind, o.Name))
}
