package argocd

import (
	"fmt"

	"github.com/coditect/phasegen/internal/config"
)

// Object names a Kubernetes object a promotion stops generating.
type Object struct {
	Kind string // e.g. HorizontalPodAutoscaler
	Name string
}

func (o Object) String() string { return o.Kind + "/" + o.Name }

// PruneWarning returns the warning to print (on stderr and in the promotion
// PR) when a promotion of env removes obj from the generated tree but env's
// Application does not prune: Argo CD leaves the object running (an HPA left
// behind keeps scaling the StatefulSet). It returns "" when the Application
// prunes.
func PruneWarning(env *config.Environment, obj Object) string {
	if env == nil || env.Spec.ArgoCD.PruneEnabled() {
		return ""
	}
	why := "prune is off for this Application"
	if env.Spec.ArgoCD.Manual {
		why = "automated sync, and so automated prune, is off for this Application"
	}
	return fmt.Sprintf("Argo CD will leave %s running in namespace %s: %s (%s); delete it by hand or enable prune",
		obj, env.Spec.Namespace, why, Name(env))
}

// PromotionPruneWarnings returns PruneWarning for each object a promotion of
// env from one phase to another removes: today the HorizontalPodAutoscaler
// "<workload>-hpa", when from autoscales and to does not.
func PromotionPruneWarnings(env *config.Environment, from, to *config.Phase) []string {
	if env == nil || from == nil || to == nil {
		return nil
	}
	var out []string
	if from.Spec.Autoscaling != nil && to.Spec.Autoscaling == nil {
		if w := PruneWarning(env, Object{Kind: "HorizontalPodAutoscaler", Name: env.Spec.Workload + "-hpa"}); w != "" {
			out = append(out, w)
		}
	}
	return out
}
