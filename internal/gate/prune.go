package gate

import (
	"fmt"

	"github.com/coditect/phasegen/internal/config"
	"github.com/coditect/phasegen/internal/manifest"
)

// argocdFinalizer is the finalizer phasegen's Applications carry (package
// argocd writes it): deleting the Application deletes what it deployed.
const argocdFinalizer = "resources-finalizer.argocd.argoproj.io"

// PruneWarning returns the warning to print (on stderr and in the promotion
// PR) when a promotion of env removes obj from the generated tree but env's
// Application does not prune: Argo CD leaves the object running (an HPA left
// behind keeps scaling the StatefulSet). It returns "" when the Application
// prunes.
func PruneWarning(env *config.Environment, obj manifest.Object) string {
	if env == nil || env.Spec.ArgoCD.PruneEnabled() {
		return ""
	}
	why := "prune is off for this Application"
	if env.Spec.ArgoCD.Manual {
		why = "automated sync, and so automated prune, is off for this Application"
	}
	return fmt.Sprintf("Argo CD will leave %s running in namespace %s: %s (%s); delete it by hand or enable prune",
		obj, env.Spec.Namespace, why, env.ApplicationName())
}
