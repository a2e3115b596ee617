package promote

import (
	"github.com/coditect/phasegen/internal/yamledit"
)

// EditPhase returns raw with the value of spec.phase replaced by phase, in
// place and in its quoting (yamledit.Replace): the document must already
// have spec.phase, and nothing else changes.
func EditPhase(raw []byte, phase string) ([]byte, error) {
	return yamledit.Replace(raw, "spec.phase", phase)
}

// EditEnv is EditPhase, and, when keptName is not "", spec.argocd.applicationName
// set to it (inserted when absent): the name of the Application the GitOps
// repository holds, which the promotion kept (Outcome.KeptName).
func EditEnv(raw []byte, phase, keptName string) ([]byte, error) {
	if keptName == "" {
		return EditPhase(raw, phase)
	}
	return yamledit.Apply(raw, []yamledit.Edit{{Path: "spec.phase", Value: phase}, {Path: "spec.argocd.applicationName", Value: keptName}})
}
