package adopt

import (
	"fmt"
	"slices"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/openapi"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/coditect/phasegen/internal/base"
)

// inputs are the objects sorted by what becomes of them.
type inputs struct {
	base []object          // what templates/base holds
	hpas map[string]object // a workload's HPA, by workload: the phase carries it
	pdbs []object          // PodDisruptionBudgets: a workload's goes into the phase
}

// workloadsOf returns the kind of each Deployment and StatefulSet of objs,
// by name.
func workloadsOf(objs []object) map[string]string {
	out := map[string]string{}
	for _, ob := range objs {
		if k := ob.kind(); k == base.KindDeployment || k == base.KindStatefulSet {
			out[ob.name()] = k
		}
	}
	return out
}

// classify sorts the inputs: what phasegen renders (a workload's HPA and
// PDB) leaves the base for the phase; what a controller makes, what lives
// in another namespace, a cluster-scoped object Kustomize cannot tell from
// a namespaced one, and Secret values are left out, each named; the rest
// is the base. Nothing is dropped without a note.
func classify(objs []object, namespace string, includeSecrets bool, r *Result) (inputs, error) {
	in := inputs{hpas: map[string]object{}}
	workloads := workloadsOf(objs)
	if len(workloads) == 0 {
		return in, fmt.Errorf("the inputs hold no Deployment or StatefulSet: phasegen sizes those, so name the manifests that declare them")
	}
	var passed []string
	for _, ob := range objs {
		if clean(ob) {
			r.Notes = append(r.Notes, fmt.Sprintf("%s: dropped what the cluster adds (status, uid, resourceVersion, managedFields, last-applied-configuration, a Service's assigned clusterIP)", ob))
		}
		if why := leftOut(ob, namespace, includeSecrets); why != "" {
			msg := fmt.Sprintf("left out %s: %s", ob, why)
			if ob.kind() == "Secret" {
				r.Warnings = append(r.Warnings, msg)
			} else {
				r.Notes = append(r.Notes, msg)
			}
			continue
		}
		switch ob.kind() {
		case "HorizontalPodAutoscaler":
			kind, name := scaleTarget(ob)
			if workloads[name] == "" || workloads[name] != kind {
				// Not a workload phasegen sizes (an Argo Rollout, say):
				// it stays as it is, or Argo CD would prune the live one.
				in.base = append(in.base, ob)
				r.Notes = append(r.Notes, fmt.Sprintf("passed through %s as it is: it scales %s/%s, which is no Deployment or StatefulSet among the inputs, so phasegen does not size it", ob, kind, name))
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

// leftOut says why ob stays out of the base, or "".
func leftOut(ob object, namespace string, includeSecrets bool) string {
	if owner := controllerOf(ob); owner != "" {
		return fmt.Sprintf("%s makes it (its controller ownerReference): the base declares what makes it instead", owner)
	}
	if scope := scopeOf(ob); scope == clusterUnknown {
		return fmt.Sprintf("a cluster-scoped kind Kustomize does not know, so every environment's overlay would give it a namespace; it belongs to the cluster, not to one environment of the app: keep it with the cluster's own manifests")
	} else if scope == namespaced && ob.namespace() != "" && ob.namespace() != namespace {
		return fmt.Sprintf("it is in namespace %s, and every environment's overlay puts all of the app's objects in its own namespace (%s here), which would move it: keep it with the manifests of %s", ob.namespace(), namespace, ob.namespace())
	}
	if ob.kind() == "Secret" && hasSecretData(ob) && !includeSecrets {
		return "its values would be committed to templates/base and copied into the GitOps repository; keep them out of git with SOPS, Sealed Secrets or the External Secrets Operator (a SealedSecret or ExternalSecret passes through), and create this Secret in each environment's namespace; pass --include-secrets to write it into the base deliberately"
	}
	return ""
}

// controllerOf names the controller that owns ob ("ReplicaSet/api-5d8f"),
// or "" when none does.
func controllerOf(ob object) string {
	refs, _ := ob.meta()["ownerReferences"].([]any)
	for _, r := range refs {
		ref, _ := r.(map[string]any)
		if c, _ := ref["controller"].(bool); c {
			kind, _ := ref["kind"].(string)
			name, _ := ref["name"].(string)
			return kind + "/" + name
		}
	}
	return ""
}

// hasSecretData reports whether a Secret holds any value.
func hasSecretData(ob object) bool {
	for _, k := range []string{"data", "stringData"} {
		if m, ok := ob.doc[k].(map[string]any); ok && len(m) > 0 {
			return true
		}
	}
	return false
}

// scaleTarget is the kind and name an HPA scales.
func scaleTarget(ob object) (kind, name string) {
	spec, _ := ob.doc["spec"].(map[string]any)
	ref, _ := spec["scaleTargetRef"].(map[string]any)
	kind, _ = ref["kind"].(string)
	name, _ = ref["name"].(string)
	return kind, name
}

// The scopes of a kind.
const (
	namespaced     = iota
	clusterKnown   // cluster-scoped, and Kustomize knows it
	clusterUnknown // cluster-scoped by its name and its lack of a namespace, unknown to Kustomize
)

// scopeOf tells a namespaced object from a cluster-scoped one: as
// Kustomize's schema knows the kind, else a kind named Cluster… given
// without a namespace (a ClusterIssuer, a ClusterSecretStore).
func scopeOf(ob object) int {
	apiVersion, _ := ob.doc["apiVersion"].(string)
	ns, found := openapi.IsNamespaceScoped(kyaml.TypeMeta{APIVersion: apiVersion, Kind: ob.kind()})
	switch {
	case found && ns:
		return namespaced
	case found:
		return clusterKnown
	case strings.HasPrefix(ob.kind(), "Cluster") && ob.namespace() == "":
		return clusterUnknown
	}
	return namespaced
}
