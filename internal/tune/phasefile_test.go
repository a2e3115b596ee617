package tune

import (
	"os"

	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/coditect/phasegen/internal/config"
	"github.com/coditect/phasegen/internal/yamledit"
)

var resourceEdits = []Edit{
	{Path: "spec.resources.requests.cpu", Value: "988m"},
	{Path: "spec.resources.requests.memory", Value: "1026Mi"},
	{Path: "spec.resources.limits.memory", Value: "1026Mi"},
	{Path: "spec.autoscaling.minReplicas", Value: 8},
	{Path: "spec.replicas", Value: 8},
	{Path: "spec.autoscaling.targetCPUUtilizationPercentage", Value: 50},
}

// TestEditShippedPhases: every shipped phase takes the edits; the result
// validates as a Phase with the new values, and every line of the original
// is still there, in order (comments included), except the edited ones.
func TestEditShippedPhases(t *testing.T) {
	for _, name := range []string{"pre-launch", "beta", "full-mvp", "scale-out"} {
		t.Run(name, func(t *testing.T) {
			file := "../testdata/example/environments/phases/" + name + ".yaml"
			raw, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			out, err := EditFile(raw, resourceEdits)
			if err != nil {
				t.Fatal(err)
			}
			doc, problems := config.Parse(file, out, config.KindPhase)
			if len(problems) > 0 {
				t.Fatalf("%v\n%s", problems, out)
			}
			p := doc.(*config.Phase)
			r := p.Spec.Resources
			if r == nil || r.Requests.CPU.String() != "988m" || r.Requests.Memory.String() != "1026Mi" || r.Limits.Memory.String() != "1026Mi" ||
				p.Spec.Autoscaling.MinReplicas != 8 || p.Spec.Replicas != 8 || *p.Spec.Autoscaling.TargetCPUUtilizationPercentage != 50 {
				t.Errorf("values not set:\n%s", out)
			}
			// Unchanged lines survive in order.
			got := strings.Split(string(out), "\n")
			j := 0
			for _, line := range strings.Split(string(raw), "\n") {
				edited := false
				for _, k := range []string{"cpu:", "memory:", "minReplicas:", "replicas:", "targetCPUUtilizationPercentage:", "requests:", "limits:"} {
					edited = edited || strings.Contains(line, k)
				}
				if edited {
					continue
				}
				for j < len(got) && got[j] != line {
					j++
				}
				if j == len(got) {
					t.Fatalf("line %q is gone or out of order:\n%s", line, out)
				}
			}
			if name == "beta" {
				want := "    scaleDown: {stabilizationWindowSeconds: 300, pods: 1, periodSeconds: 60}\n" +
					"  resources:\n    requests:\n      cpu: 988m\n      memory: 1026Mi\n    limits:\n      memory: 1026Mi\n  alerts:\n"
				if !strings.Contains(string(out), want) {
					t.Errorf("beta's resources block is not where it belongs:\n%s", out)
				}
			}
		})
	}
}

func TestEditCases(t *testing.T) {
	cases := []struct {
		name, in string
		edits    []Edit
		want     string
	}{
		{"quoted scalar keeps its quotes", "spec:\n  resources:\n    limits: {cpu: \"2\"}  # billed\n", []Edit{{Path: "spec.resources.limits.cpu", Value: "3"}},
			"spec:\n  resources:\n    limits: {cpu: \"3\"}  # billed\n"},
		{"single-quoted", "spec:\n  replicas: '3'\n", []Edit{{Path: "spec.replicas", Value: "4"}}, "spec:\n  replicas: '4'\n"},
		{"flow mapping gains a key", "spec:\n  resources:\n    requests: {cpu: 1}\n", []Edit{{Path: "spec.resources.requests.memory", Value: "1Gi"}},
			"spec:\n  resources:\n    requests: {cpu: 1, memory: 1Gi}\n"},
		{"empty flow mapping", "spec:\n  resources: {}\n", []Edit{{Path: "spec.resources.limits.memory", Value: "1Gi"}},
			"spec:\n  resources: {limits: {memory: 1Gi}}\n"},
		{"block at the end of the file without a newline", "spec:\n  order: 1", []Edit{{Path: "spec.resources.requests.cpu", Value: "10m"}},
			"spec:\n  order: 1\n  resources:\n    requests:\n      cpu: 10m\n"},
		{"head comment of alerts stays with it", "spec:\n  order: 1\n  # thresholds\n  alerts:\n    for: 5m\n", []Edit{{Path: "spec.resources.requests.cpu", Value: "10m"}},
			"spec:\n  order: 1\n  resources:\n    requests:\n      cpu: 10m\n  # thresholds\n  alerts:\n    for: 5m\n"},
		{"a number-like string is quoted", "spec:\n  resources:\n    limits:\n      memory: 1Gi\n", []Edit{{Path: "spec.resources.limits.cpu", Value: "2"}},
			"spec:\n  resources:\n    limits:\n      memory: 1Gi\n      cpu: \"2\"\n"},
		{"four-space indentation", "spec:\n    order: 1\n    checklist:\n    - a\n", []Edit{{Path: "spec.resources.requests.cpu", Value: "10m"}},
			"spec:\n    order: 1\n    checklist:\n    - a\n    resources:\n      requests:\n        cpu: 10m\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := EditFile([]byte(c.in), c.edits)
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != c.want {
				t.Errorf("got:\n%s\nwant:\n%s", out, c.want)
			}
		})
	}
	for _, bad := range []struct{ name, in, want string }{
		{"block scalar", "spec:\n  replicas: |\n    3\n", "spec.replicas: is a block scalar at line 2; write it on one line"},
		{"not a mapping", "spec: [1, 2]\n", "spec.replicas: spec is not a mapping (line 1)"},
		{"scalar where a mapping is", "spec:\n  resources: none\n", "spec.resources.requests.cpu: spec.resources is not a mapping (line 2)"},
		{"not YAML", "spec: {\n", "spec.replicas: not YAML: yaml: line 1"},
	} {
		if _, err := EditFile([]byte(bad.in), []Edit{{Path: "spec.replicas", Value: 1}, {Path: "spec.resources.requests.cpu", Value: "1"}}); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%s: %v, want %q", bad.name, err, bad.want)
		}
	}
}

// FuzzEditFile: on any input the editor either refuses or returns a file
// whose decoded value is the input's with the edits, and nothing else.
func FuzzEditFile(f *testing.F) {
	for _, name := range []string{"pre-launch", "beta"} {
		raw, err := os.ReadFile("../testdata/example/environments/phases/" + name + ".yaml")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Add([]byte("spec:\n  resources: {requests: {cpu: '1'}}\n  autoscaling: {minReplicas: 2}\n"))
	f.Add([]byte("spec:\n  replicas: 3 # x\n  resources:\n    limits:\n      cpu: \"2\"\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		// Phase files reach the editor through config.Parse, which refuses
		// anchors and aliases and files over 1 MiB.
		if len(raw) > config.MaxFileSize || hasAlias(raw) {
			return
		}
		out, err := EditFile(raw, resourceEdits)
		if err != nil {
			return
		}
		// EditFile verified the decoded result; check it again from scratch.
		if err := yamledit.Verify(raw, out, resourceEdits); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
	})
}

func hasAlias(raw []byte) bool {
	var n yaml.Node
	if err := yaml.Unmarshal(raw, &n); err != nil {
		return true
	}
	var walk func(*yaml.Node) bool
	walk = func(n *yaml.Node) bool {
		if n.Kind == yaml.AliasNode || n.Anchor != "" {
			return true
		}
		for _, c := range n.Content {
			if walk(c) {
				return true
			}
		}
		return false
	}
	return walk(&n)
}
