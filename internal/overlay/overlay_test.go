package overlay_test

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	goldenpkg "github.com/coditect/phasegen/internal/golden"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"sigs.k8s.io/yaml"

	"github.com/coditect/phasegen/internal/base"
	"github.com/coditect/phasegen/internal/config"
	"github.com/coditect/phasegen/internal/fileset"
	"github.com/coditect/phasegen/internal/kbuild"
	"github.com/coditect/phasegen/internal/overlay"
	"github.com/coditect/phasegen/templates"
)

func load(t testing.TB, dir string) (*config.Set, *base.Base) {
	t.Helper()
	cfg, err := config.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := base.Load(templates.FS())
	if err != nil {
		t.Fatal(err)
	}
	return cfg, b
}

func shipped(t testing.TB) (*config.Set, *base.Base) {
	return load(t, filepath.Join("..", "testdata", "example", "environments"))
}

func render(t testing.TB, cfg *config.Set, b *base.Base, env, phase string) fileset.Set {
	t.Helper()
	e, ok := cfg.Environment(env)
	if !ok {
		t.Fatalf("no environment %q", env)
	}
	p, ok := cfg.Phase(phase)
	if !ok {
		t.Fatalf("no phase %q", phase)
	}
	files, err := overlay.Render(overlay.Input{Config: cfg, Base: b, Env: e, Phase: p})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func build(t testing.TB, files fileset.Set, env string) []byte {
	t.Helper()
	out, err := kbuild.Build(files, overlay.EnvDir(env))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// docs splits a built YAML stream into its objects, by "Kind/name".
func docs(t *testing.T, stream []byte) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, d := range strings.Split(string(stream), "\n---\n") {
		var m struct {
			Kind     string `json:"kind"`
			Metadata struct {
				Name string `json:"name"`
			} `json:"metadata"`
		}
		if err := yaml.Unmarshal([]byte(d), &m); err != nil {
			t.Fatalf("%v in\n%s", err, d)
		}
		out[m.Kind+"/"+m.Metadata.Name] = []byte(d)
	}
	return out
}

// golden compares got with testdata/golden/name (-update rewrites it).
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	goldenpkg.Assert(t, filepath.Join("testdata", "golden", name), got)
}

// Acceptance 2: `build production --phase pre-launch` yields the seed's
// StatefulSet, Service and HPA.
func TestProductionAtPreLaunchMatchesSeed(t *testing.T) {
	cfg, b := shipped(t)
	files := render(t, cfg, b, "production", "pre-launch")
	out := build(t, files, "production")
	objs := docs(t, out)
	// Golden files for the objects and files this package decides; the
	// PrometheusRule and the Application have their own in packages alerts
	// and argocd.
	for _, id := range []string{"StatefulSet/coditect-combined", "Service/coditect-combined", "Service/coditect-combined-headless", "HorizontalPodAutoscaler/coditect-combined-hpa", "PodDisruptionBudget/coditect-combined-pdb"} {
		d, ok := objs[id]
		if !ok {
			t.Errorf("build lacks %s", id)
			continue
		}
		golden(t, filepath.Join("build-production-pre-launch", strings.ReplaceAll(id, "/", "_")+".yaml"), append(d, '\n'))
	}
	for _, f := range []string{overlay.KustomizationFile, overlay.StatefulSetPatch, overlay.HPAFile, overlay.PDBFile} {
		golden(t, filepath.Join("render-production-pre-launch", f), files[overlay.EnvDir("production")+"/"+f])
	}
	var sts appsv1.StatefulSet
	if err := yaml.UnmarshalStrict(objs["StatefulSet/coditect-combined"], &sts); err != nil {
		t.Fatal(err)
	}
	if sts.Namespace != "coditect-app" {
		t.Errorf("StatefulSet namespace %q", sts.Namespace)
	}
	if sts.Spec.Replicas == nil || *sts.Spec.Replicas != 10 {
		t.Errorf("StatefulSet replicas %v, want 10", sts.Spec.Replicas)
	}
	if sts.Spec.PodManagementPolicy != appsv1.ParallelPodManagement {
		t.Errorf("podManagementPolicy %q, want Parallel", sts.Spec.PodManagementPolicy)
	}
	if g := sts.Spec.Template.Spec.TerminationGracePeriodSeconds; g == nil || *g != 120 {
		t.Errorf("terminationGracePeriodSeconds %v, want 120", g)
	}
	if sts.Spec.ServiceName != "coditect-combined-headless" {
		t.Errorf("serviceName %q", sts.Spec.ServiceName)
	}
	c := sts.Spec.Template.Spec.Containers
	if len(c) != 1 {
		t.Fatalf("%d containers", len(c))
	}
	wantRes := map[string]map[corev1.ResourceName]string{
		"requests": {corev1.ResourceCPU: "500m", corev1.ResourceMemory: "512Mi"},
		"limits":   {corev1.ResourceCPU: "2", corev1.ResourceMemory: "2Gi"},
	}
	for kind, list := range map[string]corev1.ResourceList{"requests": c[0].Resources.Requests, "limits": c[0].Resources.Limits} {
		for name, want := range wantRes[kind] {
			if q := list[name]; q.Cmp(resource.MustParse(want)) != 0 {
				t.Errorf("%s.%s = %s, want %s", kind, name, q.String(), want)
			}
		}
	}
	claims := map[string]string{}
	for _, v := range sts.Spec.VolumeClaimTemplates {
		q := v.Spec.Resources.Requests[corev1.ResourceStorage]
		claims[v.Name] = q.String()
	}
	if claims["workspace"] != "50Gi" || claims["config"] != "5Gi" || len(claims) != 2 {
		t.Errorf("volume claims %v, want workspace 50Gi + config 5Gi", claims)
	}
	if sts.Annotations[overlay.PhaseAnnotation] != "pre-launch" {
		t.Errorf("StatefulSet annotations %v", sts.Annotations)
	}
	// The pod template is not annotated: a promotion that changes nothing
	// about the pods must not restart them.
	if len(sts.Spec.Template.Annotations) != 0 {
		t.Errorf("pod template annotated: %v", sts.Spec.Template.Annotations)
	}

	var svc corev1.Service
	if err := yaml.UnmarshalStrict(objs["Service/coditect-combined"], &svc); err != nil {
		t.Fatal(err)
	}
	if svc.Spec.SessionAffinity != corev1.ServiceAffinityClientIP {
		t.Errorf("sessionAffinity %q", svc.Spec.SessionAffinity)
	}
	if cfgA := svc.Spec.SessionAffinityConfig; cfgA == nil || cfgA.ClientIP == nil || cfgA.ClientIP.TimeoutSeconds == nil || *cfgA.ClientIP.TimeoutSeconds != 10800 {
		t.Errorf("sessionAffinityConfig %+v, want clientIP.timeoutSeconds 10800", cfgA)
	}

	// The seed's HPA, field for field.
	seedHPA := `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: coditect-combined-hpa
  namespace: coditect-app
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: StatefulSet
    name: coditect-combined
  minReplicas: 10
  maxReplicas: 30
  metrics:
  - type: Resource
    resource:
      name: cpu
      target:
        type: Utilization
        averageUtilization: 70
  - type: Resource
    resource:
      name: memory
      target:
        type: Utilization
        averageUtilization: 75
  behavior:
    scaleUp:
      stabilizationWindowSeconds: 60
      policies:
      - type: Pods
        value: 3
        periodSeconds: 60
    scaleDown:
      stabilizationWindowSeconds: 300
      policies:
      - type: Pods
        value: 1
        periodSeconds: 60
`
	var want, got autoscalingv2.HorizontalPodAutoscaler
	if err := yaml.UnmarshalStrict([]byte(seedHPA), &want); err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict(objs["HorizontalPodAutoscaler/coditect-combined-hpa"], &got); err != nil {
		t.Fatal(err)
	}
	if got.Annotations[overlay.PhaseAnnotation] != "pre-launch" || got.Labels["app"] != "coditect-combined" {
		t.Errorf("HPA metadata %+v", got.ObjectMeta)
	}
	got.Annotations, got.Labels = nil, nil
	gj, _ := yaml.Marshal(got)
	wj, _ := yaml.Marshal(want)
	if !bytes.Equal(gj, wj) {
		t.Errorf("HPA differs from the seed's:\n--- got\n%s\n--- seed\n%s", gj, wj)
	}
	if got.Spec.Metrics[0].Resource.Name != corev1.ResourceCPU || got.Spec.Metrics[1].Resource.Name != corev1.ResourceMemory {
		t.Error("HPA metrics not cpu then memory")
	}
	if *got.Spec.MinReplicas != *sts.Spec.Replicas {
		t.Errorf("StatefulSet replicas %d != HPA minReplicas %d", *sts.Spec.Replicas, *got.Spec.MinReplicas)
	}

	var pdb policyv1.PodDisruptionBudget
	if err := yaml.UnmarshalStrict(objs["PodDisruptionBudget/coditect-combined-pdb"], &pdb); err != nil {
		t.Fatal(err)
	}
	if pdb.Spec.MaxUnavailable == nil || pdb.Spec.MaxUnavailable.IntValue() != 1 || pdb.Spec.MinAvailable != nil {
		t.Errorf("PDB %+v, want maxUnavailable 1", pdb.Spec)
	}
	if pdb.Spec.Selector == nil || pdb.Spec.Selector.MatchLabels["app"] != "coditect-combined" {
		t.Errorf("PDB selector %+v", pdb.Spec.Selector)
	}
	if _, ok := objs["PrometheusRule/coditect-combined-alerts"]; !ok {
		t.Error("no PrometheusRule coditect-combined-alerts")
	}
	// Every object carries the phase annotation and the namespace.
	for id, d := range objs {
		var m struct {
			Metadata struct {
				Namespace   string            `json:"namespace"`
				Annotations map[string]string `json:"annotations"`
			} `json:"metadata"`
		}
		if err := yaml.Unmarshal(d, &m); err != nil {
			t.Fatal(err)
		}
		if m.Metadata.Annotations[overlay.PhaseAnnotation] != "pre-launch" {
			t.Errorf("%s: annotations %v", id, m.Metadata.Annotations)
		}
		if m.Metadata.Namespace != "coditect-app" {
			t.Errorf("%s: namespace %q", id, m.Metadata.Namespace)
		}
	}
	if len(objs) != 6 {
		t.Errorf("%d objects, want 6 (2 Services, StatefulSet, PDB, HPA, PrometheusRule)", len(objs))
	}
}

func TestFileSetShape(t *testing.T) {
	cfg, b := shipped(t)
	files := render(t, cfg, b, "staging", "beta")
	want := []string{
		"overlays/argocd/staging.yaml",
		"overlays/staging/hpa.yaml",
		"overlays/staging/kustomization.yaml",
		"overlays/staging/pdb.yaml",
		"overlays/staging/prometheusrule.yaml",
		"overlays/staging/statefulset-patch.yaml",
	}
	for p := range b.Files {
		want = append(want, "templates/base/"+p)
	}
	got := files.Paths()
	if strings.Join(got, "\n") != strings.Join(fileset.Set(setOf(want)).Paths(), "\n") {
		t.Errorf("paths:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	header := overlay.Header("staging", "beta")
	if header != "# generated by phasegen from environments/staging.yaml and environments/phases/beta.yaml; do not edit\n" {
		t.Errorf("header %q", header)
	}
	// A workload's own files name no phase, so a promotion that leaves
	// its sizing alone leaves them as they are.
	workloadHeader := overlay.Header("staging", "")
	if workloadHeader != "# generated by phasegen from environments/staging.yaml and the phase it declares; do not edit\n" {
		t.Errorf("workload header %q", workloadHeader)
	}
	for _, p := range got {
		if strings.HasPrefix(p, "overlays/") {
			header := header
			if p != "overlays/staging/kustomization.yaml" && p != "overlays/argocd/staging.yaml" {
				header = workloadHeader
			}
			if !bytes.HasPrefix(files[p], []byte(header)) || bytes.Count(files[p][:len(header)+1], []byte("#")) != 1 {
				t.Errorf("%s does not start with the one header line:\n%s", p, files[p])
			}
		} else if !bytes.Equal(files[p], b.Files[strings.TrimPrefix(p, "templates/base/")]) {
			t.Errorf("%s is not a verbatim copy of the base", p)
		}
	}
	k := string(files["overlays/staging/kustomization.yaml"])
	for _, s := range []string{"namespace: coditect-staging\n", "- ../../templates/base\n", "- hpa.yaml\n", "- pdb.yaml\n", "- prometheusrule.yaml\n", "- path: statefulset-patch.yaml\n"} {
		if !strings.Contains(k, s) {
			t.Errorf("kustomization.yaml lacks %q:\n%s", s, k)
		}
	}
	if strings.Contains(k, "commonAnnotations") {
		t.Error("kustomization.yaml uses commonAnnotations, which would annotate (and restart) the pods")
	}
}

func setOf(paths []string) map[string][]byte {
	m := map[string][]byte{}
	for _, p := range paths {
		m[p] = nil
	}
	return m
}

// Acceptance 3: rendering twice gives identical bytes.
func TestRenderIsDeterministic(t *testing.T) {
	cfg, b := shipped(t)
	first, err := overlay.RenderAll(cfg, b)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		cfg2, b2 := shipped(t)
		again, err := overlay.RenderAll(cfg2, b2)
		if err != nil {
			t.Fatal(err)
		}
		if !fileset.Equal(first, again) {
			t.Fatal("second render differs from the first")
		}
		for _, env := range cfg.EnvironmentNames() {
			if !bytes.Equal(build(t, first, env), build(t, again, env)) {
				t.Fatalf("builds of %s differ", env)
			}
		}
	}
}

// TestSLOIsNotRendered: spec.slo is planning data; full-mvp (which carries
// the seed's stress test) renders the same files without it.
func TestSLOIsNotRendered(t *testing.T) {
	cfg, b := shipped(t)
	p, _ := cfg.Phase("full-mvp")
	if p.Spec.SLO == nil {
		t.Fatal("the shipped full-mvp has no slo")
	}
	with := render(t, cfg, b, "production", "full-mvp")
	p.Spec.SLO = nil
	if without := render(t, cfg, b, "production", "full-mvp"); !fileset.Equal(with, without) {
		t.Error("full-mvp renders differently without its slo")
	}
}

// Acceptance 4: a phase without autoscaling renders no HPA and fixed replicas.
func TestFixedPhaseHasNoHPA(t *testing.T) {
	cfg, b := load(t, filepath.Join("testdata", "valid-fixed"))
	for _, tc := range []struct {
		phase    string
		replicas int32
		hpa      bool
		cpuLimit string
	}{
		{"fixed", 3, false, "1"},
		{"autoscaled", 4, true, "2"},
		{"fixed-large", 12, false, "2"},
	} {
		t.Run(tc.phase, func(t *testing.T) {
			files := render(t, cfg, b, "demo", tc.phase)
			_, hasHPA := files["overlays/demo/hpa.yaml"]
			if hasHPA != tc.hpa {
				t.Errorf("hpa.yaml present %v, want %v", hasHPA, tc.hpa)
			}
			k := string(files["overlays/demo/kustomization.yaml"])
			if strings.Contains(k, "hpa.yaml") != tc.hpa {
				t.Errorf("kustomization lists hpa.yaml: %v, want %v\n%s", !tc.hpa, tc.hpa, k)
			}
			objs := docs(t, build(t, files, "demo"))
			_, builtHPA := objs["HorizontalPodAutoscaler/coditect-combined-hpa"]
			if builtHPA != tc.hpa {
				t.Errorf("built HPA present %v, want %v", builtHPA, tc.hpa)
			}
			var sts appsv1.StatefulSet
			if err := yaml.Unmarshal(objs["StatefulSet/coditect-combined"], &sts); err != nil {
				t.Fatal(err)
			}
			if *sts.Spec.Replicas != tc.replicas {
				t.Errorf("replicas %d, want %d", *sts.Spec.Replicas, tc.replicas)
			}
			if sts.Namespace != "demo-ns" {
				t.Errorf("namespace %q", sts.Namespace)
			}
			lim := sts.Spec.Template.Spec.Containers[0].Resources.Limits[corev1.ResourceCPU]
			if lim.Cmp(resource.MustParse(tc.cpuLimit)) != 0 {
				t.Errorf("cpu limit %s, want %s", lim.String(), tc.cpuLimit)
			}
			if len(sts.Spec.Template.Annotations) != 0 {
				t.Errorf("pod template annotated: %v", sts.Spec.Template.Annotations)
			}
		})
	}
}

// The phase annotation changes only object metadata: two phases with the
// same pod spec build pod templates that are byte for byte equal.
func TestPromotionWithoutPodChangesKeepsPodTemplate(t *testing.T) {
	cfg, b := shipped(t)
	template := func(phase string) []byte {
		objs := docs(t, build(t, render(t, cfg, b, "production", phase), "production"))
		var sts appsv1.StatefulSet
		if err := yaml.Unmarshal(objs["StatefulSet/coditect-combined"], &sts); err != nil {
			t.Fatal(err)
		}
		out, err := yaml.Marshal(sts.Spec.Template)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	// pre-launch sets the base's resources explicitly, beta keeps them.
	if a, b := template("pre-launch"), template("beta"); !bytes.Equal(a, b) {
		t.Errorf("pod templates differ between pre-launch and beta:\n%s\n---\n%s", a, b)
	}
}

func TestRenderErrors(t *testing.T) {
	cfg, b := shipped(t)
	env, _ := cfg.Environment("production")
	phase := cfg.Phases[0]
	if _, err := overlay.Render(overlay.Input{Config: cfg, Base: b, Env: env}); err == nil {
		t.Error("no phase: want an error")
	}
	bad := *env
	bad.Spec.Workload = "nope"
	if _, err := overlay.Render(overlay.Input{Config: cfg, Base: b, Env: &bad, Phase: phase}); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("unknown workload: %v", err)
	}
}

func TestOwnedBy(t *testing.T) {
	for p, want := range map[string]bool{
		"overlays/production/hpa.yaml":       true,
		"overlays/argocd/production.yaml":    true,
		"overlays/production-eu/hpa.yaml":    false,
		"overlays/argocd/production-eu.yaml": false,
		"overlays/production":                false,
		"templates/base/statefulset.yaml":    false,
	} {
		if got := overlay.OwnedBy(p, "production"); got != want {
			t.Errorf("OwnedBy(%q) = %v, want %v", p, got, want)
		}
	}
}

func BenchmarkRender(b *testing.B) {
	cfg, bs := shipped(b)
	env, _ := cfg.Environment("production")
	phase, _ := cfg.Phase(env.Spec.Phase)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := overlay.Render(overlay.Input{Config: cfg, Base: bs, Env: env, Phase: phase}); err != nil {
			b.Fatal(err)
		}
	}
}
