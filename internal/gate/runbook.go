package gate

import (
	"fmt"
	"sort"
	"strings"

	"github.com/coditect/phasegen/internal/config"
)

// Runbook returns the steps that apply changes to immutable StatefulSet
// fields without losing pods' data: resize the existing PVCs by hand, delete
// the StatefulSet object while orphaning its pods and claims, then let Argo
// CD create it again from the new manifests.
func Runbook(env *config.Environment, changes []FieldChange) string {
	if len(changes) == 0 {
		return ""
	}
	ns := env.Spec.Namespace
	app := env.ApplicationName()
	byName := map[string][]FieldChange{}
	for _, c := range changes {
		byName[c.StatefulSet] = append(byName[c.StatefulSet], c)
	}
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)

	var b strings.Builder
	fmt.Fprintf(&b, "Runbook (namespace %s, Argo CD Application %s):\n", ns, app)
	step := 1
	fmt.Fprintf(&b, "%d. Pause automated sync so Argo CD does not fight the steps below:\n", step)
	fmt.Fprintf(&b, "     argocd app set %s --sync-policy none\n", app)
	step++
	for _, n := range names {
		for _, c := range byName[n] {
			for _, r := range c.Resizes {
				fmt.Fprintf(&b, "%d. Resize every existing %s claim of %s by hand to %s (its StorageClass must allow volume expansion; a StatefulSet never resizes existing claims):\n", step, r.Claim, n, r.To)
				fmt.Fprintf(&b, "     for pvc in $(kubectl get pvc -n %s -o name | grep '/%s-%s-[0-9]*$'); do\n", ns, r.Claim, n)
				fmt.Fprintf(&b, "       kubectl patch \"$pvc\" -n %s -p '{\"spec\":{\"resources\":{\"requests\":{\"storage\":\"%s\"}}}}'\n", ns, r.To)
				fmt.Fprintf(&b, "     done\n")
				step++
			}
		}
	}
	for _, n := range names {
		fmt.Fprintf(&b, "%d. Delete the StatefulSet object %s but keep its pods and volumes (its %s cannot change in place):\n", step, n, fields(byName[n]))
		fmt.Fprintf(&b, "     kubectl delete statefulset %s -n %s --cascade=orphan\n", n, ns)
		step++
	}
	fmt.Fprintf(&b, "%d. Merge the pull request, then sync in Argo CD so it creates the StatefulSet again and adopts the pods:\n", step)
	fmt.Fprintf(&b, "     argocd app sync %s && argocd app set %s --sync-policy automated\n", app, app)
	return b.String()
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
