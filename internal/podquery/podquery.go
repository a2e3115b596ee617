// Package podquery writes the PromQL that picks one workload's pods and its
// sized container out of a namespace, the same way for the alerts and for
// the observations: a StatefulSet's pods by name (<name>-N), a Deployment's
// through their owners (kube-state-metrics' kube_pod_owner joined to
// kube_replicaset_owner), never by a name pattern that would also match
// another workload whose name extends this one's, or a Job's pod.
package podquery

import (
	"fmt"
	"regexp"
	"strings"
)

// Workload is what the selectors need of a workload.
type Workload struct {
	Namespace, Name string
	Deployment      bool // else a StatefulSet
	Container       string
}

// PodSel is a selector of the workload's pods, with extra matchers: a
// StatefulSet's by name; for a Deployment the namespace only, to be joined
// with Owned.
func (w Workload) PodSel(extra ...string) string {
	m := []string{fmt.Sprintf("namespace=%q", w.Namespace)}
	if !w.Deployment {
		m = append(m, fmt.Sprintf("pod=~%q", regexp.QuoteMeta(w.Name)+"-[0-9]+"))
	}
	return "{" + strings.Join(append(m, extra...), ", ") + "}"
}

// ContainerSel is PodSel of the sized container.
func (w Workload) ContainerSel(extra ...string) string {
	return w.PodSel(append([]string{fmt.Sprintf("container=%q", w.Container)}, extra...)...)
}

// OwnedPods is 1 for each (namespace, pod) of the Deployment: pods owned by
// a ReplicaSet the Deployment owns, however many ReplicaSets a rollout
// leaves.
func (w Workload) OwnedPods() string {
	return fmt.Sprintf("max by (namespace, pod) (kube_pod_owner{namespace=%q, owner_kind=\"ReplicaSet\"}\n"+
		"    * on (namespace, owner_name) group_left ()\n"+
		"    label_replace(max by (namespace, replicaset) (kube_replicaset_owner{namespace=%q, owner_kind=\"Deployment\", owner_name=%q}), \"owner_name\", \"$1\", \"replicaset\", \"(.*)\"))",
		w.Namespace, w.Namespace, w.Name)
}

// Owned limits expr, a vector with namespace and pod labels, to the
// workload's pods: as it is for a StatefulSet (its selector names them),
// joined with OwnedPods for a Deployment.
func (w Workload) Owned(expr string) string {
	if !w.Deployment {
		return expr
	}
	return expr + "\n    * on (namespace, pod) group_left () " + w.OwnedPods()
}
