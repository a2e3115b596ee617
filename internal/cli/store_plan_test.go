package cli_test

import (
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coditect/phasegen/internal/promtest"

	corev1 "k8s.io/api/core/v1"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/coditect/phasegen/internal/cli"
	"github.com/coditect/phasegen/internal/config"
)

// TestStorePlan: `plan -o json` of the two-workload example gives each
// workload's pods and monthly cost as the capacity model prices them,
// worked out here from the configs and the base's manifests (every
// container of a pod, on its limits or, without one, its request; memory
// too; the StatefulSet's volumes), and phase totals that are the sums.
func TestStorePlan(t *testing.T) {
	store := filepath.Join("..", "..", "examples", "store")
	app := cli.NewTestApp(t, nil)
	if code := app.Run("plan", "-o", "json", "--config", filepath.Join(store, "environments"), "--templates", filepath.Join(store, "templates")); code != cli.ExitOK {
		t.Fatalf("exit %d:\n%s", code, app.Output())
	}
	var got struct {
		Phases []struct {
			Name        string
			MonthlyCost struct{ Min, Max float64 }
			Workloads   []struct {
				Name        string
				Kind        string
				Container   string
				Replicas    struct{ Min, Max int }
				MonthlyCost struct{ Min, Max float64 }
			}
		}
	}
	if err := json.Unmarshal(app.Out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(filepath.Join(store, "environments"))
	if err != nil {
		t.Fatal(err)
	}
	pods, storage := storeBase(t, store)
	price := cfg.Capacity.Spec.Pricing
	if len(got.Phases) != len(cfg.Phases) {
		t.Fatalf("%d phases planned, want %d", len(got.Phases), len(cfg.Phases))
	}
	for i, p := range cfg.Phases {
		gp := got.Phases[i]
		var sumMin, sumMax float64
		if len(gp.Workloads) != len(pods) {
			t.Fatalf("%s: %d workloads, want %d", p.Metadata.Name, len(gp.Workloads), len(pods))
		}
		for _, gw := range gp.Workloads {
			view := p.For(gw.Name)
			if gw.Replicas.Min != int(view.MinReplicas()) || gw.Replicas.Max != int(view.MaxReplicas()) {
				t.Errorf("%s %s: replicas %+v, want %d-%d", p.Metadata.Name, gw.Name, gw.Replicas, view.MinReplicas(), view.MaxReplicas())
			}
			if want := cfg.Capacity.For(gw.Name).Container; gw.Container != want {
				t.Errorf("%s: container %q, want %q", gw.Name, gw.Container, want)
			}
			var cores, gib float64
			for _, c := range pods[gw.Name].Spec.Containers {
				res := c.Resources
				if c.Name == gw.Container {
					res = view.Spec.Resources.Apply(res)
				}
				cores += billed(res, corev1.ResourceCPU)
				gib += billed(res, corev1.ResourceMemory) / (1 << 30)
			}
			perPod := (cores*price.CPUCoreHour+gib*price.MemoryGiBHour)*price.HoursPerMonth + storage[gw.Name]*price.StorageGBMonth
			wantMin, wantMax := perPod*float64(view.MinReplicas()), perPod*float64(view.MaxReplicas())
			if math.Abs(gw.MonthlyCost.Min-wantMin) > 0.006 || math.Abs(gw.MonthlyCost.Max-wantMax) > 0.006 {
				t.Errorf("%s %s: monthly cost %+v, want %.2f-%.2f", p.Metadata.Name, gw.Name, gw.MonthlyCost, wantMin, wantMax)
			}
			// The total adds the workloads' costs as shown, in cents.
			sumMin += math.Round(wantMin*100) / 100
			sumMax += math.Round(wantMax*100) / 100
		}
		if math.Abs(gp.MonthlyCost.Min-sumMin) > 0.001 || math.Abs(gp.MonthlyCost.Max-sumMax) > 0.001 {
			t.Errorf("%s: total %+v, want the sums %.2f-%.2f", p.Metadata.Name, gp.MonthlyCost, sumMin, sumMax)
		}
	}
}

// storeBase reads the store example's pod templates and each workload's
// storage per pod (GiB) from its manifests.
func storeBase(t *testing.T, store string) (map[string]corev1.PodTemplateSpec, map[string]float64) {
	t.Helper()
	pods := map[string]corev1.PodTemplateSpec{}
	storage := map[string]float64{}
	for _, f := range []string{"api-deployment.yaml", "db-statefulset.yaml"} {
		var obj struct {
			Metadata struct{ Name string }
			Spec     struct {
				Template             corev1.PodTemplateSpec
				VolumeClaimTemplates []corev1.PersistentVolumeClaim
			}
		}
		data, err := os.ReadFile(filepath.Join(store, "templates", "base", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := sigsyaml.Unmarshal(data, &obj); err != nil {
			t.Fatal(err)
		}
		pods[obj.Metadata.Name] = obj.Spec.Template
		for _, c := range obj.Spec.VolumeClaimTemplates {
			q := c.Spec.Resources.Requests[corev1.ResourceStorage]
			storage[obj.Metadata.Name] += q.AsApproximateFloat64() / (1 << 30)
		}
	}
	return pods, storage
}

// billed is a container's limit of r, or its request without one.
func billed(res corev1.ResourceRequirements, r corev1.ResourceName) float64 {
	q, ok := res.Limits[r]
	if !ok {
		q = res.Requests[r]
	}
	if r == corev1.ResourceCPU {
		return float64(q.MilliValue()) / 1000
	}
	return q.AsApproximateFloat64()
}

// TestStoreRules: `phasegen rules` of each environment of the two-workload
// example writes a rules file and a promtool test per workload, decoys
// included in the test's series, and promtool passes them all.
func TestStoreRules(t *testing.T) {
	if msg, skip := promtest.Missing(); skip {
		t.Skip(msg)
	}
	_, tool, err := promtest.Binaries()
	if err != nil {
		t.Fatal(err)
	}
	store := filepath.Join("..", "..", "examples", "store")
	for _, env := range []string{"production", "staging"} {
		dir := t.TempDir()
		app := cli.NewTestApp(t, nil)
		if code := app.Run("rules", env, "--dir", dir, "--config", filepath.Join(store, "environments"), "--templates", filepath.Join(store, "templates")); code != cli.ExitOK {
			t.Fatalf("rules %s: exit %d:\n%s", env, code, app.Output())
		}
		for _, w := range []string{"store-api", "store-db"} {
			cmd := exec.Command(tool, "test", "rules", "rules_test.yaml")
			cmd.Dir = filepath.Join(dir, w)
			out, err := cmd.CombinedOutput()
			if err != nil || !strings.Contains(string(out), "SUCCESS") {
				t.Errorf("%s %s: promtool test rules: %v\n%s", env, w, err, out)
			}
			test, err := os.ReadFile(filepath.Join(dir, w, "rules_test.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			decoy := w + "-v2"
			if !strings.Contains(string(test), decoy) {
				t.Errorf("%s %s: the test's series have no pods of %s", env, w, decoy)
			}
			sidecar := map[string]string{"store-api": "log-shipper", "store-db": "mysqld-exporter"}[w]
			if !strings.Contains(string(test), `container="`+sidecar+`"`) {
				t.Errorf("%s %s: the test's series have no sidecar %s", env, w, sidecar)
			}
		}
	}
}
