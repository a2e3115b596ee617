package gate

import (
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"

	"github.com/coditect/phasegen/internal/config"
	"github.com/coditect/phasegen/internal/manifest"
)

// hpaSuffix ends the name of the HPA phasegen writes for a workload.
const hpaSuffix = "-hpa"

// RemovedMessage says what Argo CD does when obj, built at the current
// phase (from), is no longer built at phase to (to): a workload leaving the
// base or changing kind is pruned, its pods go and its volumes stay or go by
// its retention policy; an HPA dropped from a workload hands its replicas
// back to Argo CD, which sets the phase's count at the next sync; anything
// else must be pruned or keeps running. fromPhase is the phase the target
// holds (nil when unknown), toPhase the phase promoted to.
func RemovedMessage(obj manifest.Object, from, to manifest.Manifests, fromPhase, toPhase *config.Phase) string {
	switch obj.Kind {
	case "StatefulSet", "Deployment":
		return removedWorkload(obj, from, to, toPhase.Metadata.Name)
	case "HorizontalPodAutoscaler":
		if DroppedHPA(obj, to) {
			w := strings.TrimSuffix(obj.Name, hpaSuffix)
			return fmt.Sprintf("%s is no longer generated at %s: Argo CD must prune it (sync with prune), or it keeps scaling; %s",
				obj, toPhase.Metadata.Name, droppedHPA(workloadKind(to, w), w, fromPhase, toPhase))
		}
	}
	return fmt.Sprintf("%s is no longer generated at %s: Argo CD must prune it (sync with prune), or it keeps running", obj, toPhase.Metadata.Name)
}

// DroppedHPA reports whether obj, an object no longer built, is the HPA of
// a workload still built in to: its replicas go back to Argo CD.
func DroppedHPA(obj manifest.Object, to manifest.Manifests) bool {
	w, ok := strings.CutSuffix(obj.Name, hpaSuffix)
	return obj.Kind == "HorizontalPodAutoscaler" && ok && workloadKind(to, w) != ""
}

// workloadKind is the kind of the workload called name in m, "" when m has
// none.
func workloadKind(m manifest.Manifests, name string) string {
	if _, ok := m.StatefulSets[name]; ok {
		return "StatefulSet"
	}
	if _, ok := m.Deployments[name]; ok {
		return "Deployment"
	}
	return ""
}

func removedWorkload(obj manifest.Object, from, to manifest.Manifests, phase string) string {
	what := fmt.Sprintf("%s %s leaves the base at %s", obj.Kind, obj.Name, phase)
	if kind := workloadKind(to, obj.Name); kind != "" && kind != obj.Kind {
		what = fmt.Sprintf("%s %s becomes a %s at %s: Kubernetes cannot change an object's kind, so the %s is deleted and a %s created", obj.Kind, obj.Name, kind, phase, obj.Kind, kind)
	}
	data := "a Deployment keeps no data of its own"
	if s, ok := from.StatefulSets[obj.Name]; ok {
		data = statefulSetData(s)
	}
	return fmt.Sprintf("%s: Argo CD prunes it (sync with prune) and its pods go; %s", what, data)
}

// statefulSetData says what happens to a pruned StatefulSet's volumes.
func statefulSetData(s *appsv1.StatefulSet) string {
	if len(s.Spec.VolumeClaimTemplates) == 0 {
		return "it has no volume claims"
	}
	claims := make([]string, len(s.Spec.VolumeClaimTemplates))
	for i, c := range s.Spec.VolumeClaimTemplates {
		claims[i] = c.Name + "-" + s.Name + "-N"
	}
	list := strings.Join(claims, ", ")
	if p := s.Spec.PersistentVolumeClaimRetentionPolicy; p != nil && p.WhenDeleted == appsv1.DeletePersistentVolumeClaimRetentionPolicyType {
		return fmt.Sprintf("its volume claims (%s) are deleted with it (persistentVolumeClaimRetentionPolicy.whenDeleted: Delete), and their data with them: back it up first", list)
	}
	return fmt.Sprintf("its volume claims (%s) stay, with their data, and are paid for until deleted by hand (persistentVolumeClaimRetentionPolicy.whenDeleted: Retain, the default)", list)
}

// droppedHPA says what follows when the HPA of a workload goes: Argo CD owns
// /spec/replicas again and sets the phase's count at the next sync, whatever
// the HPA had set.
func droppedHPA(kind, w string, fromPhase, toPhase *config.Phase) string {
	had := "whatever the HPA had set"
	if fromPhase != nil {
		if v := fromPhase.For(w); v != nil && v.Spec.Autoscaling != nil {
			had = fmt.Sprintf("whatever the HPA had set (%d–%d at %s; the live count is not known here)", v.Spec.Autoscaling.MinReplicas, v.Spec.Autoscaling.MaxReplicas, fromPhase.Metadata.Name)
		}
	}
	to := "its replicas"
	if v := toPhase.For(w); v != nil {
		to = fmt.Sprintf("%d replicas", v.MinReplicas())
	}
	return fmt.Sprintf("with the HPA of %s %s gone, /spec/replicas returns to Argo CD's control, and at the next sync the %s goes from %s to %s", kind, w, kind, had, to)
}
