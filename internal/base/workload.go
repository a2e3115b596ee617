package base

import (
	"fmt"
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// The kinds of workload phasegen sizes.
const (
	KindDeployment  = "Deployment"
	KindStatefulSet = "StatefulSet"
)

// Workload is a Deployment or a StatefulSet of the base: what phasegen
// sizes, the same way for both kinds, with what differs between them
// (volume claims, pod names) kept here.
type Workload struct {
	Kind      string // KindDeployment or KindStatefulSet
	Name      string
	Namespace string // as the base declares it ("" when it sets none)
	Labels    map[string]string
	Selector  *metav1.LabelSelector
	Template  *corev1.PodTemplateSpec
	// StatefulSet is the object when Kind is KindStatefulSet.
	StatefulSet *appsv1.StatefulSet
	// Deployment is the object when Kind is KindDeployment.
	Deployment *appsv1.Deployment
	// File is the base's file that declares it ("base/<file>").
	File string
}

// Selects reports whether the workload's selector selects the pods of a
// template labelled l.
func (w *Workload) Selects(l map[string]string) bool {
	sel, err := metav1.LabelSelectorAsSelector(w.PodSelector())
	return err == nil && !sel.Empty() && sel.Matches(labels.Set(l))
}

func statefulSetWorkload(s *appsv1.StatefulSet) *Workload {
	return &Workload{Kind: KindStatefulSet, Name: s.Name, Namespace: s.Namespace, Labels: s.Labels,
		Selector: s.Spec.Selector, Template: &s.Spec.Template, StatefulSet: s}
}

func deploymentWorkload(d *appsv1.Deployment) *Workload {
	return &Workload{Kind: KindDeployment, Name: d.Name, Namespace: d.Namespace, Labels: d.Labels,
		Selector: d.Spec.Selector, Template: &d.Spec.Template, Deployment: d}
}

func (w *Workload) String() string { return w.Kind + " " + w.Name }

// PodSelector is the workload's own selector, or its pod template's labels
// when it has none.
func (w *Workload) PodSelector() *metav1.LabelSelector {
	if w.Selector != nil {
		return w.Selector.DeepCopy()
	}
	return &metav1.LabelSelector{MatchLabels: w.Template.Labels}
}

// SelectorString is the selector's matchLabels as kubectl's -l takes them
// (k=v,k2=v2, sorted by key).
func (w *Workload) SelectorString() string {
	sel := w.PodSelector()
	keys := make([]string, 0, len(sel.MatchLabels))
	for k := range sel.MatchLabels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + sel.MatchLabels[k]
	}
	return strings.Join(parts, ",")
}

// ContainerNames are the names of the pod template's containers, in order.
func (w *Workload) ContainerNames() []string {
	cs := w.Template.Spec.Containers
	out := make([]string, len(cs))
	for i := range cs {
		out[i] = cs[i].Name
	}
	return out
}

// Container returns the container phasegen sizes and watches: the one
// called name when name is set; else the one named like the workload; else
// the only one. Anything else is an error listing the containers: phasegen
// never takes "the first".
func (w *Workload) Container(name string) (*corev1.Container, error) {
	cs := w.Template.Spec.Containers
	have := strings.Join(w.ContainerNames(), ", ")
	if name != "" {
		for i := range cs {
			if cs[i].Name == name {
				return &cs[i], nil
			}
		}
		return nil, fmt.Errorf("%s has no container %q (have: %s)", w, name, have)
	}
	for i := range cs {
		if cs[i].Name == w.Name {
			return &cs[i], nil
		}
	}
	switch len(cs) {
	case 0:
		return nil, fmt.Errorf("%s has no containers", w)
	case 1:
		return &cs[0], nil
	}
	return nil, fmt.Errorf("%s has %d containers (%s) and none is named like it: name the one phasegen sizes and watches", w, len(cs), have)
}

// ClaimTemplates are the StatefulSet's volumeClaimTemplates (none for a
// Deployment).
func (w *Workload) ClaimTemplates() []corev1.PersistentVolumeClaim {
	if w.StatefulSet == nil {
		return nil
	}
	return w.StatefulSet.Spec.VolumeClaimTemplates
}

// StoragePerPod sums the storage requests of the workload's volume claim
// templates: what every pod adds in persistent volumes (0 for a Deployment).
func (w *Workload) StoragePerPod() resource.Quantity {
	var total resource.Quantity
	for _, vct := range w.ClaimTemplates() {
		if q, ok := vct.Spec.Resources.Requests[corev1.ResourceStorage]; ok {
			total.Add(q)
		}
	}
	return total
}

// KeepsVolumesOnScaleDown reports whether the workload keeps the volume
// claims of the pods a scale-down removes: a StatefulSet with claims does
// unless its persistentVolumeClaimRetentionPolicy.whenScaled is Delete (the
// default is Retain), so a peak's volumes stay, and are paid for, until
// someone deletes them.
func (w *Workload) KeepsVolumesOnScaleDown() bool {
	if len(w.ClaimTemplates()) == 0 {
		return false
	}
	p := w.StatefulSet.Spec.PersistentVolumeClaimRetentionPolicy
	return p == nil || p.WhenScaled != appsv1.DeletePersistentVolumeClaimRetentionPolicyType
}

// BaseReplicas is the replicas the base sets, 1 when it sets none (the API
// server's default).
func (w *Workload) BaseReplicas() int32 {
	var n *int32
	if w.Deployment != nil {
		n = w.Deployment.Spec.Replicas
	} else if w.StatefulSet != nil {
		n = w.StatefulSet.Spec.Replicas
	}
	if n == nil {
		return 1
	}
	return *n
}
