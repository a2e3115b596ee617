package cli

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/coditect/phasegen/internal/atomicfs"
	"github.com/coditect/phasegen/internal/promote"
)

func TestSetPhaseWritesInPlace(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "production.yaml")
	raw := []byte("apiVersion: phasegen.dev/v1alpha1\nkind: Environment\nmetadata:\n  name: production # the live one\nspec:\n  phase: pre-launch # now\n  namespace: coditect-app\n")
	if err := os.WriteFile(file, raw, 0o640); err != nil {
		t.Fatal(err)
	}
	changed, err := setPhase(dir, file, raw, "beta")
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
	if changed, err := setPhase(dir, file, got, "beta"); err != nil || changed {
		t.Errorf("second setPhase: changed %v, err %v", changed, err)
	}
}

// An edit made to the file after phasegen read it is kept: setPhase
// refuses, changing nothing.
func TestSetPhaseKeepsAConcurrentEdit(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "production.yaml")
	raw := []byte("apiVersion: phasegen.dev/v1alpha1\nkind: Environment\nspec:\n  phase: pre-launch\n")
	edited := append(append([]byte(nil), raw...), "# a teammate's note\n"...)
	if err := os.WriteFile(file, edited, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := setPhase(dir, file, raw, "beta"); !errors.Is(err, atomicfs.ErrChanged) {
		t.Fatalf("setPhase over an edit: %v, want ErrChanged", err)
	}
	if got, _ := os.ReadFile(file); string(got) != string(edited) {
		t.Errorf("the edit was erased:\n%s", got)
	}
}
