package gate

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"

	"github.com/coditect/phasegen/internal/config"
	"github.com/coditect/phasegen/internal/manifest"
)

// StrategyChange is a workload whose rollout strategy leaves RollingUpdate
// (a Deployment's spec.strategy for Recreate, a StatefulSet's
// spec.updateStrategy for OnDelete). The live object keeps the
// rollingUpdate block the API server filled in when the type was
// RollingUpdate, which no apply removes (server-side apply owns nothing
// the server defaulted; kubectl apply removes it only for a base that
// writes rollingUpdate: null), so the API server refuses the update and
// the sync fails until the block is removed by hand.
type StrategyChange struct {
	Kind      string // Deployment or StatefulSet
	Workload  string
	Namespace string
	From, To  string // strategy types
}

// field is the spec field that holds the strategy.
func (c StrategyChange) field() string {
	if c.Kind == "StatefulSet" {
		return "updateStrategy"
	}
	return "strategy"
}

func (c StrategyChange) String() string {
	return fmt.Sprintf("%s %s: spec.%s.type changes from %s to %s while the live object keeps the spec.%s.rollingUpdate the API server filled in, which the API server refuses beside %s",
		c.Kind, c.Workload, c.field(), c.From, c.To, c.field(), c.To)
}

// Strategies compares the workloads present at both phases and returns
// those whose strategy leaves RollingUpdate (the default when unset):
// Deployments, then StatefulSets, each sorted by name.
func Strategies(from, to manifest.Manifests) []StrategyChange {
	var out []StrategyChange
	for _, n := range slices.Sorted(maps.Keys(from.Deployments)) {
		b, ok := to.Deployments[n]
		if !ok {
			continue
		}
		x, y := from.Deployments[n].Spec.Strategy.Type, b.Spec.Strategy.Type
		if rolling(string(x), string(appsv1.RollingUpdateDeploymentStrategyType)) && y == appsv1.RecreateDeploymentStrategyType {
			out = append(out, StrategyChange{Kind: "Deployment", Workload: n, Namespace: b.Namespace, From: string(appsv1.RollingUpdateDeploymentStrategyType), To: string(y)})
		}
	}
	for _, n := range slices.Sorted(maps.Keys(from.StatefulSets)) {
		b, ok := to.StatefulSets[n]
		if !ok {
			continue
		}
		x, y := from.StatefulSets[n].Spec.UpdateStrategy.Type, b.Spec.UpdateStrategy.Type
		if rolling(string(x), string(appsv1.RollingUpdateStatefulSetStrategyType)) && y == appsv1.OnDeleteStatefulSetStrategyType {
			out = append(out, StrategyChange{Kind: "StatefulSet", Workload: n, Namespace: b.Namespace, From: string(appsv1.RollingUpdateStatefulSetStrategyType), To: string(y)})
		}
	}
	return out
}

// rolling reports whether a strategy type is RollingUpdate, written or by
// default.
func rolling(t, rollingUpdate string) bool { return t == "" || t == rollingUpdate }

// StrategyRunbook returns the steps that let the sync through: remove the
// rollingUpdate block from the live object together with the type change,
// in one patch the API server accepts, then sync.
func StrategyRunbook(env *config.Environment, changes []StrategyChange) string {
	if len(changes) == 0 {
		return ""
	}
	ns, app := env.Spec.Namespace, env.ApplicationName()
	var b strings.Builder
	fmt.Fprintf(&b, "Runbook: rollout strategy change (namespace %s, Argo CD Application %s):\n", ns, app)
	fmt.Fprintf(&b, "1. Pause automated sync so Argo CD does not apply before the patch:\n     argocd app set %s --sync-policy none\n", app)
	step := 2
	for _, c := range changes {
		fmt.Fprintf(&b, "%d. Set %s %s's new strategy and remove the rollingUpdate block in one patch (its pods are not restarted):\n", step, c.Kind, c.Workload)
		fmt.Fprintf(&b, "     kubectl patch %s %s -n %s --type=json -p '[{\"op\":\"remove\",\"path\":\"/spec/%s/rollingUpdate\"},{\"op\":\"replace\",\"path\":\"/spec/%s/type\",\"value\":\"%s\"}]'\n",
			strings.ToLower(c.Kind), c.Workload, ns, c.field(), c.field(), c.To)
		step++
	}
	fmt.Fprintf(&b, "%d. Merge the pull request, then sync in Argo CD and restore automated sync:\n", step)
	fmt.Fprintf(&b, "     argocd app sync %s && argocd app set %s --sync-policy automated\n", app, app)
	return b.String()
}
