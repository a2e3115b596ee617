package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coditect/phasegen/internal/fileset"
)

func replaceIn(t *testing.T, file, old, new string) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), old) {
		t.Fatalf("%s lacks %q", file, old)
	}
	if err := os.WriteFile(file, []byte(strings.Replace(string(data), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, file string, data []byte) {
	t.Helper()
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

const aliasBomb = `apiVersion: phasegen.dev/v1alpha1
kind: Phase
metadata: {name: beta}
spec:
  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
  b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
  c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
  d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
  e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
  f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
  g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
`

// TestHostileInputs: each hostile config is rejected with exit 1 and an error
// naming the file (and what is wrong), and overlays/ is left byte for byte as
// it was.
func TestHostileInputs(t *testing.T) {
	env := func(root string) string { return filepath.Join(root, "environments", "production.yaml") }
	phase := func(root string) string { return filepath.Join(root, "environments", "phases", "beta.yaml") }
	capFile := func(root string) string { return filepath.Join(root, "environments", "capacity.yaml") }
	cases := []struct {
		name  string
		setup func(t *testing.T, root string) string // returns the file the error must name
		want  string
	}{
		{"alias bomb", func(t *testing.T, root string) string {
			writeFile(t, phase(root), []byte(aliasBomb))
			return phase(root)
		}, "anchors and aliases are not allowed"},
		{"file over 1 MiB", func(t *testing.T, root string) string {
			data, _ := os.ReadFile(phase(root))
			writeFile(t, phase(root), append(data, []byte("# "+strings.Repeat("x", 1<<20)+"\n")...))
			return phase(root)
		}, "larger than 1048576 bytes"},
		{"binary garbage", func(t *testing.T, root string) string {
			writeFile(t, phase(root), []byte{0x7f, 'E', 'L', 'F', 0, 0, 1, 2, 0xff, 0xfe})
			return phase(root)
		}, "not a text file"},
		{"invalid utf-8", func(t *testing.T, root string) string {
			writeFile(t, env(root), []byte("apiVersion: phasegen.dev/v1alpha1\nkind: Environment\nmetadata: {name: \xc3\x28}\n"))
			return env(root)
		}, "not a text file"},
		{"duplicate keys", func(t *testing.T, root string) string {
			replaceIn(t, env(root), "  namespace: coditect-app\n", "  namespace: coditect-app\n  namespace: kube-system\n")
			return env(root)
		}, "spec.namespace: duplicate key"},
		{"tab indentation", func(t *testing.T, root string) string {
			replaceIn(t, env(root), "  namespace:", "\tnamespace:")
			return env(root)
		}, "invalid YAML"},
		{"replicas overflow", func(t *testing.T, root string) string {
			replaceIn(t, phase(root), "minReplicas: 10", "minReplicas: 1000000000000")
			return phase(root)
		}, "spec.autoscaling.minReplicas: 1000000000000 is out of range"},
		{"order overflow", func(t *testing.T, root string) string {
			replaceIn(t, phase(root), "order: 2", "order: 99999999999999999999999")
			return phase(root)
		}, "spec.order"},
		{"float overflow", func(t *testing.T, root string) string {
			replaceIn(t, capFile(root), "optimistic: 2", "optimistic: 1e400")
			return capFile(root)
		}, "spec.usersPerPod.optimistic"},
		{"NaN price", func(t *testing.T, root string) string {
			replaceIn(t, capFile(root), "cpuCoreHour: 0.031", "cpuCoreHour: .nan")
			return capFile(root)
		}, "not a finite number"},
		{"negative price", func(t *testing.T, root string) string {
			replaceIn(t, capFile(root), "storageGBMonth: 0.10", "storageGBMonth: -1")
			return capFile(root)
		}, "spec.pricing.storageGBMonth: must not be negative"},
		{"gitops path escapes", func(t *testing.T, root string) string {
			replaceIn(t, env(root), "path: apps/coditect", "path: apps/../../etc")
			return env(root)
		}, "spec.gitops.path"},
		{"gitops path absolute", func(t *testing.T, root string) string {
			replaceIn(t, env(root), "path: apps/coditect", "path: /etc/kubernetes")
			return env(root)
		}, "must be relative"},
		{"gitops path into .git", func(t *testing.T, root string) string {
			replaceIn(t, env(root), "path: apps/coditect", "path: .git/hooks")
			return env(root)
		}, "must stay inside the repository"},
		{"name escapes", func(t *testing.T, root string) string {
			replaceIn(t, env(root), "name: production", "name: ../../etc")
			return env(root)
		}, "metadata.name"},
		{"namespace not a label", func(t *testing.T, root string) string {
			replaceIn(t, env(root), "namespace: coditect-app", "namespace: kube_system")
			return env(root)
		}, "spec.namespace"},
		{"homoglyph namespace", func(t *testing.T, root string) string {
			replaceIn(t, env(root), "namespace: coditect-app", "namespace: c\u043editect-app")
			return env(root)
		}, "spec.namespace"},
		{"workload not a label", func(t *testing.T, root string) string {
			replaceIn(t, env(root), "workload: coditect-combined", "workload: coditect combined")
			return env(root)
		}, "spec.workload"},
		{"branch injection", func(t *testing.T, root string) string {
			replaceIn(t, env(root), "branch: main", "branch: 'main; rm -rf /'")
			return env(root)
		}, "spec.gitops.branch"},
		{"repo not owner/name", func(t *testing.T, root string) string {
			replaceIn(t, env(root), "repo: coditect/argocd-apps", "repo: ../../etc/passwd")
			return env(root)
		}, "spec.gitops.repo"},
		{"promql injection in session metric", func(t *testing.T, root string) string {
			replaceIn(t, capFile(root), "sessionMetric: coditect_active_sessions", "sessionMetric: 'up} or vector(1) #'")
			return capFile(root)
		}, "spec.sessionMetric"},
		{"unknown field", func(t *testing.T, root string) string {
			replaceIn(t, phase(root), "  order: 2", "  order: 2\n  privileged: true")
			return phase(root)
		}, "spec.privileged: unknown field"},
		{"kind in the wrong place", func(t *testing.T, root string) string {
			replaceIn(t, phase(root), "kind: Phase", "kind: Environment")
			return phase(root)
		}, "want Phase"},
		{"two documents", func(t *testing.T, root string) string {
			data, _ := os.ReadFile(env(root))
			writeFile(t, env(root), append(append(data, "---\n"...), data...))
			return env(root)
		}, "more than one YAML document"},
		{"empty file", func(t *testing.T, root string) string {
			writeFile(t, env(root), nil)
			return env(root)
		}, "empty file"},
		{"deep nesting", func(t *testing.T, root string) string {
			writeFile(t, phase(root), []byte("spec: "+strings.Repeat("[", 100000)+strings.Repeat("]", 100000)+"\n"))
			return phase(root)
		}, ""},
		{"symlink under environments", func(t *testing.T, root string) string {
			outside := filepath.Join(t.TempDir(), "evil.yaml")
			data, _ := os.ReadFile(env(root))
			writeFile(t, outside, []byte(strings.Replace(string(data), "name: production", "name: evil", 1)))
			if err := os.Symlink(outside, filepath.Join(root, "environments", "evil.yaml")); err != nil {
				t.Fatal(err)
			}
			return filepath.Join(root, "environments", "evil.yaml")
		}, "symbolic link points outside"},
		{"symlink under templates", func(t *testing.T, root string) string {
			outside := filepath.Join(t.TempDir(), "passwd")
			writeFile(t, outside, []byte("root:x:0:0\n"))
			if err := os.Symlink(outside, filepath.Join(root, "templates", "base", "extra.yaml")); err != nil {
				t.Fatal(err)
			}
			return "base/extra.yaml"
		}, "symbolic links are not allowed"},
		{"phases a symlink out of the repository", func(t *testing.T, root string) string {
			moveOut(t, filepath.Join(root, "environments", "phases"))
			return filepath.Join("environments", "phases")
		}, "outside"},
		{"base a symlink out of the repository", func(t *testing.T, root string) string {
			moveOut(t, filepath.Join(root, "templates", "base"))
			return filepath.Join("templates", "base")
		}, "a symbolic link leading outside the repository"},
		{"phase that does not exist", func(t *testing.T, root string) string {
			replaceIn(t, env(root), "phase: pre-launch", "phase: launch-everything")
			return env(root)
		}, `production.yaml:7: spec.phase: phase "launch-everything" does not exist`},
		{"workload missing from the base", func(t *testing.T, root string) string {
			replaceIn(t, env(root), "workload: coditect-combined", "workload: other-app")
			return env(root)
		}, `production.yaml:9: spec.workload: "other-app" is not a Deployment or StatefulSet of the templates base (have: coditect-combined)`},
	}
	if len(cases) < 25 {
		t.Fatalf("only %d hostile inputs", len(cases))
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorkspace(t, shippedConfig)
			w.mustRun("render")
			before := w.overlays()
			file := c.setup(t, w.root)
			for _, cmd := range [][]string{{"render"}, {"check"}, {"plan"}} {
				code, _, stderr := w.run(cmd...)
				if code != ExitError {
					t.Errorf("%s: exit %d, want 1\n%s", cmd[0], code, stderr)
				}
				if !strings.Contains(stderr, file) || !strings.Contains(stderr, c.want) {
					t.Errorf("%s: stderr does not name %q with %q:\n%.600s", cmd[0], file, c.want, stderr)
				}
				if strings.Contains(stderr, "panic") || strings.Contains(stderr, "goroutine ") {
					t.Errorf("%s: panicked:\n%.600s", cmd[0], stderr)
				}
			}
			if !fileset.Equal(before, w.overlays()) {
				t.Error("overlays/ changed")
			}
		})
	}
}

// moveOut moves directory dir out of the repository and leaves in its
// place a symbolic link to where it went.
func moveOut(t *testing.T, dir string) {
	t.Helper()
	outside := filepath.Join(t.TempDir(), filepath.Base(dir))
	if err := os.Rename(dir, outside); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, dir); err != nil {
		t.Fatal(err)
	}
}
