package kbuild

import "testing"

// Warm's kustomization builds (a failing one would warm nothing).
func TestWarmFilesBuild(t *testing.T) {
	out, err := Build(warmFiles(), "k")
	if err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatal("empty build")
	}
}
