package config

import (
	"strings"
	"testing"
	"testing/fstest"
)

const extendsCapacity = "apiVersion: phasegen.dev/v1alpha1\nkind: CapacityModel\nmetadata: {name: shop}\nspec:\n  pricing: {cpuCoreHour: 0, storageGBMonth: 0, hoursPerMonth: 720}\n  workloads: {api: {}, db: {}}\n"

func phaseDoc(name string, order int, body string) string {
	return "apiVersion: phasegen.dev/v1alpha1\nkind: Phase\nmetadata: {name: " + name + "}\nspec:\n  order: " + string(rune('0'+order)) + "\n  users: {min: 1, max: 9}\n" + body
}

func loadPhases(t *testing.T, phases map[string]string) (*Set, error) {
	t.Helper()
	fsys := fstest.MapFS{"c/capacity.yaml": {Data: []byte(extendsCapacity)}}
	for name, doc := range phases {
		fsys["c/phases/"+name+".yaml"] = &fstest.MapFile{Data: []byte(doc)}
	}
	return LoadFS(fsys, "c")
}

// TestExtendsMergesDeep: launch extends pilot and names only what changes:
// the API's HPA ceiling and memory limit (deep, field by field), the
// database's PDB removed with null; the rest is pilot's.
func TestExtendsMergesDeep(t *testing.T) {
	set, err := loadPhases(t, map[string]string{
		"pilot": phaseDoc("pilot", 1, `  workloads:
    api:
      autoscaling: {minReplicas: 2, maxReplicas: 4, targetCPUUtilizationPercentage: 70}
      resources: {requests: {cpu: 250m, memory: 256Mi}, limits: {cpu: "1", memory: 512Mi}}
      alerts: {cpuPercent: 75}
    db:
      replicas: 1
      pdb: {maxUnavailable: 0}
`),
		"launch": phaseDoc("launch", 2, `  extends: pilot
  workloads:
    api:
      autoscaling: {maxReplicas: 10}
      resources: {limits: {memory: 1Gi}}
    db:
      pdb: null
`),
	})
	if err != nil {
		t.Fatal(err)
	}
	launch, _ := set.Phase("launch")
	api, db := launch.For("api"), launch.For("db")
	a := api.Spec.Autoscaling
	if a.MinReplicas != 2 || a.MaxReplicas != 10 || *a.TargetCPUUtilizationPercentage != 70 || api.Spec.Replicas != 2 {
		t.Errorf("api autoscaling %+v replicas %d", a, api.Spec.Replicas)
	}
	r := api.Spec.Resources
	if r.Requests.CPU.String() != "250m" || r.Requests.Memory.String() != "256Mi" || r.Limits.CPU.String() != "1" || r.Limits.Memory.String() != "1Gi" {
		t.Errorf("api resources %+v", r)
	}
	if api.Spec.Alerts.CPUPercent != 75 || api.Spec.Alerts.MemoryPercent != DefaultAlerts().MemoryPercent {
		t.Errorf("api alerts %+v", api.Spec.Alerts)
	}
	if db.Spec.Replicas != 1 || db.Spec.PDB != nil {
		t.Errorf("db replicas %d pdb %v", db.Spec.Replicas, db.Spec.PDB)
	}
	if launch.Spec.Order != 2 || launch.Spec.Users.Max != 9 {
		t.Errorf("launch's own fields: %+v", launch.Spec)
	}
}

// TestExtendsRefusals: a missing parent, a cycle and a phase extending
// itself are refused at spec.extends; a value inherited that the child
// makes invalid is refused too.
func TestExtendsRefusals(t *testing.T) {
	pilot := phaseDoc("pilot", 1, "  workloads:\n    api: {replicas: 2}\n    db: {replicas: 1}\n")
	for _, c := range []struct {
		name   string
		phases map[string]string
		want   string
	}{
		{"missing", map[string]string{"pilot": pilot, "launch": phaseDoc("launch", 2, "  extends: pilots\n  workloads: {api: {replicas: 3}}\n")},
			`c/phases/launch.yaml:7: spec.extends: phase "pilots" does not exist (have: launch, pilot)`},
		{"cycle", map[string]string{
			"a": phaseDoc("a", 1, "  extends: b\n  workloads: {api: {replicas: 3}}\n"),
			"b": phaseDoc("b", 2, "  extends: a\n  workloads: {db: {replicas: 3}}\n")},
			"spec.extends: extends a phase that extends it back (a cycle)"},
		{"itself", map[string]string{"pilot": phaseDoc("pilot", 1, "  extends: pilot\n  workloads: {api: {replicas: 3}}\n")},
			"c/phases/pilot.yaml:7: spec.extends: a phase cannot extend itself"},
		{"invalid once merged", map[string]string{"pilot": pilot, "launch": phaseDoc("launch", 2, "  extends: pilot\n  workloads:\n    api: {autoscaling: {minReplicas: 3, maxReplicas: 6, targetCPUUtilizationPercentage: 70}}\n")},
			"c/phases/launch.yaml:7: spec.workloads.api.replicas: "},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := loadPhases(t, c.phases)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v\nwant it to contain %q", err, c.want)
			}
		})
	}
}
