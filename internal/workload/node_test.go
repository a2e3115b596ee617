package workload

import (
	"strings"
	"testing"

	"github.com/coditect/phasegen/internal/config"
)

// cassandra is a StatefulSet as real ones ship: a limit-only memory (the
// request defaults to it), a JMX exporter sidecar with requests only, and
// an init container that needs more CPU than the rest while it runs.
const cassandra = `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: cassandra}
spec:
  serviceName: cassandra
  selector: {matchLabels: {app: cassandra}}
  template:
    metadata: {labels: {app: cassandra}}
    spec:
      initContainers:
      - name: fix-perms
        image: busybox
        resources: {requests: {cpu: "3"}}
      - name: exporter
        image: jmx-exporter
        restartPolicy: Always
        resources: {requests: {cpu: 100m, memory: 128Mi}}
      containers:
      - name: cassandra
        image: cassandra:4.1
        resources:
          requests: {cpu: "1"}
          limits: {cpu: "2", memory: 4Gi}
`

func nodeSet(t *testing.T, node, sizing string) (*Set, *config.Phase, error) {
	t.Helper()
	return resolveApp(t, "cassandra", cassandra, "cassandra: {container: cassandra}", node, "    cassandra:\n      replicas: 3\n"+sizing)
}

// TestPodAt: what a pod asks, as the API server and the scheduler count
// it: the limit-only memory counts as its request, the sidecar adds to the
// containers, the larger init container's CPU wins, and a container
// without a memory limit is named.
func TestPodAt(t *testing.T) {
	s, p, err := nodeSet(t, "", "      resources: {limits: {memory: 8Gi}}\n")
	if err != nil {
		t.Fatal(err)
	}
	w := s.All[0]
	pod := w.PodAt(p.For(w.Name))
	cpu, mem := pod.Requests["cpu"], pod.Requests["memory"]
	limCPU, limMem := pod.Limits["cpu"], pod.Limits["memory"]
	// CPU: containers 1 + 0.1 = 1.1, the init container's 3 is more.
	// Memory: 8Gi (the phase's limit, the request defaulting to it) + 128Mi.
	if cpu.String() != "3" || mem.String() != "8320Mi" || limCPU.String() != "2" || limMem.String() != "8Gi" {
		t.Errorf("requests %s / %s, limits %s / %s; want 3 / 8320Mi, 2 / 8Gi", cpu.String(), mem.String(), limCPU.String(), limMem.String())
	}
	if got := strings.Join(pod.NoLimit["memory"], ","); got != "exporter" {
		t.Errorf("containers without a memory limit: %q, want exporter", got)
	}
}

// TestResolveRefusesAPodLargerThanANode: at the phase's line, naming the
// request and the node's allocatable.
func TestResolveRefusesAPodLargerThanANode(t *testing.T) {
	const node = "  node: {cpu: 3500m, memory: 15Gi}\n"
	if _, _, err := nodeSet(t, node, "      resources: {limits: {memory: 8Gi}}\n"); err != nil {
		t.Fatalf("a pod of 3 CPU / 8320Mi on a node of 3500m / 15Gi: %v", err)
	}
	_, _, err := nodeSet(t, node, "      resources: {limits: {memory: 16Gi}}\n")
	want := "c/phases/launch.yaml:10: spec.workloads.cassandra.resources.requests.memory: StatefulSet cassandra: a pod at phase launch requests 16512Mi memory, more than a node's allocatable 15Gi (spec.node.memory of the capacity model)"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("err = %v\nwant it to contain %s", err, want)
	}
	if err != nil && strings.Contains(err.Error(), "requests.cpu") {
		t.Errorf("the CPU fits, yet: %v", err)
	}
}
