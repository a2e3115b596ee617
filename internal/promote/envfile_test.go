package promote_test

import (
	"testing"

	"github.com/coditect/phasegen/internal/promote"
)

func TestEditPhaseKeepsEverythingElse(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain with comment",
			"# Production\nkind: Environment\nspec:\n  phase: pre-launch   # promoted by PR\n  namespace: x # ns\n",
			"# Production\nkind: Environment\nspec:\n  phase: beta   # promoted by PR\n  namespace: x # ns\n"},
		{"double quoted", "spec:\n  phase: \"pre-launch\"\n", "spec:\n  phase: \"beta\"\n"},
		{"single quoted", "spec: {namespace: a, phase: 'pre-launch'} # x\n", "spec: {namespace: a, phase: 'beta'} # x\n"},
		{"unicode before", "# é ü\nspec:\n  é: ü\n  phase: full-mvp\n", "# é ü\nspec:\n  é: ü\n  phase: beta\n"},
		{"metadata phase untouched", "metadata:\n  phase: pre-launch\nspec:\n  phase: pre-launch\n", "metadata:\n  phase: pre-launch\nspec:\n  phase: beta\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := promote.EditPhase([]byte(tt.in), "beta")
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
	if _, err := promote.EditPhase([]byte("spec:\n  namespace: x\n"), "beta"); err == nil || err.Error() != "spec.phase: not in the document" {
		t.Errorf("no spec.phase: %v", err)
	}
}
