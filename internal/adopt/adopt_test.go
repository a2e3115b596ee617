package adopt

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/coditect/phasegen/internal/base"
	"github.com/coditect/phasegen/internal/config"
)

// api is a Deployment the tests' inputs share.
const api = `apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  replicas: 2
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
      - name: api
        image: example/api:1
        resources: {requests: {cpu: 100m, memory: 64Mi}, limits: {cpu: 200m, memory: 128Mi}}
`

// canary is a Secret value no file init writes may hold, in any form.
const canary = "CANARY-secret-value-7f3a"

// inputs writes files (name → content) under a new directory and returns it.
func writeInputs(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func generate(t *testing.T, o Options) *Result {
	t.Helper()
	r, err := Generate(o)
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	return r
}

func refused(t *testing.T, o Options, want ...string) {
	t.Helper()
	r, err := Generate(o)
	if err == nil {
		t.Fatalf("Generate accepted the inputs, want a refusal saying %q; wrote %v", want, r.Files.Paths())
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not say %q", err, w)
		}
	}
	if strings.Contains(err.Error(), "a bug") {
		t.Errorf("a valid input ends in a bug report: %v", err)
	}
}

func noteWith(t *testing.T, r *Result, want ...string) {
	t.Helper()
	for _, n := range append(r.Notes, r.Warnings...) {
		ok := true
		for _, w := range want {
			ok = ok && strings.Contains(n, w)
		}
		if ok {
			return
		}
	}
	t.Errorf("no note says all of %q; notes:\n%s", want, strings.Join(append(r.Notes, r.Warnings...), "\n"))
}

// Item 1: a Secret's values, from an export or from a secretGenerator over
// a git-ignored file, never reach a file init writes; the Secret is named.
func TestInitLeavesSecretValuesOut(t *testing.T) {
	b64 := "Q0FOQVJZLXNlY3JldC12YWx1ZS03ZjNh" // base64 of canary
	exported := writeInputs(t, map[string]string{"app.yaml": api + `---
apiVersion: v1
kind: Secret
metadata: {name: creds, namespace: shop}
data: {password: ` + b64 + `}
stringData: {token: ` + canary + `}
`})
	generated := writeInputs(t, map[string]string{
		"kustomization.yaml": "resources: [app.yaml]\nsecretGenerator:\n- name: creds\n  envs: [.env]\n",
		"app.yaml":           api,
		".env":               "PASSWORD=" + canary + "\n",
	})
	for name, dir := range map[string]string{"exported": exported, "secretGenerator": generated} {
		t.Run(name, func(t *testing.T) {
			r := generate(t, Options{From: []string{dir}})
			for p, data := range r.Files {
				if strings.Contains(string(data), canary) || strings.Contains(string(data), b64) {
					t.Errorf("%s holds the Secret's value", p)
				}
				if strings.HasPrefix(p, "templates/base/secret-") {
					t.Errorf("%s written", p)
				}
			}
			if len(r.Warnings) == 0 || !strings.Contains(r.Warnings[0], "Secret/creds") || !strings.Contains(r.Warnings[0], "--include-secrets") {
				t.Errorf("the Secret is not named loudly: warnings %q", r.Warnings)
			}
		})
	}
	// Deliberately: the flag writes it.
	r := generate(t, Options{From: []string{exported}, IncludeSecrets: true})
	if _, ok := r.Files["templates/base/secret-creds.yaml"]; !ok {
		t.Errorf("--include-secrets did not write the Secret: %v", r.Files.Paths())
	}
}

// Item 5: a Kustomize directory with a remote resource, base or component
// is refused at its line before anything is fetched: the server is never
// asked, so one that never answers cannot hang init.
func TestInitNeverFetches(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		<-r.Context().Done() // a silent server
	}))
	defer srv.Close()
	cases := map[string]struct{ kustomization, want string }{
		"url resource": {"resources:\n- app.yaml\n- " + srv.URL + "/x.yaml\n", ":3: resources: \"" + srv.URL + "/x.yaml\" is a remote reference"},
		"git base":     {"resources:\n- app.yaml\n- github.com/example/app//base?ref=v1\n", ":3: resources: \"github.com/example/app//base?ref=v1\" is a remote reference"},
		"remote patch": {"resources: [app.yaml]\npatches:\n- path: " + srv.URL + "/p.yaml\n", ":3: patches: "},
		"missing":      {"resources:\n- app.yaml\n- ../elsewhere/base\n", ":3: resources: \"../elsewhere/base\" does not exist on disk"},
		"helm":         {"resources: [app.yaml]\nhelmCharts:\n- name: redis\n  repo: " + srv.URL + "\n", ":2: helmCharts"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			dir := writeInputs(t, map[string]string{"kustomization.yaml": c.kustomization, "app.yaml": api})
			done := make(chan struct{})
			go func() {
				defer close(done)
				refused(t, Options{From: []string{dir}}, filepath.Join(dir, "kustomization.yaml")+c.want)
			}()
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				t.Fatal("init is still running after 30 s")
			}
		})
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the server was asked %d times", n)
	}
}

// Item 6: an HPA of an Argo Rollout among the inputs passes through; it is
// never dropped (Argo CD would prune the live one).
func TestInitKeepsHPAOfOtherKinds(t *testing.T) {
	dir := writeInputs(t, map[string]string{"app.yaml": api + `---
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: web, namespace: shop}
spec: {replicas: 2}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web, namespace: shop}
spec:
  scaleTargetRef: {apiVersion: argoproj.io/v1alpha1, kind: Rollout, name: web}
  minReplicas: 2
  maxReplicas: 4
`})
	r := generate(t, Options{From: []string{dir}})
	if _, ok := r.Files["templates/base/horizontalpodautoscaler-web.yaml"]; !ok {
		t.Errorf("the Rollout's HPA is not in the base: %v", r.Files.Paths())
	}
	noteWith(t, r, "passed through HorizontalPodAutoscaler/web", "Rollout/web")
}

// Item 7: a PDB over two workloads, and workloads whose selectors overlap,
// are refused (each pod would be under two budgets); a PDB over none passes
// through.
func TestInitRefusesBudgetsOverSeveralWorkloads(t *testing.T) {
	worker := strings.NewReplacer("name: api", "name: worker", "app: api}}\n  template:\n    metadata: {labels: {app: api}}",
		"app: api, role: worker}}\n  template:\n    metadata: {labels: {app: api, role: worker}}").Replace(api)
	worker = strings.Replace(strings.Replace(worker, "selector: {matchLabels: {app: api}}", "selector: {matchLabels: {app: api, role: worker}}", 1),
		"metadata: {labels: {app: api}}", "metadata: {labels: {app: api, role: worker}}", 1)
	shared := writeInputs(t, map[string]string{"app.yaml": strings.Replace(api, "{app: api}", "{app: api, role: web}", 2) + "---\n" + worker + `---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: all, namespace: shop}
spec:
  minAvailable: 3
  selector: {matchLabels: {app: api}}
`})
	refused(t, Options{From: []string{shared}}, "PodDisruptionBudget/all", "selects the pods of api and worker", "two budgets")

	overlap := writeInputs(t, map[string]string{"app.yaml": api + "---\n" + worker})
	refused(t, Options{From: []string{overlap}}, "Deployment api's selector (app=api) also selects the pods of Deployment worker", "eviction API")

	other := writeInputs(t, map[string]string{"app.yaml": api + `---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web, namespace: shop}
spec:
  maxUnavailable: 1
  selector: {matchLabels: {app: web}}
`})
	r := generate(t, Options{From: []string{other}})
	if _, ok := r.Files["templates/base/poddisruptionbudget-web.yaml"]; !ok {
		t.Errorf("a PDB of no workload is not passed through: %v", r.Files.Paths())
	}
	noteWith(t, r, "passed through PodDisruptionBudget/web", "selects none of the workloads")
}

// Item 8: what a controller made (kubectl get all) is left out, named.
func TestInitLeavesControllerOwnedObjectsOut(t *testing.T) {
	dir := writeInputs(t, map[string]string{"all.yaml": `apiVersion: v1
kind: List
items:
- ` + strings.ReplaceAll(strings.TrimSpace(api), "\n", "\n  ") + `
- apiVersion: apps/v1
  kind: ReplicaSet
  metadata:
    name: api-5d8f
    namespace: shop
    ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: api, uid: u1, controller: true}]
  spec:
    selector: {matchLabels: {app: api}}
    template: {metadata: {labels: {app: api}}, spec: {containers: [{name: api, image: example/api:1}]}}
- apiVersion: v1
  kind: Pod
  metadata:
    name: api-5d8f-x2x9k
    namespace: shop
    ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: api-5d8f, uid: u2, controller: true}]
  spec: {nodeName: node-1, containers: [{name: api, image: example/api:1}]}
`})
	r := generate(t, Options{From: []string{dir}})
	for _, p := range r.Files.Paths() {
		if strings.Contains(p, "replicaset") || strings.Contains(p, "pod-") {
			t.Errorf("%s written", p)
		}
	}
	noteWith(t, r, "left out ReplicaSet/api-5d8f", "Deployment/api makes it")
	noteWith(t, r, "left out Pod/api-5d8f-x2x9k", "ReplicaSet/api-5d8f makes it")
}

// Item 9: with --namespace, an object of another namespace is left out
// and said; a cluster-scoped kind Kustomize does not know is left out, not
// given a namespace; one it knows passes through without a namespace.
func TestInitNamespaces(t *testing.T) {
	dir := writeInputs(t, map[string]string{"app.yaml": strings.ReplaceAll(api, "namespace: shop", "namespace: shop-old") + `---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: api, namespace: monitoring}
spec: {selector: {matchLabels: {app: api}}, endpoints: [{port: http}]}
---
apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata: {name: letsencrypt}
spec: {acme: {server: https://acme.example/directory}}
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: fast}
provisioner: example.com/fast
`})
	r := generate(t, Options{From: []string{dir}, Namespace: "shop-old"})
	noteWith(t, r, "left out ServiceMonitor/api", "namespace monitoring")
	noteWith(t, r, "left out ClusterIssuer/letsencrypt", "cluster-scoped")
	for _, p := range r.Files.Paths() {
		if strings.Contains(p, "servicemonitor") || strings.Contains(p, "clusterissuer") {
			t.Errorf("%s written", p)
		}
	}
	if _, ok := r.Files["templates/base/storageclass-fast.yaml"]; !ok {
		t.Errorf("the StorageClass is not passed through")
	}
}

// Item 10: valid inputs that once ended in "a bug; please report it".
func TestInitValidInputs(t *testing.T) {
	hpa := func(spec string) string {
		return api + "---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: api, namespace: shop}\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}\n" + spec
	}
	t.Run("replicas 0", func(t *testing.T) {
		r := generate(t, Options{From: []string{writeInputs(t, map[string]string{"a.yaml": strings.Replace(api, "replicas: 2", "replicas: 0", 1)})}})
		if !strings.Contains(string(r.Files["environments/phases/current.yaml"]), "replicas: 0") {
			t.Errorf("phase:\n%s", r.Files["environments/phases/current.yaml"])
		}
	})
	t.Run("v1 HPA without a target", func(t *testing.T) {
		in := api + "---\napiVersion: autoscaling/v1\nkind: HorizontalPodAutoscaler\nmetadata: {name: api, namespace: shop}\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}\n  maxReplicas: 5\n"
		r := generate(t, Options{From: []string{writeInputs(t, map[string]string{"a.yaml": in})}})
		if !strings.Contains(string(r.Files["environments/phases/current.yaml"]), "targetCPUUtilizationPercentage: 80") {
			t.Errorf("phase:\n%s", r.Files["environments/phases/current.yaml"])
		}
		noteWith(t, r, "the API server's default, 80% CPU")
	})
	t.Run("minReplicas 0", func(t *testing.T) {
		in := hpa("  minReplicas: 0\n  maxReplicas: 5\n  metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}}]\n")
		refused(t, Options{From: []string{writeInputs(t, map[string]string{"a.yaml": in})}}, "spec.minReplicas is 0", "HPAScaleToZero")
	})
	t.Run("a dotted name", func(t *testing.T) {
		r := generate(t, Options{App: "shop", From: []string{writeInputs(t, map[string]string{"a.yaml": strings.Replace(api, "name: api,", "name: api.v2,", 1)})}})
		if !strings.Contains(string(r.Files["environments/capacity.yaml"]), "    api.v2:\n") {
			t.Errorf("capacity:\n%s", r.Files["environments/capacity.yaml"])
		}
	})
	t.Run("an exported HPA's filled-in behavior", func(t *testing.T) {
		in := hpa(`  minReplicas: 2
  maxReplicas: 6
  metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}}]
  behavior:
    scaleUp:
      stabilizationWindowSeconds: 60
      selectPolicy: Max
      policies: [{type: Pods, value: 2, periodSeconds: 60}]
    scaleDown:
      selectPolicy: Max
      policies: [{type: Percent, value: 100, periodSeconds: 15}]
`)
		r := generate(t, Options{From: []string{writeInputs(t, map[string]string{"a.yaml": in})}})
		phase := string(r.Files["environments/phases/current.yaml"])
		if !strings.Contains(phase, "scaleUp: {stabilizationWindowSeconds: 60, pods: 2, periodSeconds: 60}") || strings.Contains(phase, "scaleDown") {
			t.Errorf("phase:\n%s", phase)
		}
	})
}

// Item 11: a FIFO is refused without waiting for a writer; a file over the
// cap inside a Kustomize directory is refused by its own name; an object
// name that is no path segment is refused, not crashed on.
func TestInitBounds(t *testing.T) {
	t.Run("fifo", func(t *testing.T) {
		dir := writeInputs(t, map[string]string{"app.yaml": api})
		if err := syscall.Mkfifo(filepath.Join(dir, "pipe.yaml"), 0o644); err != nil {
			t.Skip("no FIFOs here:", err)
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			refused(t, Options{From: []string{filepath.Join(dir, "pipe.yaml")}}, "pipe.yaml: not a regular file")
			refused(t, Options{From: []string{dir}}, "pipe.yaml: not a regular file")
		}()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Fatal("init waits on the FIFO")
		}
	})
	t.Run("cap in a kustomize directory", func(t *testing.T) {
		big := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n  x: \"" + strings.Repeat("a", MaxFileSize) + "\"\n"
		dir := writeInputs(t, map[string]string{"kustomization.yaml": "resources: [app.yaml, big.yaml]\n", "app.yaml": api, "big.yaml": big})
		refused(t, Options{From: []string{dir}}, filepath.Join(dir, "big.yaml")+": larger than 1048576 bytes")
	})
	t.Run("names", func(t *testing.T) {
		for _, name := range []string{"../../etc/x", "a/b", "..", "x\x1b[2J"} {
			in := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: \"" + strings.ReplaceAll(name, "\x1b", `\e`) + "\"}\n---\n" + api
			refused(t, Options{From: []string{writeInputs(t, map[string]string{"a.yaml": in})}}, "is not a name the API server accepts")
		}
	})
}

// What init writes loads as phasegen loads it, for every test above that
// accepts its inputs.
func TestInitWritesLoadableConfiguration(t *testing.T) {
	dir := writeInputs(t, map[string]string{"app.yaml": strings.Replace(api, "replicas: 2", "replicas: 0", 1)})
	r := generate(t, Options{From: []string{dir}})
	root := t.TempDir()
	for p, data := range r.Files {
		f := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := config.Load(filepath.Join(root, "environments"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := base.Load(os.DirFS(filepath.Join(root, "templates")))
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Phases[0].For("api").Spec.Replicas; got != 0 || len(b.Workloads) != 1 {
		t.Errorf("replicas %d, workloads %v", got, b.WorkloadNames())
	}
	// The next phase the phase file shows, uncommented, extends it.
	phaseFile := cfg.Phases[0].Source.File
	data, err := os.ReadFile(phaseFile)
	if err != nil {
		t.Fatal(err)
	}
	_, example, ok := strings.Cut(string(data), "lists only what changes:\n")
	if !ok {
		t.Fatalf("the phase file shows no next phase:\n%s", data)
	}
	var next strings.Builder
	next.WriteString("apiVersion: " + config.APIVersion + "\n")
	for _, line := range strings.Split(strings.TrimSpace(example), "\n") {
		next.WriteString(strings.TrimPrefix(line, "#   ") + "\n")
	}
	if err := os.WriteFile(filepath.Join(filepath.Dir(phaseFile), "launch.yaml"), []byte(next.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err = config.Load(filepath.Join(root, "environments"))
	if err != nil {
		t.Fatalf("the next phase init shows: %v\n%s", err, next.String())
	}
	launch, _ := cfg.Phase("launch")
	if launch == nil || launch.Spec.Extends != cfg.Phases[0].Metadata.Name || launch.For("api").Spec.Replicas != 4 {
		t.Errorf("launch: %+v", launch)
	}
}
