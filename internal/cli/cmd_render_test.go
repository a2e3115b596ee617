package cli

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/coditect/phasegen/internal/atomicfs"
	"github.com/coditect/phasegen/internal/fileset"
	"github.com/coditect/phasegen/internal/kbuild"
)

// workspace is a temporary copy of the repository's inputs (environments/
// and templates/, or a fixture config) in which render may write overlays/.
type workspace struct {
	t    *testing.T
	root string
}

func newWorkspace(t *testing.T, configDir string) *workspace {
	t.Helper()
	w := &workspace{t: t, root: t.TempDir()}
	copyDir(t, configDir, w.path("environments"))
	copyDir(t, filepath.Join("..", "testdata", "example", "templates"), w.path("templates"))
	return w
}

func (w *workspace) path(rel string) string { return filepath.Join(w.root, filepath.FromSlash(rel)) }

func (w *workspace) run(args ...string) (int, string, string) {
	w.t.Helper()
	a := NewTestApp(w.t, nil)
	full := append([]string{args[0], "--config", w.path("environments"), "--templates", w.path("templates"), "--overlays", w.path("overlays")}, args[1:]...)
	code := a.Run(full...)
	return code, a.Out.String(), a.Err.String()
}

func (w *workspace) mustRun(args ...string) (string, string) {
	w.t.Helper()
	code, out, errOut := w.run(args...)
	if code != ExitOK {
		w.t.Fatalf("phasegen %v: exit %d\n%s", args, code, errOut)
	}
	return out, errOut
}

func (w *workspace) overlays() fileset.Set {
	w.t.Helper()
	files, err := atomicfs.Read(w.path("overlays"))
	if err != nil {
		w.t.Fatal(err)
	}
	return files
}

// entries lists everything in the workspace but overlays/ (with sizes), to
// prove render writes nowhere else.
func (w *workspace) entries() string {
	w.t.Helper()
	var out []string
	err := filepath.WalkDir(w.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(w.root, p)
		if rel == "overlays" {
			return filepath.SkipDir
		}
		if rel == "." {
			return nil // gains overlays/ itself
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		out = append(out, rel+" "+info.Mode().String()+" "+info.ModTime().String())
		return nil
	})
	if err != nil {
		w.t.Fatal(err)
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

func (w *workspace) setPhase(env, phase string) {
	w.t.Helper()
	p := w.path("environments/" + env + ".yaml")
	data, err := os.ReadFile(p)
	if err != nil {
		w.t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	found := false
	for i, l := range lines {
		if strings.HasPrefix(l, "  phase: ") {
			lines[i], found = "  phase: "+phase, true
		}
	}
	if !found {
		w.t.Fatalf("%s has no spec.phase line", p)
	}
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		w.t.Fatal(err)
	}
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		dst := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

var shippedConfig = filepath.Join("..", "testdata", "example", "environments")

// The repository's own overlays/ is up to date (what `make test` checks).
func TestRepositoryOverlaysAreUpToDate(t *testing.T) {
	code, stdout, stderr := run(t, "check")
	if code != ExitOK {
		t.Fatalf("phasegen check on the repository: exit %d (run `go run ./cmd/phasegen render` and commit overlays/)\n%s%s", code, stdout, stderr)
	}
}

func TestRenderWritesOnlyOverlays(t *testing.T) {
	w := newWorkspace(t, shippedConfig)
	before := w.entries()
	_, stderr := w.mustRun("render")
	if after := w.entries(); after != before {
		t.Errorf("render wrote outside overlays/:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	got := w.overlays().Paths()
	want := []string{
		"argocd/production.yaml", "argocd/staging.yaml",
		"production/hpa.yaml", "production/kustomization.yaml", "production/pdb.yaml", "production/prometheusrule.yaml", "production/statefulset-patch.yaml",
		"staging/hpa.yaml", "staging/kustomization.yaml", "staging/pdb.yaml", "staging/prometheusrule.yaml", "staging/statefulset-patch.yaml",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("overlays/ holds:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !strings.Contains(stderr, "added") || !strings.Contains(stderr, "production/hpa.yaml") {
		t.Errorf("render did not report what it changed:\n%s", stderr)
	}
	// No temporary or backup trees left beside overlays/.
	ents, _ := os.ReadDir(w.root)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("leftover %s", e.Name())
		}
	}
	// Rendering again changes nothing, byte for byte.
	first := w.overlays()
	_, stderr = w.mustRun("render")
	if !fileset.Equal(first, w.overlays()) {
		t.Error("second render changed overlays/")
	}
	if !strings.Contains(stderr, "up to date") {
		t.Errorf("second render: %s", stderr)
	}
}

// Acceptance 3: check exits 0 right after render and 3 after any byte of
// overlays/ changes.
func TestCheckAfterRenderAndAfterAnyEdit(t *testing.T) {
	w := newWorkspace(t, shippedConfig)
	if code, stdout, _ := w.run("check"); code != ExitStale || !strings.Contains(stdout, "+++ b/") {
		t.Fatalf("check before any render: exit %d, want 3 with a diff\n%s", code, stdout)
	}
	w.mustRun("render")
	if code, stdout, stderr := w.run("check"); code != ExitOK || stdout != "" {
		t.Fatalf("check right after render: exit %d\n%s%s", code, stdout, stderr)
	}
	rendered := w.overlays()
	for _, p := range rendered.Paths() {
		data := rendered[p]
		for _, i := range []int{0, len(data) / 2, len(data) - 1} {
			full := w.path("overlays/" + p)
			edited := append([]byte(nil), data...)
			edited[i] ^= 0x01
			if err := os.WriteFile(full, edited, 0o644); err != nil {
				t.Fatal(err)
			}
			code, stdout, stderr := w.run("check")
			if code != ExitStale {
				t.Errorf("%s byte %d changed: check exit %d, want 3", p, i, code)
			}
			name := filepath.ToSlash(w.path("overlays/" + p))
			if !strings.Contains(stdout, "--- a/"+strings.TrimPrefix(name, "/")) && !strings.Contains(stdout, p) {
				t.Errorf("%s byte %d changed: diff does not name the file:\n%s", p, i, stdout)
			}
			if !strings.Contains(stderr, p) {
				t.Errorf("%s byte %d changed: stderr does not name the file:\n%s", p, i, stderr)
			}
			if err := os.WriteFile(full, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	// An extra file, a missing file.
	if err := os.WriteFile(w.path("overlays/production/extra.yaml"), []byte("x: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, stdout, _ := w.run("check"); code != ExitStale || !strings.Contains(stdout, "production/extra.yaml") {
		t.Errorf("extra file: exit %d\n%s", code, stdout)
	}
	// render would remove it: refused, as it is not phasegen's.
	if code, _, stderr := w.run("render"); code != ExitError || !strings.Contains(stderr, "production/extra.yaml") {
		t.Errorf("render over a hand-written file: exit %d, want 1 naming it\n%s", code, stderr)
	}
	if err := os.Remove(w.path("overlays/production/extra.yaml")); err != nil {
		t.Fatal(err)
	}
	w.mustRun("render")
	if err := os.Remove(w.path("overlays/staging/pdb.yaml")); err != nil {
		t.Fatal(err)
	}
	if code, stdout, _ := w.run("check"); code != ExitStale || !strings.Contains(stdout, "staging/pdb.yaml") {
		t.Errorf("missing file: exit %d\n%s", code, stdout)
	}
	// A config changed without render.
	w.mustRun("render")
	w.setPhase("production", "beta")
	if code, stdout, _ := w.run("check"); code != ExitStale || !strings.Contains(stdout, "phasegen.dev/phase: beta") {
		t.Errorf("config changed: exit %d\n%s", code, stdout)
	}
	if code, _, _ := w.run("check", "production"); code != ExitUsage {
		t.Errorf("check with an argument: exit %d, want 2", code)
	}
}

// Rendering some environments keeps the others' files as they are.
func TestRenderSubsetKeepsOtherEnvironments(t *testing.T) {
	w := newWorkspace(t, shippedConfig)
	w.mustRun("render")
	hand := []byte("# hand edit\n")
	if err := os.WriteFile(w.path("overlays/staging/pdb.yaml"), hand, 0o644); err != nil {
		t.Fatal(err)
	}
	w.setPhase("production", "beta")
	_, stderr := w.mustRun("render", "production")
	files := w.overlays()
	if !bytes.Equal(files["staging/pdb.yaml"], hand) {
		t.Error("render production rewrote staging's files")
	}
	if !bytes.Contains(files["production/kustomization.yaml"], []byte("phasegen.dev/phase: beta")) {
		t.Errorf("production not re-rendered at beta:\n%s", files["production/kustomization.yaml"])
	}
	if strings.Contains(stderr, "staging") {
		t.Errorf("render production reported staging changes:\n%s", stderr)
	}
	if code, _, _ := w.run("render", "nope"); code != ExitError {
		t.Errorf("render of an unknown environment: exit %d, want 1", code)
	}
}

// Acceptance 4: moving an environment between phases with and without
// autoscaling adds and removes hpa.yaml cleanly.
func TestRenderAddsAndRemovesHPA(t *testing.T) {
	w := newWorkspace(t, filepath.Join("..", "overlay", "testdata", "valid-fixed"))
	steps := []struct {
		phase string
		hpa   bool
	}{{"fixed", false}, {"autoscaled", true}, {"fixed-large", false}, {"autoscaled", true}, {"fixed", false}}
	for _, s := range steps {
		w.setPhase("demo", s.phase)
		w.mustRun("render")
		files := w.overlays()
		_, has := files["demo/hpa.yaml"]
		if has != s.hpa {
			t.Errorf("at %s: hpa.yaml present %v, want %v", s.phase, has, s.hpa)
		}
		if _, err := os.Stat(w.path("overlays/demo/hpa.yaml")); (err == nil) != s.hpa {
			t.Errorf("at %s: hpa.yaml on disk: %v", s.phase, err)
		}
		if bytes.Contains(files["demo/kustomization.yaml"], []byte("hpa.yaml")) != s.hpa {
			t.Errorf("at %s: kustomization lists hpa.yaml wrongly:\n%s", s.phase, files["demo/kustomization.yaml"])
		}
		// What is on disk builds.
		tree := files.Prefix("overlays")
		for p, data := range w.templates() {
			tree["templates/"+p] = data
		}
		built, err := kbuild.Build(tree, "overlays/demo")
		if err != nil {
			t.Fatalf("at %s: %v", s.phase, err)
		}
		if bytes.Contains(built, []byte("kind: HorizontalPodAutoscaler")) != s.hpa {
			t.Errorf("at %s: built HPA present %v", s.phase, !s.hpa)
		}
		if code, stdout, _ := w.run("check"); code != ExitOK {
			t.Errorf("at %s: check exit %d\n%s", s.phase, code, stdout)
		}
	}
}

func (w *workspace) templates() fileset.Set {
	w.t.Helper()
	files, err := atomicfs.Read(w.path("templates"))
	if err != nil {
		w.t.Fatal(err)
	}
	return files
}

// TestInterruptedRenderLeavesPreviousTree lives in
// testdata/script/render_interrupted.txtar: it limits the file size of a
// child process, never of this test process.

func TestBuildCommand(t *testing.T) {
	w := newWorkspace(t, shippedConfig)
	one, _ := w.mustRun("build", "production")
	if strings.HasPrefix(one, "#") || !strings.HasPrefix(one, "apiVersion: ") {
		t.Errorf("build of one environment is not the plain kustomize output:\n%.200s", one)
	}
	all, _ := w.mustRun("build")
	if !strings.HasPrefix(all, "# environment: production (phase pre-launch)\napiVersion: ") {
		t.Errorf("build of all environments does not start with its comment line:\n%.200s", all)
	}
	if !strings.Contains(all, "\n---\n# environment: staging (phase beta)\napiVersion: ") {
		t.Errorf("staging not introduced by a comment line after a separator")
	}
	if !strings.Contains(all, one) {
		t.Error("the stream does not hold production's build")
	}
	at, _ := w.mustRun("build", "production", "--phase", "scale-out")
	if !strings.Contains(at, "phasegen.dev/phase: scale-out") || !strings.Contains(at, "maxReplicas: 70") || !strings.Contains(at, "replicas: 34") {
		t.Errorf("build --phase scale-out:\n%s", at)
	}
	if _, err := os.Stat(w.path("overlays")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("build wrote overlays/: %v", err)
	}
	for _, args := range [][]string{{"build", "--phase", "beta"}, {"build", "production", "staging", "--phase", "beta"}} {
		if code, _, stderr := w.run(args...); code != ExitUsage || !strings.Contains(stderr, "exactly one") {
			t.Errorf("%v: exit %d, want 2\n%s", args, code, stderr)
		}
	}
	if code, _, _ := w.run("build", "production", "--phase", "gamma"); code != ExitError {
		t.Errorf("unknown phase: exit %d, want 1", code)
	}
	if code, _, _ := w.run("build", "nope"); code != ExitError {
		t.Errorf("unknown environment: exit %d, want 1", code)
	}
}
