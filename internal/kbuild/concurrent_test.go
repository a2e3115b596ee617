package kbuild

import (
	"os"
	"os/exec"
	"sync"
	"testing"

	"github.com/coditect/phasegen/internal/fileset"
)

// TestFirstBuildsConcurrently: in a fresh process, where kustomize has not
// parsed its schema yet, Warm and eight builds of a PrometheusRule at once
// all succeed. Under the race detector it is the path on which kyaml's
// unlocked read of its schema index raced with the first parse (seen once
// in CI's observe_tune script, while build warmed up); the race needs an
// unlucky interleaving, so a pass proves the path, not the absence of it.
// What rules it out is schemaOnce: no build starts before the parse ends.
func TestFirstBuildsConcurrently(t *testing.T) {
	if os.Getenv("PHASEGEN_FIRST_BUILDS") == "" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestFirstBuildsConcurrently$")
		cmd.Env = append(os.Environ(), "PHASEGEN_FIRST_BUILDS=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("the child failed: %v\n%s", err, out)
		}
		return
	}
	// As build and review do: Warm on one goroutine while builds of
	// kinds without a precomputed scope start on others.
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); Warm() }()
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 3 {
				if _, err := Build(withRule(), "k"); err != nil {
					errs[i] = err
				}
			}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("build %d: %v", i, err)
		}
	}
}

// withRule is the warm-up kustomization with a PrometheusRule, a kind
// kyaml has no precomputed scope for: its scope is read from the schema
// index another build may be filling.
func withRule() fileset.Set {
	files := warmFiles()
	files["k/kustomization.yaml"] = []byte("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: warm\nresources:\n- sts.yaml\n- rule.yaml\npatches:\n- path: patch.yaml\n")
	files["k/rule.yaml"] = []byte("apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata:\n  name: warm\nspec:\n  groups: []\n")
	return files
}
