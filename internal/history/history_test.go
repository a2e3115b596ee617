package history

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"
)

var end = time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)

// TestProductionShape: the history has what the status and tune tests rely
// on: pods between the floor and above it at peaks, pods that leave go
// not ready before their series end, the pod-level and pause cAdvisor
// series beside the container's, counters that only reset when a pod comes
// back, the decoy PVC.
func TestProductionShape(t *testing.T) {
	h := Generate(Production(end))
	if h.End != end || len(h.Series) == 0 {
		t.Fatalf("end %s, %d series", h.End, len(h.Series))
	}
	ns := Label{"namespace", "coditect-app"}
	ready := h.Select("kube_pod_status_ready", ns, Label{"condition", "true"})
	if len(ready) < 13 {
		t.Fatalf("%d pods, want the HPA to add some to the 10", len(ready))
	}
	for _, s := range ready {
		if n := len(s.Samples); n < 3*24*60 {
			// A pod the HPA removed: its last samples say not ready.
			if last := s.Samples[n-1]; last.V != 0 {
				t.Errorf("%s ends ready", s.Label("pod"))
			}
		}
	}
	for _, pod := range []string{"coditect-combined-0", "coditect-combined-12"} {
		var w, all, pause *Series
		for _, s := range h.Select("container_cpu_usage_seconds_total", ns, Label{"pod", pod}) {
			switch s.Label("container") {
			case "coditect-combined":
				w = s
			case "":
				all = s
			case "POD":
				pause = s
			}
		}
		if w == nil || all == nil || pause == nil {
			t.Fatalf("%s: cAdvisor series missing", pod)
		}
		for i := range w.Samples {
			if d := all.Samples[i].V - w.Samples[i].V - pause.Samples[i].V; d > 1e-6 || d < -1e-6 {
				t.Fatalf("%s: container=\"\" is not the container plus POD", pod)
			}
			if i > 0 && w.Samples[i].V < w.Samples[i-1].V && w.Samples[i].T-w.Samples[i-1].T == Step.Milliseconds() {
				t.Fatalf("%s: the counter went back without a restart", pod)
			}
		}
	}
	if len(h.Select("kubelet_volume_stats_used_bytes", ns, Label{"persistentvolumeclaim", "data-postgres-0"})) != 1 {
		t.Error("no decoy PVC")
	}
}

// TestOpenMetrics: each family once, with its TYPE, samples in seconds,
// then # EOF.
func TestOpenMetrics(t *testing.T) {
	o := Production(end)
	o.Start, o.Duration = end.Add(-time.Hour), time.Hour+Step
	var buf bytes.Buffer
	if err := Generate(o).WriteOpenMetrics(&buf); err != nil {
		t.Fatal(err)
	}
	text := buf.String()
	seen := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(text))
	last := ""
	for sc.Scan() {
		last = sc.Text()
		if strings.HasPrefix(last, "# TYPE ") {
			f := strings.Fields(last)[2]
			if seen[f] {
				t.Fatalf("family %s twice", f)
			}
			seen[f] = true
		}
	}
	if last != "# EOF" || !seen["container_cpu_usage_seconds"] || !seen["kube_pod_status_ready"] {
		t.Errorf("last line %q, families %v", last, seen)
	}
	if !strings.Contains(text, `container_cpu_usage_seconds_total{container="",namespace="coditect-app",pod="coditect-combined-0"} `) ||
		!strings.Contains(text, fmt.Sprintf(" %d\n", end.Unix())) {
		t.Errorf("samples not as promtool reads them:\n%.500s", text)
	}
}

// TestAlerts: an ALERTS series per alert, one sample a minute from From to
// To, its name and state first, written as a gauge beside a merged
// workload history.
func TestAlerts(t *testing.T) {
	h := Alerts(Alert{Name: "WorkloadCPUHigh", State: "firing", Labels: []Label{{"namespace", "coditect-app"}, {"pod", "coditect-combined-1"}},
		From: end.Add(-2 * time.Minute), To: end})
	if h.End != end || len(h.Series) != 1 || len(h.Series[0].Samples) != 3 {
		t.Fatalf("end %s, series %+v", h.End, h.Series)
	}
	var b bytes.Buffer
	if err := Merge(Generate(Production(end)), h).WriteOpenMetrics(&b); err != nil {
		t.Fatal(err)
	}
	want := "# TYPE ALERTS gauge\n" +
		`ALERTS{alertname="WorkloadCPUHigh",alertstate="firing",namespace="coditect-app",pod="coditect-combined-1"} 1 ` + fmt.Sprint(end.Unix()-120) + "\n"
	if !strings.Contains(b.String(), want) {
		t.Errorf("the OpenMetrics lacks\n%s", want)
	}
}
