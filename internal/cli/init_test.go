package cli_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/coditect/phasegen/internal/cli"
	"github.com/coditect/phasegen/internal/manifest"
)

// The app as it runs: a kind: List with a Deployment (two containers, no
// replicas: its HPA owns them) and its HPA, a StatefulSet with a volume
// claim, a sidecar and a PDB of its own, a Service, and an HPA of something
// else; exported with what a cluster adds.
const initInputs = `# the shop, as kubectl get -o yaml gave it
apiVersion: v1
kind: List
items:
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: api
    namespace: shop
    labels: {app: api}
    uid: 0b7e1d2c-1111-2222-3333-444455556666
    resourceVersion: "12345"
    annotations: {kubectl.kubernetes.io/last-applied-configuration: "{}", team: web}
  spec:
    selector: {matchLabels: {app: api}}
    template:
      metadata: {labels: {app: api}}
      spec:
        containers:
        - name: server
          image: example/api:1
          resources: {requests: {cpu: 250m, memory: 256Mi}, limits: {cpu: "1", memory: 512Mi}}
        - name: shipper
          image: example/shipper:1
          resources: {requests: {cpu: 50m, memory: 64Mi}}
  status: {replicas: 3}
- apiVersion: autoscaling/v2
  kind: HorizontalPodAutoscaler
  metadata: {name: api, namespace: shop}
  spec:
    scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
    minReplicas: 3
    maxReplicas: 9
    metrics:
    - type: Resource
      resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}
    - type: Resource
      resource: {name: memory, target: {type: Utilization, averageUtilization: 80}}
    behavior:
      scaleUp:
        stabilizationWindowSeconds: 30
        policies: [{type: Pods, value: 2, periodSeconds: 60}]
      scaleDown:
        policies: [{type: Pods, value: 1, periodSeconds: 60}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: shop}
spec:
  serviceName: db
  replicas: 1
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers:
      - name: mysql
        image: mysql:8.4
        resources: {requests: {cpu: 500m, memory: 1Gi}, limits: {cpu: "1", memory: 2Gi}}
      - name: exporter
        image: prom/mysqld-exporter:v0.16.0
        resources: {requests: {cpu: 50m, memory: 64Mi}, limits: {cpu: 100m, memory: 128Mi}}
  volumeClaimTemplates:
  - metadata: {name: data}
    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 20Gi}}}
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop}
spec:
  selector: {app: api}
  ports: [{port: 80}]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: db, namespace: shop}
spec:
  maxUnavailable: 0
  selector: {matchLabels: {app: db}}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: worker, namespace: shop}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: worker}
  maxReplicas: 4
`

func initRun(t *testing.T, dir string, args ...string) (int, string) {
	t.Helper()
	t.Chdir(dir)
	a := cli.NewTestApp(t, nil)
	code := a.Run(args...)
	return code, a.Output()
}

// TestInitRoundTrip: init from the inputs, render, and build the
// environment: every input object comes back with its replicas, resources
// and everything else as it was (the cluster's additions dropped), the
// HPA's spec too, and the HPA of a workload not among the inputs as it is; phasegen adds only PDBs, PrometheusRules and the phase
// annotation; check is green. A second init refuses to overwrite.
func TestInitRoundTrip(t *testing.T) {
	in := filepath.Join(t.TempDir(), "app.yaml")
	if err := os.WriteFile(in, []byte(initInputs), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	code, out := initRun(t, dir, "init", "--from", in, "--app", "shop", "--container", "api=server", "--container", "db=mysql", "--gitops-repo", "acme/argocd-apps")
	if code != cli.ExitOK {
		t.Fatalf("init: exit %d\n%s", code, out)
	}
	for _, want := range []string{"passed through HorizontalPodAutoscaler/worker as it is: it scales Deployment/worker, which is no Deployment or StatefulSet among the inputs",
		"Deployment/api: dropped what the cluster adds", "passed through to the base as they are: Service/api"} {
		if !strings.Contains(out, want) {
			t.Errorf("init does not say %q:\n%s", want, out)
		}
	}
	if code, out := initRun(t, dir, "render"); code != cli.ExitOK {
		t.Fatalf("render: exit %d\n%s", code, out)
	}
	if code, out := initRun(t, dir, "check"); code != cli.ExitOK {
		t.Fatalf("check: exit %d\n%s", code, out)
	}
	a := cli.NewTestApp(t, nil)
	if code := a.Run("build", "production"); code != cli.ExitOK {
		t.Fatalf("build: exit %d\n%s", code, a.Output())
	}
	built := manifest.Split(a.Out.Bytes())
	var added []string
	for key := range built {
		if !strings.HasPrefix(key, "Deployment/") && !strings.HasPrefix(key, "StatefulSet/") && !strings.HasPrefix(key, "Service/") && !strings.HasPrefix(key, "HorizontalPodAutoscaler/") {
			added = append(added, key)
		}
	}
	if got := strings.Join(sortedStrings(added), ","); got != "PodDisruptionBudget/api-pdb,PodDisruptionBudget/db-pdb,PrometheusRule/api-alerts,PrometheusRule/db-alerts" {
		t.Errorf("phasegen's additions: %s", got)
	}
	want := map[string]string{
		// phasegen writes the HPA's floor as replicas, never leaving the
		// field out (a sync would then take the Deployment to 1 pod).
		"Deployment/api": `apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop, labels: {app: api}, annotations: {team: web}}
spec:
  replicas: 3
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
      - name: server
        image: example/api:1
        resources: {requests: {cpu: 250m, memory: 256Mi}, limits: {cpu: "1", memory: 512Mi}}
      - name: shipper
        image: example/shipper:1
        resources: {requests: {cpu: 50m, memory: 64Mi}}
`,
		"StatefulSet/db": strings.SplitN(strings.SplitN(initInputs, "---\n", 3)[1], "---", 2)[0],
		"Service/api": `apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop}
spec:
  selector: {app: api}
  ports: [{port: 80}]
`,
	}
	for key, w := range want {
		got := decodedObject(t, built[key])
		if exp := decodedObject(t, []byte(w)); !reflect.DeepEqual(got, exp) {
			t.Errorf("%s built as\n%v\nwant the input\n%v", key, got, exp)
		}
	}
	// The StatefulSet's own PDB became the phase's pdb: one budget, its.
	if pdb := decodedObject(t, built["PodDisruptionBudget/db-pdb"]); pdb["spec"].(map[string]any)["maxUnavailable"] != float64(0) {
		t.Errorf("db-pdb: %v, want the input's maxUnavailable: 0", pdb["spec"])
	}
	checkInitHPA(t, built["HorizontalPodAutoscaler/api-hpa"])
	checkInitRefusesOverwrite(t, dir, in)
}

// checkInitHPA: the HPA built is the input's, spec for spec.
func checkInitHPA(t *testing.T, built []byte) {
	t.Helper()
	var hpa autoscalingv2.HorizontalPodAutoscaler
	if err := sigsyaml.Unmarshal(built, &hpa); err != nil {
		t.Fatal(err)
	}
	var in2 autoscalingv2.HorizontalPodAutoscaler
	if err := sigsyaml.Unmarshal([]byte(hpaOf(initInputs)), &in2); err != nil {
		t.Fatal(err)
	}
	// The input's scale-down window is the API's default, 300 s, which
	// phasegen writes out.
	w := int32(300)
	in2.Spec.Behavior.ScaleDown.StabilizationWindowSeconds = &w
	if !reflect.DeepEqual(hpa.Spec, in2.Spec) {
		t.Errorf("HPA spec\n%+v\nwant the input's\n%+v", hpa.Spec, in2.Spec)
	}

}

// checkInitRefusesOverwrite: a second init exits 1, naming the files, and
// changes nothing.
func checkInitRefusesOverwrite(t *testing.T, dir, in string) {
	t.Helper()
	before := listFiles(t, dir)
	code, out := initRun(t, dir, "init", "--from", in, "--app", "shop", "--container", "api=server", "--container", "db=mysql")
	if code != cli.ExitError || !strings.Contains(out, "refusing to overwrite environments/capacity.yaml, environments/phases/current.yaml, environments/production.yaml") {
		t.Errorf("second init: exit %d\n%s", code, out)
	}
	if after := listFiles(t, dir); !reflect.DeepEqual(before, after) {
		t.Error("a refused init changed the directory")
	}
}

// hpaOf is the api HPA of the inputs, as a document of its own.
func hpaOf(s string) string {
	i := strings.Index(s, "- apiVersion: autoscaling/v2")
	j := strings.Index(s, "---\napiVersion: apps/v1\nkind: StatefulSet")
	lines := strings.Split(s[i:j], "\n")
	for k := range lines {
		lines[k] = strings.TrimPrefix(strings.TrimPrefix(lines[k], "- "), "  ")
	}
	return strings.Join(lines, "\n")
}

func decodedObject(t *testing.T, data []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := sigsyaml.Unmarshal(data, &m); err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	// The phase annotation is phasegen's addition: drop it, and the
	// annotations it leaves empty.
	md := m["metadata"].(map[string]any)
	if ann, ok := md["annotations"].(map[string]any); ok {
		delete(ann, "phasegen.dev/phase")
		if len(ann) == 0 {
			delete(md, "annotations")
		}
	}
	return m
}

func sortedStrings(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func listFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		out[p] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
