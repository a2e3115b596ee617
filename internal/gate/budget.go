package gate

import (
	"fmt"

	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/coditect/phasegen/internal/config"
)

// GateBlockingBudget names, in review, a disruption budget that allows no
// eviction.
const GateBlockingBudget = "blocking-budget"

// BlockingBudget says, when the disruption budget phase (as it sizes
// workload) gives it allows no eviction at the pods the phase runs at its
// floor, what that does; "" when it allows one. The eviction API then
// refuses every eviction of its pods, so every node drain (an upgrade, a
// scale-in of the cluster) waits on them until someone deletes the budget.
// Percentages are scaled as the disruption controller scales them: rounded
// up, for minAvailable and maxUnavailable alike.
func BlockingBudget(phase *config.Phase, workload string) string {
	b := phase.Spec.PDB
	if b == nil {
		return ""
	}
	pods := int(phase.MinReplicas())
	var allowed int
	switch {
	case b.MaxUnavailable != nil:
		v, err := intstr.GetScaledValueFromIntOrPercent(b.MaxUnavailable, pods, true)
		if err != nil {
			return ""
		}
		allowed = v
	case b.MinAvailable != nil:
		v, err := intstr.GetScaledValueFromIntOrPercent(b.MinAvailable, pods, true)
		if err != nil {
			return ""
		}
		allowed = pods - v
	default:
		return ""
	}
	if allowed > 0 {
		return ""
	}
	return fmt.Sprintf("%s's PodDisruptionBudget (%s, %s) allows no eviction of its %d pod(s) at phase %s: every node drain waits on them until someone deletes the budget; allow one (maxUnavailable: 1, or minAvailable below the pods it runs) or run more pods",
		workload, b.String(), phase.Field("pdb"), pods, phase.Metadata.Name)
}
