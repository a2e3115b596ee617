package gate

import (
	"fmt"
	"strings"

	"github.com/coditect/phasegen/internal/config"
)

// Move is an environment's Argo CD Application changing namespace
// (spec.argocd.namespace). Argo CD cannot move an Application: it creates a
// new one in the new namespace while the old one, pruned from the GitOps
// repository, is deleted, and the old one carries the resources finalizer, so its
// deletion cascades to everything it deployed.
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
	if m.OldName != "" {
		return fmt.Sprintf("the Argo CD Application %s/%s is renamed %s/%s (spec.argocd.applicationName): "+
			"Argo CD cannot rename an Application: it creates %s while %s, pruned from the repository, is deleted, "+
			"and deleting it (it carries the %s finalizer) deletes everything it deployed; until then the two Applications fight over the same resources",
			m.From, m.OldName, m.To, m.Application, m.Application, m.OldName, argocdFinalizer)
	}
	return fmt.Sprintf("the Argo CD Application %s moves from namespace %s to %s (spec.argocd.namespace): "+
		"Argo CD creates a new Application in %s while the old one in %s is pruned from the repository, "+
		"and deleting the old one (it carries the %s finalizer) deletes everything it deployed, "+
		"the StatefulSet and, by its PVC retention policy, users' data; until then the two Applications fight over the same resources",
		m.Application, m.From, m.To, m.To, m.From, argocdFinalizer)
}

// Runbook returns the safe order of the move: take the finalizer off the old
// Application first, keep the two from syncing the same resources at once
// (stop the old one's automated sync, or have the new one manual until the
// old one is gone), merge, let the new Application adopt the resources.
func (m Move) Runbook() string {
	var b strings.Builder
	old := m.old()
	if m.OldName != "" {
		fmt.Fprintf(&b, "Runbook (Argo CD Application %s/%s is renamed %s/%s):\n", m.From, old, m.To, m.Application)
	} else {
		fmt.Fprintf(&b, "Runbook (Argo CD Application %s moves from namespace %s to %s):\n", m.Application, m.From, m.To)
	}
	fmt.Fprintf(&b, "1. Before merging, remove the finalizer from the old Application, so that deleting it leaves what it deployed in place\n")
	fmt.Fprintf(&b, "   (if an app-of-apps with selfHeal manages the Applications, pause its automated sync first or it puts the finalizer back):\n")
	fmt.Fprintf(&b, "     kubectl -n %s patch application %s --type json -p '[{\"op\":\"remove\",\"path\":\"/metadata/finalizers\"}]'\n", m.From, old)
	fmt.Fprintf(&b, "   Check it is gone (the output must not list %s):\n", argocdFinalizer)
	fmt.Fprintf(&b, "     kubectl -n %s get application %s -o jsonpath='{.metadata.finalizers}'\n", m.From, old)
	fmt.Fprintf(&b, "2. Keep the two Applications from syncing the same resources at once: stop the old one's automated sync\n")
	fmt.Fprintf(&b, "     kubectl -n %s patch application %s --type merge -p '{\"spec\":{\"syncPolicy\":{\"automated\":null}}}'\n", m.From, old)
	fmt.Fprintf(&b, "   or promote with spec.argocd.manual: true, so the new one does not sync until the old one is gone (step 1 is needed either way).\n")
	fmt.Fprintf(&b, "3. Merge the pull request. The old Application is pruned from the repository and deleted without touching its resources;\n")
	fmt.Fprintf(&b, "   check it is gone:\n")
	fmt.Fprintf(&b, "     kubectl -n %s get application %s   # NotFound\n", m.From, old)
	fmt.Fprintf(&b, "4. Sync the new Application so it adopts the StatefulSet, its pods and claims as they are:\n")
	fmt.Fprintf(&b, "     argocd app sync %s/%s\n", m.To, m.Application)
	return b.String()
}
