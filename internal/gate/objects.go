package gate

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/coditect/phasegen/internal/manifest"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The immutable fields of a StatefulSet spec the gate watches (of a
// Deployment's, the selector).
const (
	FieldVolumeClaimTemplates = "volumeClaimTemplates"
	FieldServiceName          = "serviceName"
	FieldSelector             = "selector"
	FieldPodManagementPolicy  = "podManagementPolicy"
)

// FieldChange is one immutable field of a StatefulSet or Deployment that
// differs.
type FieldChange struct {
	Kind      string // StatefulSet or Deployment
	Workload  string
	Namespace string
	Field     string // one of the Field constants
	From, To  string // short descriptions of the values
	// Resizes are the volume claim templates whose storage request changes
	// (Field volumeClaimTemplates only).
	Resizes []Resize
	// OldSelector is a Deployment's selector before the change, as kubectl
	// -l takes it; Adopts says whether the new selector matches the old
	// pods' labels, so that the Deployment made again adopts their
	// ReplicaSet (Field selector of a Deployment only).
	OldSelector string
	Adopts      bool
}

// Resize is a volume claim template whose storage request changes.
type Resize struct {
	Claim    string // template name, e.g. "workspace"
	From, To string // quantities, e.g. "50Gi"
}

func (c FieldChange) String() string {
	return fmt.Sprintf("%s %s: spec.%s changes from %s to %s", c.Kind, c.Workload, c.Field, c.From, c.To)
}

// Immutable compares the StatefulSets and the Deployments present at both
// phases (by name) and returns their immutable fields that differ:
// StatefulSets first, sorted by name then field, then Deployments. A
// workload present on one side only changes nothing in place.
func Immutable(from, to manifest.Manifests) []FieldChange {
	return append(statefulSetChanges(from.StatefulSets, to.StatefulSets), deploymentChanges(from.Deployments, to.Deployments)...)
}

// deploymentChanges are the selector changes of the Deployments on both
// sides, sorted by name.
func deploymentChanges(from, to map[string]*appsv1.Deployment) []FieldChange {
	var out []FieldChange
	for _, n := range slices.Sorted(maps.Keys(from)) {
		b, ok := to[n]
		if !ok {
			continue
		}
		a := from[n]
		if equality.Semantic.DeepEqual(a.Spec.Selector, b.Spec.Selector) {
			continue
		}
		c := FieldChange{Kind: "Deployment", Workload: n, Namespace: b.Namespace, Field: FieldSelector,
			From: describeSelector(a.Spec.Selector), To: describeSelector(b.Spec.Selector), OldSelector: metav1.FormatLabelSelector(a.Spec.Selector)}
		if sel, err := metav1.LabelSelectorAsSelector(b.Spec.Selector); err == nil && b.Spec.Selector != nil {
			c.Adopts = sel.Matches(labels.Set(a.Spec.Template.Labels))
		}
		out = append(out, c)
	}
	return out
}

// statefulSetChanges are the immutable field changes of the StatefulSets
// on both sides, sorted by name then field.
func statefulSetChanges(from, to map[string]*appsv1.StatefulSet) []FieldChange {
	names := make([]string, 0, len(from))
	for n := range from {
		if _, ok := to[n]; ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	var out []FieldChange
	for _, n := range names {
		a, b := from[n].Spec, to[n].Spec
		ch := func(field, x, y string) FieldChange {
			return FieldChange{Kind: "StatefulSet", Workload: n, Namespace: to[n].Namespace, Field: field, From: x, To: y}
		}
		if !equality.Semantic.DeepEqual(claims(a.VolumeClaimTemplates), claims(b.VolumeClaimTemplates)) {
			c := ch(FieldVolumeClaimTemplates, describeClaims(a.VolumeClaimTemplates), describeClaims(b.VolumeClaimTemplates))
			c.Resizes = resizes(a.VolumeClaimTemplates, b.VolumeClaimTemplates)
			out = append(out, c)
		}
		if a.ServiceName != b.ServiceName {
			out = append(out, ch(FieldServiceName, quote(a.ServiceName), quote(b.ServiceName)))
		}
		if !equality.Semantic.DeepEqual(a.Selector, b.Selector) {
			out = append(out, ch(FieldSelector, describeSelector(a.Selector), describeSelector(b.Selector)))
		}
		if policy(a.PodManagementPolicy) != policy(b.PodManagementPolicy) {
			out = append(out, ch(FieldPodManagementPolicy, string(policy(a.PodManagementPolicy)), string(policy(b.PodManagementPolicy))))
		}
	}
	return out
}

// claims drops what the API server ignores (status, type meta) and fills
// in what it defaults (volumeMode Filesystem), as it does before comparing
// the templates, so that only differences it refuses count.
func claims(in []corev1.PersistentVolumeClaim) []corev1.PersistentVolumeClaim {
	out := make([]corev1.PersistentVolumeClaim, len(in))
	for i, c := range in {
		c = *c.DeepCopy()
		c.TypeMeta = metav1.TypeMeta{}
		c.Status = corev1.PersistentVolumeClaimStatus{}
		if c.Spec.VolumeMode == nil {
			fs := corev1.PersistentVolumeFilesystem
			c.Spec.VolumeMode = &fs
		}
		out[i] = c
	}
	return out
}

func policy(p appsv1.PodManagementPolicyType) appsv1.PodManagementPolicyType {
	if p == "" {
		return appsv1.OrderedReadyPodManagement
	}
	return p
}

func quote(s string) string {
	if s == "" {
		return "(none)"
	}
	return fmt.Sprintf("%q", s)
}

func storage(c corev1.PersistentVolumeClaim) string {
	if q, ok := c.Spec.Resources.Requests[corev1.ResourceStorage]; ok {
		return q.String()
	}
	return "?"
}

func describeClaims(cs []corev1.PersistentVolumeClaim) string {
	if len(cs) == 0 {
		return "(none)"
	}
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = c.Name + " " + storage(c)
		if sc := c.Spec.StorageClassName; sc != nil {
			parts[i] += " (class " + *sc + ")"
		}
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func resizes(from, to []corev1.PersistentVolumeClaim) []Resize {
	var out []Resize
	for _, a := range from {
		for _, b := range to {
			if a.Name != b.Name {
				continue
			}
			qa, okA := a.Spec.Resources.Requests[corev1.ResourceStorage]
			qb, okB := b.Spec.Resources.Requests[corev1.ResourceStorage]
			if okA && okB && qa.Cmp(qb) != 0 {
				out = append(out, Resize{Claim: a.Name, From: qa.String(), To: qb.String()})
			}
		}
	}
	return out
}

func describeSelector(s *metav1.LabelSelector) string {
	if s == nil {
		return "(none)"
	}
	str := metav1.FormatLabelSelector(s)
	if str == "<none>" {
		return "(empty)"
	}
	return str
}

func describeChanges(cs []FieldChange) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = c.String()
	}
	return strings.Join(parts, "; ")
}
