package gate

import (
	"fmt"
	"strings"

	"github.com/coditect/phasegen/internal/argocd"
	"github.com/coditect/phasegen/internal/config"
)

// Move is an environment's Argo CD Application changing namespace
// (spec.argocd.namespace). Argo CD cannot move an Application: it creates a
// new one in the new namespace while the old one stays (phasegen's parent
// never prunes it), the two syncing the same resources, until it is
// deleted; it carries the resources finalizer, so its deletion cascades to
// everything it still tracks.
type Move struct {
	Application string // the Application's name in the promotion
	// OldName is the name of the Application the target holds, when the
	// promotion renames it (spec.argocd.applicationName); "" when the name
	// stays. A rename is a move: a new Application, the old one deleted.
	OldName  string
	From, To string // its namespace in the target and in the promotion
}

// old is the held Application's name.
func (m Move) old() string {
	if m.OldName != "" {
		return m.OldName
	}
	return m.Application
}

// Moved returns the Move of env's Application when held, the namespace of
// the Application the target holds for env, differs from the one env
// renders into; nil when it does not or held is "" (nothing held: a first
// promotion).
//
// heldName is the held Application's name: when it is not "" and differs
// from env's, the move is a rename (in one namespace or across two).
func Moved(env *config.Environment, held, heldName string) *Move {
	to, name := env.Spec.ArgoCD.ApplicationNamespace(), env.ApplicationName()
	renamed := heldName != "" && heldName != name
	if held == "" || (held == to && !renamed) {
		return nil
	}
	m := &Move{Application: name, From: held, To: to}
	if renamed {
		m.OldName = heldName
	}
	return m
}

// undo says how to keep the Application where it is.
func (m Move) undo() string {
	if m.OldName != "" && m.From == m.To {
		return "set spec.argocd.applicationName back to " + m.OldName
	}
	if m.OldName != "" {
		return fmt.Sprintf("set spec.argocd.namespace back to %s and spec.argocd.applicationName to %s", m.From, m.OldName)
	}
	return "set spec.argocd.namespace back to " + m.From
}

// Message says what the move does when applied as it is.
func (m Move) Message() string {
	what := fmt.Sprintf("the Argo CD Application %s moves from namespace %s to %s (spec.argocd.namespace): Argo CD cannot move an Application", m.Application, m.From, m.To)
	if m.OldName != "" {
		what = fmt.Sprintf("the Argo CD Application %s/%s is renamed %s/%s (spec.argocd.applicationName): Argo CD cannot rename an Application", m.From, m.OldName, m.To, m.Application)
	}
	return fmt.Sprintf("%s: it creates %s/%s, and the old %s/%s stays, the two syncing the same resources against each other "+
		"(phasegen's parent never prunes it), until it is deleted, by hand or at once by a parent that prunes or an ApplicationSet; "+
		"deleting it while it carries the %s finalizer deletes everything it still tracks, "+
		"the StatefulSet and, by its PVC retention policy, users' data",
		what, m.To, m.Application, m.From, m.old(), argocdFinalizer)
}

// Runbook returns the safe order of the move: the parent paused (it would
// put back what the next steps change), the finalizer taken off the old
// Application and its automated sync stopped, the merge, read by the
// parent before it is resumed (at its cached revision it would create the
// old Application again), which creates the new Application that adopts
// the resources; then the old Application deleted (phasegen's parent never
// prunes it).
func (m Move) Runbook() string {
	var b strings.Builder
	old := m.old()
	if m.OldName != "" {
		fmt.Fprintf(&b, "Runbook (Argo CD Application %s/%s is renamed %s/%s):\n", m.From, old, m.To, m.Application)
	} else {
		fmt.Fprintf(&b, "Runbook (Argo CD Application %s moves from namespace %s to %s):\n", m.Application, m.From, m.To)
	}
	parent := fmt.Sprintf("kubectl -n %s patch application %s --type merge -p", argocd.Namespace, argocd.DefaultParentName)
	fmt.Fprintf(&b, "1. Before merging, pause the automated sync of the parent Application (phasegen parent's is %s/%s), or its self-heal\n", argocd.Namespace, argocd.DefaultParentName)
	fmt.Fprintf(&b, "   puts back what steps 2 and 3 change:\n")
	fmt.Fprintf(&b, "     %s '{\"spec\":{\"syncPolicy\":{\"automated\":null}}}'\n", parent)
	fmt.Fprintf(&b, "2. Remove the finalizer from the old Application, so that deleting it leaves what it deployed in place:\n")
	fmt.Fprintf(&b, "     kubectl -n %s patch application %s --type json -p '[{\"op\":\"remove\",\"path\":\"/metadata/finalizers\"}]'\n", m.From, old)
	fmt.Fprintf(&b, "   Check it is gone (the output must not list %s):\n", argocdFinalizer)
	fmt.Fprintf(&b, "     kubectl -n %s get application %s -o jsonpath='{.metadata.finalizers}'\n", m.From, old)
	fmt.Fprintf(&b, "3. Stop the old Application's automated sync, so the two never sync the same resources against each other:\n")
	fmt.Fprintf(&b, "     kubectl -n %s patch application %s --type merge -p '{\"spec\":{\"syncPolicy\":{\"automated\":null}}}'\n", m.From, old)
	fmt.Fprintf(&b, "4. Merge the pull request. Have the parent read the merge before it syncs again (resumed at its cached revision, its\n")
	fmt.Fprintf(&b, "   self-heal would create the old Application again); the revision it shows must be the merge:\n")
	fmt.Fprintf(&b, "     argocd app get %s/%s --refresh\n", argocd.Namespace, argocd.DefaultParentName)
	fmt.Fprintf(&b, "5. Resume the parent's automated sync: it creates the new Application, which adopts the StatefulSet, its pods and claims as they are:\n")
	fmt.Fprintf(&b, "     %s '{\"spec\":{\"syncPolicy\":{\"automated\":{\"prune\":false,\"selfHeal\":true}}}}'\n", parent)
	fmt.Fprintf(&b, "   and sync it at once rather than at its next reconciliation:\n")
	fmt.Fprintf(&b, "     argocd app sync %s/%s\n", m.To, m.Application)
	fmt.Fprintf(&b, "6. Delete the old Application (phasegen's parent never prunes it; a parent that prunes, or an ApplicationSet, has deleted it\n")
	fmt.Fprintf(&b, "   already); without its finalizer its resources stay:\n")
	fmt.Fprintf(&b, "     kubectl -n %s delete application %s --ignore-not-found\n", m.From, old)
	return b.String()
}
