package promote_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/coditect/phasegen/internal/atomicfs"
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
	if _, err := promote.EditPhase([]byte("spec:\n  namespace: x\n"), "beta"); err == nil {
		t.Error("no spec.phase: want an error")
	}
}

func TestSetPhaseWritesInPlace(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "production.yaml")
	raw, err := os.ReadFile("../../environments/production.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, raw, 0o640); err != nil {
		t.Fatal(err)
	}
	changed, err := promote.SetPhase(dir, file, raw, "beta")
	if err != nil || !changed {
		t.Fatalf("changed %v, err %v", changed, err)
	}
	got, _ := os.ReadFile(file)
	want, _ := promote.EditPhase(raw, "beta")
	if string(got) != string(want) || len(got) != len(raw)-len("pre-launch")+len("beta") {
		t.Errorf("file:\n%s", got)
	}
	if fi, _ := os.Stat(file); fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %v", fi.Mode())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
	if changed, err := promote.SetPhase(dir, file, got, "beta"); err != nil || changed {
		t.Errorf("second SetPhase: changed %v, err %v", changed, err)
	}
}

// An edit made to the file after phasegen read it is kept: SetPhase
// refuses, changing nothing.
func TestSetPhaseKeepsAConcurrentEdit(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "production.yaml")
	raw := []byte("apiVersion: phasegen.dev/v1alpha1\nkind: Environment\nspec:\n  phase: pre-launch\n")
	edited := append(append([]byte(nil), raw...), "# a teammate's note\n"...)
	if err := os.WriteFile(file, edited, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := promote.SetPhase(dir, file, raw, "beta"); !errors.Is(err, atomicfs.ErrChanged) {
		t.Fatalf("SetPhase over an edit: %v, want ErrChanged", err)
	}
	if got, _ := os.ReadFile(file); string(got) != string(edited) {
		t.Errorf("the edit was erased:\n%s", got)
	}
}
