package kube

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// repoRoot is the phasegen repository this module sits in.
const repoRoot = "../.."

// goRun runs go in the phasegen module (its own dependency graph, not
// this module's) and returns what it printed.
func goRun(t *testing.T, args ...string) []byte {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = repoRoot
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("go %v: %v\n%s", args, err, errb.String())
	}
	return out.Bytes()
}

// crds are the CRDs of every custom resource phasegen writes, from their
// projects' modules through the Go module proxy.
func crds(t *testing.T) []byte {
	return goRun(t, "run", "./internal/argocd/crdtest/crdfile")
}

// buildPhasegen builds the phasegen command into a directory of the test.
func buildPhasegen(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "phasegen")
	goRun(t, "build", "-o", bin, "./cmd/phasegen")
	return bin
}

// run runs phasegen in dir and returns its stdout, stderr and exit code.
func run(t *testing.T, bin, dir string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(isolatedEnv(t), "NO_COLOR=1")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return out.String(), errb.String(), 0
	case errors.As(err, &exit):
		return out.String(), errb.String(), exit.ExitCode()
	}
	t.Fatalf("phasegen %v: %v", args, err)
	return "", "", -1
}

// example is a configuration directory: its environments and its phases
// in promotion order.
type example struct {
	dir    string
	envs   []string
	phases []string
}

// examples are the two shipped examples.
func examples(t *testing.T) []example {
	return []example{loadExample(t, repoRoot), loadExample(t, filepath.Join(repoRoot, "examples", "store"))}
}

func loadExample(t *testing.T, dir string) example {
	t.Helper()
	ex := example{dir: dir}
	type doc struct {
		Kind     string `json:"kind"`
		Metadata struct {
			Name string `json:"name"`
		} `json:"metadata"`
		Spec struct {
			Order int `json:"order"`
		} `json:"spec"`
	}
	read := func(glob string) []doc {
		files, err := filepath.Glob(filepath.Join(dir, glob))
		if err != nil {
			t.Fatal(err)
		}
		var out []doc
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var d doc
			if err := yaml.Unmarshal(data, &d); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			out = append(out, d)
		}
		return out
	}
	for _, d := range read("environments/*.yaml") {
		if d.Kind == "Environment" {
			ex.envs = append(ex.envs, d.Metadata.Name)
		}
	}
	phases := read("environments/phases/*.yaml")
	sort.Slice(phases, func(i, j int) bool { return phases[i].Spec.Order < phases[j].Spec.Order })
	for _, p := range phases {
		ex.phases = append(ex.phases, p.Metadata.Name)
	}
	sort.Strings(ex.envs)
	if len(ex.envs) == 0 || len(ex.phases) < 2 {
		t.Fatalf("%s: %d environments, %d phases", dir, len(ex.envs), len(ex.phases))
	}
	return ex
}

// objects decodes a built YAML stream.
func objects(t *testing.T, data []byte) []*unstructured.Unstructured {
	t.Helper()
	var out []*unstructured.Unstructured
	for _, doc := range splitYAML(t, data) {
		var m map[string]any
		if err := yaml.Unmarshal(doc, &m); err != nil {
			t.Fatalf("decoding a built object: %v\n%s", err, doc)
		}
		out = append(out, &unstructured.Unstructured{Object: m})
	}
	return out
}

// build is phasegen build ENV --phase P in dir.
func build(t *testing.T, bin, dir, env, phase string) []*unstructured.Unstructured {
	t.Helper()
	out, errs, code := run(t, bin, dir, "build", env, "--phase", phase)
	if code != 0 {
		t.Fatalf("phasegen build %s --phase %s in %s: exit %d\n%s", env, phase, dir, code, errs)
	}
	return objects(t, []byte(out))
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
