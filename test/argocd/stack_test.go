package argocd

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"
)

// stack is the cluster, Argo CD and a GitOps repository served over
// HTTPS, with the phasegen binary.
type stack struct {
	c        *cluster
	argo     *argoCD
	dyn      dynamic.Interface
	phasegen string
	bare     string // the GitOps repository, bare
	repoURL  string // its clone URL, as Argo CD reads it
	shapes   shapes
	health   *healthLog
}

var applications = schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "applications"}

func startStack(t *testing.T) *stack {
	t.Helper()
	if testing.Short() {
		t.Skip("the Argo CD stack does not run with -short")
	}
	start := time.Now()
	s := &stack{c: startCluster(t), shapes: shapes{paths: map[string]bool{}}}
	s.argo = startArgoCD(t, s.c)
	dyn, err := dynamic.NewForConfig(s.c.cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.dyn = dyn
	s.health = s.watchHealth(t)
	s.phasegen = filepath.Join(t.TempDir(), "phasegen")
	goRoot(t, "build", "-o", s.phasegen, "./cmd/phasegen")

	root := t.TempDir()
	seed := filepath.Join(t.TempDir(), "seed")
	if err := os.MkdirAll(seed, 0o755); err != nil {
		t.Fatal(err)
	}
	git(t, seed, "init", "-q", "-b", "main")
	if err := os.WriteFile(filepath.Join(seed, "README.md"), []byte("# Argo CD apps\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	git(t, seed, "add", ".")
	git(t, seed, "commit", "-qm", "init")
	s.bare = filepath.Join(root, "gitops.git")
	git(t, root, "clone", "-q", "--bare", seed, s.bare)
	s.repoURL = gitServer(t, root) + "/gitops.git"
	// Argo CD's credential for the repository: it skips verifying the
	// test server's certificate.
	_, err = s.c.cs.CoreV1().Secrets("argocd").Create(context.Background(), &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "gitops-repo", Labels: map[string]string{"argocd.argoproj.io/secret-type": "repository"}},
		StringData: map[string]string{"type": "git", "url": s.repoURL, "insecure": "true"},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("stack up in %s", time.Since(start).Round(100*time.Millisecond))
	return s
}

// config lays out a configuration from the shipped example at src (a
// folder of the repository): its environments pointing at the stack's
// GitOps repository.
func (s *stack) config(t *testing.T, src string) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{"environments", "templates"} {
		if err := copyTree(filepath.Join(repoRoot, src, d), filepath.Join(dir, d)); err != nil {
			t.Fatal(err)
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "environments", "*.yaml"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(data, []byte("kind: Environment")) {
			continue
		}
		data = bytes.Replace(data, []byte("  gitops:\n"), []byte("  gitops:\n    repoURL: "+s.repoURL+"\n"), 1)
		if err := os.WriteFile(f, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// run runs phasegen in dir; it returns stdout, stderr and the exit code.
func (s *stack) run(t *testing.T, dir string, args ...string) (string, string, int) {
	t.Helper()
	cmd := s.command(t, dir, args...)
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

// command is phasegen in dir with an isolated home and git configuration
// and the read-only Argo CD token.
func (s *stack) command(t *testing.T, dir string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(s.phasegen, args...)
	cmd.Dir = dir
	home := t.TempDir()
	cmd.Env = append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+home, "NO_COLOR=1",
		"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_SYSTEM=/dev/null", "ARGOCD_AUTH_TOKEN="+s.argo.token)
	return cmd
}

// must runs phasegen and wants exit 0; it returns stdout.
func (s *stack) must(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, errs, code := s.run(t, dir, args...)
	if code != 0 {
		t.Fatalf("phasegen %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errs)
	}
	return out
}

// promote promotes env of dir to phase by a branch of the GitOps
// repository and merges it; it returns main's new head.
func (s *stack) promote(t *testing.T, dir, env, phase string, flags ...string) string {
	t.Helper()
	_, head := s.promoteOut(t, dir, env, phase, flags...)
	return head
}

// promoteOut is promote that also returns what phasegen printed, stdout
// and stderr.
func (s *stack) promoteOut(t *testing.T, dir, env, phase string, flags ...string) (string, string) {
	t.Helper()
	args := append([]string{"promote", env, "--to", phase, "--git-dir", s.bare, "--allow-early"}, flags...)
	out, errs, code := s.run(t, dir, args...)
	if code != 0 {
		t.Fatalf("phasegen %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errs)
	}
	s.health.promoted(applicationName(t, dir, env))
	return out + errs, merge(t, s.bare, "phasegen/"+appName(t, dir)+"/"+env)
}

// appName is the metadata.name of dir's capacity model.
func appName(t *testing.T, dir string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "environments", "capacity.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Metadata struct{ Name string }
	}
	if err := yaml.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m.Metadata.Name
}

// applicationName is the key of env's Application (see appKey): its
// spec.argocd.applicationName, else <app>-<env>, in spec.argocd.namespace.
func applicationName(t *testing.T, dir, env string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "environments", env+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var e struct {
		Spec struct {
			ArgoCD struct {
				ApplicationName string `json:"applicationName"`
				Namespace       string `json:"namespace"`
			} `json:"argocd"`
		}
	}
	if err := yaml.Unmarshal(data, &e); err != nil {
		t.Fatal(err)
	}
	name := appName(t, dir) + "-" + env
	if n := e.Spec.ArgoCD.ApplicationName; n != "" {
		name = n
	}
	if ns := e.Spec.ArgoCD.Namespace; ns != "" && ns != "argocd" {
		return ns + "/" + name
	}
	return name
}

// applyParent creates, in Argo CD's namespace, the one parent Application
// phasegen prints for dir.
func (s *stack) applyParent(t *testing.T, dir string, args ...string) {
	t.Helper()
	out := s.must(t, dir, append([]string{"parent"}, args...)...)
	var obj map[string]any
	if err := yaml.Unmarshal([]byte(out), &obj); err != nil {
		t.Fatalf("phasegen parent: %v\n%s", err, out)
	}
	u := &unstructured.Unstructured{Object: obj}
	if _, err := s.dyn.Resource(applications).Namespace("argocd").Create(context.Background(), u, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating the parent Application: %v", err)
	}
}

// wait runs phasegen wait for env at the API server with the read-only
// token and wants exit 0.
func (s *stack) wait(t *testing.T, dir, env string, flags ...string) string {
	t.Helper()
	start := time.Now()
	out, errs, code := s.run(t, dir, append([]string{"wait", env, "--git-dir", s.bare, "--argocd-server", s.argo.url, "--timeout", "4m"}, flags...)...)
	if code != 0 {
		t.Fatalf("phasegen wait %s: exit %d after %s\n%s%s", env, code, time.Since(start).Round(time.Second), out, errs)
	}
	t.Logf("wait %s: %s", env, time.Since(start).Round(100*time.Millisecond))
	s.health.landedAt(applicationName(t, dir, env))
	return errs
}

// applicationNames lists the keys of the Applications in every namespace
// (see appKey).
func (s *stack) applicationNames(t *testing.T) []string {
	t.Helper()
	l, err := s.dyn.Resource(applications).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, a := range l.Items {
		out = append(out, keyOf(&a))
	}
	return out
}

// appKey splits an Application's key: its name alone in Argo CD's
// namespace, else "namespace/name".
func appKey(key string) (ns, name string) {
	if ns, name, ok := strings.Cut(key, "/"); ok {
		return ns, name
	}
	return "argocd", key
}

// keyOf is the key of the Application a (see appKey).
func keyOf(a metav1.Object) string {
	if a.GetNamespace() == "argocd" {
		return a.GetName()
	}
	return a.GetNamespace() + "/" + a.GetName()
}

// eventually polls cond (every 250ms, up to limit) until it holds.
func eventually(t *testing.T, limit time.Duration, what string, cond func() (bool, error)) {
	t.Helper()
	err := wait.PollUntilContextTimeout(context.Background(), 250*time.Millisecond, limit, true, func(context.Context) (bool, error) { return cond() })
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}
