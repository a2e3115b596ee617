package gate

import (
	"fmt"
	"sort"
	"strings"

	"github.com/coditect/phasegen/internal/config"
)

// Runbook returns the steps that apply changes to immutable fields without
// losing pods' data or taking the service down: for a StatefulSet, resize
// the existing PVCs by hand and delete the StatefulSet object while
// orphaning its pods and claims; for a Deployment's selector, delete the
// Deployment while orphaning its ReplicaSets, so the old pods serve until
// the new ones are Ready; then let Argo CD create them again from the new
// manifests.
func Runbook(env *config.Environment, changes []FieldChange) string {
	if len(changes) == 0 {
		return ""
	}
	ns := env.Spec.Namespace
	app := env.ApplicationName()
	byName := map[string][]FieldChange{}
	var names []string
	for _, c := range changes {
		key := c.Kind + "/" + c.Workload
		if _, ok := byName[key]; !ok {
			names = append(names, key)
		}
		byName[key] = append(byName[key], c)
	}
	sort.Strings(names) // Deployments before StatefulSets

	var b strings.Builder
	fmt.Fprintf(&b, "Runbook (namespace %s, Argo CD Application %s):\n", ns, app)
	step := 1
	fmt.Fprintf(&b, "%d. Pause automated sync so Argo CD does not fight the steps below:\n", step)
	fmt.Fprintf(&b, "     argocd app set %s --sync-policy none\n", app)
	step++
	for _, key := range names {
		for _, c := range byName[key] {
			for _, r := range c.Resizes {
				fmt.Fprintf(&b, "%d. Resize every existing %s claim of %s by hand to %s (its StorageClass must allow volume expansion; a StatefulSet never resizes existing claims):\n", step, r.Claim, c.Workload, r.To)
				fmt.Fprintf(&b, "     for pvc in $(kubectl get pvc -n %s -o name | grep '/%s-%s-[0-9]*$'); do\n", ns, r.Claim, c.Workload)
				fmt.Fprintf(&b, "       kubectl patch \"$pvc\" -n %s -p '{\"spec\":{\"resources\":{\"requests\":{\"storage\":\"%s\"}}}}'\n", ns, r.To)
				fmt.Fprintf(&b, "     done\n")
				step++
			}
		}
	}
	for _, key := range names {
		c := byName[key][0]
		if c.Kind == "Deployment" {
			fmt.Fprintf(&b, "%d. Delete the Deployment object %s but keep its ReplicaSets and pods, which go on serving (its selector cannot change in place; deleting it outright would take them all down at once):\n", step, c.Workload)
			fmt.Fprintf(&b, "     kubectl delete deployment %s -n %s --cascade=orphan\n", c.Workload, ns)
		} else {
			fmt.Fprintf(&b, "%d. Delete the StatefulSet object %s but keep its pods and volumes (its %s cannot change in place):\n", step, c.Workload, fields(byName[key]))
			fmt.Fprintf(&b, "     kubectl delete statefulset %s -n %s --cascade=orphan\n", c.Workload, ns)
		}
		step++
	}
	fmt.Fprintf(&b, "%d. Merge the pull request, then sync in Argo CD so it creates the objects again:\n", step)
	fmt.Fprintf(&b, "     argocd app sync %s && argocd app set %s --sync-policy automated\n", app, app)
	step++
	for _, key := range names {
		if c := byName[key][0]; c.Kind == "Deployment" {
			step = deploymentAfterSync(&b, step, ns, c)
		}
	}
	return b.String()
}

// deploymentAfterSync is what follows the sync for a Deployment whose
// selector changed: nothing when the new selector matches the old pods (the
// new Deployment adopts their ReplicaSet and rolls it over); else deleting
// the old ReplicaSet once the new pods are Ready.
func deploymentAfterSync(b *strings.Builder, step int, ns string, c FieldChange) int {
	if c.Adopts {
		fmt.Fprintf(b, "%d. Nothing more for Deployment %s: its new selector %s matches the old pods' labels, so it adopts their ReplicaSet and rolls it over to the new template, one batch at a time.\n", step, c.Workload, c.To)
		return step + 1
	}
	fmt.Fprintf(b, "%d. Deployment %s's new selector %s does not match the old pods, so it does not adopt them: they keep serving (the Service still selects them) while its new pods start. Once those are Ready, delete the old ReplicaSet, the one with no owner:\n", step, c.Workload, c.To)
	fmt.Fprintf(b, "     kubectl get replicasets -n %s -l '%s' -o custom-columns=NAME:.metadata.name,OWNER:.metadata.ownerReferences[0].name\n", ns, c.OldSelector)
	fmt.Fprintf(b, "     kubectl delete replicaset -n %s NAME   # the one whose OWNER is <none>\n", ns)
	fmt.Fprintf(b, "   (To run old and new side by side instead, give the Deployment a new name in templates/base: Argo CD creates it beside the old one and prunes the old one.)\n")
	return step + 1
}

func fields(cs []FieldChange) string {
	seen := map[string]bool{}
	var out []string
	for _, c := range cs {
		if !seen[c.Field] {
			seen[c.Field] = true
			out = append(out, c.Field)
		}
	}
	return strings.Join(out, ", ")
}
