package argocd

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/yaml"
)

// argoCD is Argo CD's API server, application controller and repo-server
// (one binary, built from the module proxy) with a redis-server, run as
// processes of the test against the cluster.
type argoCD struct {
	url   string // the API server, plain HTTP
	token string // an API token of account phasegen, which may only get applications
	logs  string // the folder of the processes' logs
}

// binDir builds, once per Argo CD version (kept in the user's cache
// folder), the argocd and kustomize binaries of module argocdbin, with Go
// 1.27 for that module alone, and puts git-verify-wrapper.sh (which the
// repo-server runs for every manifest) beside them. It returns the folder
// and Argo CD's module folder.
func binDir(t *testing.T) (string, string) {
	t.Helper()
	// go mod download fetches the module (go list -m would name no folder
	// for one not in the module cache yet) and says where it is.
	var mod struct{ Dir, Version string }
	if err := json.Unmarshal(goIn(t, "argocdbin", "mod", "download", "-json", "github.com/argoproj/argo-cd/v3"), &mod); err != nil || mod.Dir == "" || mod.Version == "" {
		t.Fatalf("go mod download of Argo CD's module: %v (%+v)", err, mod)
	}
	modDir, version := mod.Dir, mod.Version
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(cache, "phasegen-test-argocd", version)
	for _, b := range []struct{ name, pkg string }{{"argocd", "github.com/argoproj/argo-cd/v3/cmd"}, {"kustomize", "sigs.k8s.io/kustomize/kustomize/v5"}} {
		if _, err := os.Stat(filepath.Join(dir, b.name)); err == nil {
			continue
		}
		tmp := filepath.Join(dir, b.name+".tmp")
		start := time.Now()
		goIn(t, "argocdbin", "build", "-o", tmp, b.pkg)
		if err := os.Rename(tmp, filepath.Join(dir, b.name)); err != nil {
			t.Fatal(err)
		}
		t.Logf("built %s in %s", b.name, time.Since(start).Round(time.Second))
	}
	wrapper, err := os.ReadFile(filepath.Join(modDir, "hack", "git-verify-wrapper.sh"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "git-verify-wrapper.sh"), wrapper, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir, modDir
}

// goIn runs go in sub (a folder of this module) with Go 1.27.
func goIn(t *testing.T, sub string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = sub
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=go1.27.3", "GOFLAGS=-mod=mod")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("go %v in %s: %v\n%s", args, sub, err, errb.String())
	}
	return out.Bytes()
}

// freePort returns a loopback port free now.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startProcess starts a process of the stack, its output in logs/name.log,
// ended (its whole process group) when the test ends.
func startProcess(t *testing.T, logs, name string, env []string, bin string, args ...string) {
	t.Helper()
	f, err := os.Create(filepath.Join(logs, name+".log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env, cmd.Stdout, cmd.Stderr = env, f, f
	// Its own group, ended whole; and killed with the test binary if that
	// dies first (a panic skips the cleanups).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
		_ = f.Close()
	})
}

func startArgoCD(t *testing.T, c *cluster) *argoCD {
	t.Helper()
	bin, modDir := binDir(t)
	c.namespace(t, "argocd")
	installCRDs(t, c, modDir)
	password := configure(t, c, modDir)

	work := t.TempDir()
	logs := filepath.Join(work, "logs")
	// PHASEGEN_ARGOCD_LOGS keeps the processes' logs in that folder, whole,
	// after the test.
	if dir := os.Getenv("PHASEGEN_ARGOCD_LOGS"); dir != "" {
		logs = dir
	}
	for _, d := range []string{logs, "tls", "ssh", "gpg", "home"} {
		if err := os.MkdirAll(filepath.Join(work, d), 0o700); err != nil && d != logs {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(logs, 0o755); err != nil {
		t.Fatal(err)
	}
	redis, repo, api := freePort(t), freePort(t), freePort(t)
	startProcess(t, logs, "redis", os.Environ(), "redis-server", "--port", fmt.Sprint(redis), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	env := func(component string) []string {
		return append(os.Environ(), "ARGOCD_BINARY_NAME="+component, "ARGOCD_FAKE_IN_CLUSTER=true", "KUBECONFIG="+c.kubeconfig,
			"HOME="+filepath.Join(work, "home"), "ARGOCD_TLS_DATA_PATH="+filepath.Join(work, "tls"), "ARGOCD_SSH_DATA_PATH="+filepath.Join(work, "ssh"),
			"ARGOCD_GNUPGHOME="+filepath.Join(work, "gpg"), "ARGOCD_GPG_ENABLED=false", "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	}
	argocd := filepath.Join(bin, "argocd")
	redisAddr, repoAddr := fmt.Sprintf("127.0.0.1:%d", redis), fmt.Sprintf("127.0.0.1:%d", repo)
	startProcess(t, logs, "repo-server", env("argocd-repo-server"), argocd,
		"--port", fmt.Sprint(repo), "--metrics-port", fmt.Sprint(freePort(t)), "--redis", redisAddr, "--otlp-address", "")
	startProcess(t, logs, "application-controller", env("argocd-application-controller"), argocd,
		"--redis", redisAddr, "--repo-server", repoAddr, "--metrics-port", fmt.Sprint(freePort(t)), "--app-resync", "5",
		"--self-heal-timeout-seconds", "1", "--otlp-address", "", "--commit-server", "127.0.0.1:1",
		"--application-namespaces", appNamespace)
	startProcess(t, logs, "server", env("argocd-server"), argocd,
		"--insecure", "--port", fmt.Sprint(api), "--metrics-port", fmt.Sprint(freePort(t)), "--redis", redisAddr,
		"--repo-server", repoAddr, "--dex-server", "", "--otlp-address", "", "--application-namespaces", appNamespace)
	a := &argoCD{url: fmt.Sprintf("http://127.0.0.1:%d", api), logs: logs}
	t.Cleanup(func() {
		if t.Failed() {
			a.dumpLogs(t)
		}
	})
	admin := a.login(t, password)
	a.token = a.apiToken(t, admin)
	return a
}

// installCRDs creates Argo CD's CRDs from its module (created, not
// applied: the ApplicationSet CRD is too big for a client-side apply) and
// the PrometheusRule CRD phasegen's overlays need, and waits until they
// are served.
func installCRDs(t *testing.T, c *cluster, modDir string) {
	t.Helper()
	client, err := apiextensionsclient.NewForConfig(c.cfg)
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(modDir, "manifests", "crds", "*-crd.yaml"))
	if err != nil || len(files) < 3 {
		t.Fatalf("Argo CD's CRDs in %s: %v (%d files)", modDir, err, len(files))
	}
	var docs [][]byte
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, data)
	}
	for _, doc := range splitYAML(goRoot(t, "run", "./internal/argocd/crdtest/crdfile")) {
		if bytes.Contains(doc, []byte("name: prometheusrules.monitoring.coreos.com")) {
			docs = append(docs, doc)
		}
	}
	ctx := context.Background()
	for _, doc := range docs {
		var crd apiextensionsv1.CustomResourceDefinition
		if err := yaml.Unmarshal(doc, &crd); err != nil {
			t.Fatalf("decoding a CRD: %v", err)
		}
		if _, err := client.ApiextensionsV1().CustomResourceDefinitions().Create(ctx, &crd, metav1.CreateOptions{}); err != nil {
			t.Fatalf("creating CRD %s: %v", crd.Name, err)
		}
		err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
			got, err := client.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, crd.Name, metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			for _, cond := range got.Status.Conditions {
				if cond.Type == apiextensionsv1.Established && cond.Status == apiextensionsv1.ConditionTrue {
					return true, nil
				}
			}
			return false, nil
		})
		if err != nil {
			t.Fatalf("CRD %s not established: %v", crd.Name, err)
		}
	}
}

// configure creates Argo CD's configuration from its module's
// manifests/base/config, with an admin password, a server key, account
// phasegen (API keys, may get applications and nothing else) and a fast
// reconciliation; it returns the admin password.
func configure(t *testing.T, c *cluster, modDir string) string {
	t.Helper()
	ctx := context.Background()
	files, err := filepath.Glob(filepath.Join(modDir, "manifests", "base", "config", "argocd-*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("Argo CD's configuration in %s: %v", modDir, err)
	}
	password := randomHex(t)
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var kind struct{ Kind string }
		if err := yaml.Unmarshal(data, &kind); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		switch kind.Kind {
		case "ConfigMap":
			var cm corev1.ConfigMap
			if err := yaml.Unmarshal(data, &cm); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if cm.Data == nil {
				cm.Data = map[string]string{}
			}
			switch cm.Name {
			case "argocd-cm":
				cm.Data["accounts.phasegen"] = "apiKey"
				cm.Data["admin.enabled"] = "true"
				cm.Data["timeout.reconciliation"] = "5s"
			case "argocd-rbac-cm":
				cm.Data["policy.csv"] = "p, phasegen, applications, get, */*, allow\n"
			}
			if _, err := c.cs.CoreV1().ConfigMaps("argocd").Create(ctx, &cm, metav1.CreateOptions{}); err != nil {
				t.Fatalf("ConfigMap %s: %v", cm.Name, err)
			}
		case "Secret":
			var s corev1.Secret
			if err := yaml.Unmarshal(data, &s); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			s.StringData = map[string]string{"admin.password": string(hash), "admin.passwordMtime": time.Now().UTC().Format(time.RFC3339),
				"server.secretkey": randomHex(t)}
			if _, err := c.cs.CoreV1().Secrets("argocd").Create(ctx, &s, metav1.CreateOptions{}); err != nil {
				t.Fatalf("Secret %s: %v", s.Name, err)
			}
		}
	}
	return password
}

func randomHex(t *testing.T) string {
	t.Helper()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// post sends a JSON body to the API server, as bearer when not empty, and
// decodes the answer into out, retrying while the server starts (up to
// two minutes).
func (a *argoCD) post(t *testing.T, path, bearer string, body, out any) {
	t.Helper()
	data, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	var last string
	err = wait.PollUntilContextTimeout(context.Background(), 250*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.url+path, bytes.NewReader(data))
		if err != nil {
			return false, err
		}
		req.Header.Set("Content-Type", "application/json")
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			last = err.Error()
			return false, nil
		}
		defer resp.Body.Close()
		var buf bytes.Buffer
		_, _ = buf.ReadFrom(resp.Body)
		switch {
		case resp.StatusCode >= 500:
			last = fmt.Sprintf("%d %s", resp.StatusCode, buf.String())
			return false, nil
		case resp.StatusCode != http.StatusOK:
			return false, fmt.Errorf("%d %s", resp.StatusCode, buf.String())
		}
		return true, json.Unmarshal(buf.Bytes(), out)
	})
	if err != nil {
		t.Fatalf("argo cd POST %s: %v (last answer: %s)", path, err, last)
	}
}

// login opens an admin session.
func (a *argoCD) login(t *testing.T, password string) string {
	t.Helper()
	var s struct{ Token string }
	a.post(t, "/api/v1/session", "", map[string]string{"username": "admin", "password": password}, &s)
	if s.Token == "" {
		t.Fatal("argo cd gave no session token")
	}
	return s.Token
}

// apiToken makes an API token for account phasegen.
func (a *argoCD) apiToken(t *testing.T, admin string) string {
	t.Helper()
	var s struct{ Token string }
	a.post(t, "/api/v1/account/phasegen/token", admin, map[string]string{}, &s)
	if s.Token == "" {
		t.Fatal("argo cd gave no API token for account phasegen")
	}
	return s.Token
}

// dumpLogs prints the end of every process's log.
func (a *argoCD) dumpLogs(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(a.logs, "*.log"))
	for _, f := range files {
		data, _ := os.ReadFile(f)
		if len(data) > 6000 {
			data = data[len(data)-6000:]
		}
		t.Logf("--- %s (end) ---\n%s", filepath.Base(f), data)
	}
}
