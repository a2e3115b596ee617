package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestInvalidFixtures: every testdata/invalid-*.yaml is rejected with an
// error naming its file, line and field.
func TestInvalidFixtures(t *testing.T) {
	cases := []struct {
		file  string
		line  int
		field string
		msg   string
	}{
		{"invalid-alert-duration.yaml", 10, "spec.alerts.for", "not a Prometheus duration"},
		{"invalid-alert-percent.yaml", 10, "spec.alerts.cpuPercent", "between 1 and 100"},
		{"invalid-alert-restarts.yaml", 10, "spec.alerts.restarts", "must be at least 1"},
		{"invalid-alert-severity-name.yaml", 12, "spec.alerts.severity.WorkloadCrashLooping", `"WorkloadCrashLooping" is not an alert phasegen renders (one of WorkloadCPUHigh,`},
		{"invalid-alert-severity-value.yaml", 11, "spec.alerts.severity.WorkloadReplicasUnavailable", `"page me" is not a valid label value`},
		{"invalid-prometheus-rule-enabled.yaml", 10, "spec.prometheusRule.enabled", "must be true or false"},
		{"invalid-alias.yaml", 8, "spec.replicas", "anchors and aliases are not allowed"},
		{"invalid-api-version.yaml", 1, "apiVersion", `want "phasegen.dev/v1alpha1"`},
		{"invalid-binary.yaml", 0, "", "not a text file"},
		{"invalid-argocd-namespace.yaml", 15, "spec.argocd.namespace", `"Team_Apps" is not a DNS-1123 label`},
		{"invalid-argocd-namespace-empty.yaml", 15, "spec.argocd.namespace", `"" is not a DNS-1123 label`},
		{"invalid-argocd-namespace-type.yaml", 14, "spec.argocd.namespace", "must be a string"},
		{"invalid-bool-as-int.yaml", 14, "spec.argocd.prune", "must be true or false"},
		{"invalid-branch.yaml", 11, "spec.gitops.branch", "not a valid branch name"},
		{"invalid-duplicate-key.yaml", 9, "spec.replicas", "duplicate key"},
		{"invalid-env-reserved.yaml", 4, "metadata.name", "reserved for the Argo CD Applications"},
		{"invalid-env-reserved-overlays.yaml", 4, "metadata.name", "reserved for the folder of gitops.path"},
		{"invalid-capacity-no-name.yaml", 1, "metadata.name", "missing: the app's name"},
		{"invalid-capacity-unmanaged-users.yaml", 11, "spec.workloads.loadgenerator.usersPerPod", "is set on a workload with managed: false"},
		{"invalid-capacity-node.yaml", 10, "spec.node.cpu", "must be above zero, not 0"},
		{"invalid-argocd-application-name.yaml", 13, "spec.argocd.applicationName", "is not a DNS-1123 subdomain"},
		{"invalid-gitops-path-absolute.yaml", 12, "spec.gitops.path", "must be relative"},
		{"invalid-gitops-path-escape.yaml", 12, "spec.gitops.path", "must stay inside the repository"},
		{"invalid-gitops-repo.yaml", 10, "spec.gitops.repo", "not a GitHub OWNER/NAME"},
		{"invalid-hpa-min-above-max.yaml", 10, "spec.autoscaling.maxReplicas", "less than minReplicas"},
		{"invalid-hpa-min-zero.yaml", 9, "spec.autoscaling.minReplicas", "at least 1"},
		{"invalid-hpa-target-percent.yaml", 11, "spec.autoscaling.targetCPUUtilizationPercentage", "between 1 and 100, not 170"},
		{"invalid-kind.yaml", 2, "kind", `unknown kind "Phaze"`},
		{"invalid-name-mismatch.yaml", 4, "metadata.name", "must match the file name"},
		{"invalid-namespace.yaml", 7, "spec.namespace", "not a DNS-1123 label"},
		{"invalid-not-mapping.yaml", 1, "", "must be a mapping"},
		{"invalid-phase-name.yaml", 4, "metadata.name", "not a DNS-1123 label"},
		{"invalid-price-negative.yaml", 8, "spec.pricing.cpuCoreHour", "must not be negative"},
		{"invalid-quantity.yaml", 10, "spec.resources.limits.memory", "not a Kubernetes quantity"},
		{"invalid-replicas-not-floor.yaml", 8, "spec.replicas", "must equal spec.autoscaling.minReplicas (10)"},
		{"invalid-replicas-overflow.yaml", 8, "spec.replicas", "out of range"},
		{"invalid-replicas-string.yaml", 8, "spec.replicas", "must be a whole number"},
		{"invalid-replicas-negative.yaml", 8, "spec.replicas", "must not be negative"},
		{"invalid-requests-above-limits.yaml", 10, "spec.resources.requests.cpu", "above the limit"},
		{"invalid-scale-policy.yaml", 12, "spec.autoscaling.scaleUp.pods", "at least 1"},
		{"invalid-session-metric.yaml", 11, "spec.sessionMetric", "not a Prometheus metric name"},
		{"invalid-session-metric-shared.yaml", 13, "spec.workloads.web.sessionMetric", "also workload api's session metric"},
		{"invalid-soak.yaml", 9, "spec.soak", `"one day" is not a positive duration`},
		{"invalid-soak-type.yaml", 9, "spec.soak", "must be a string"},
		{"invalid-soak-zero.yaml", 9, "spec.soak", `"0h" is not a positive duration`},
		{"invalid-slo-duration.yaml", 14, "spec.slo.scaleUpWithin", `"3 minutes" is not a Prometheus duration`},
		{"invalid-slo-fixed-replicas.yaml", 9, "spec.slo", "needs spec.autoscaling"},
		{"invalid-slo-peak-zero.yaml", 13, "spec.slo.peakUsers", "at least 1"},
		{"invalid-slo-ready-negative.yaml", 15, "spec.slo.podReadySeconds", "between 0 and 3600, not -30"},
		{"invalid-slo-sub-second.yaml", 14, "spec.slo.scaleUpWithin", "of whole seconds"},
		{"invalid-slo-unknown-field.yaml", 15, "spec.slo.readySeconds", "unknown field"},
		{"invalid-spec-type.yaml", 5, "spec", "must be a mapping, not a list"},
		{"invalid-tab-indent.yaml", 8, "", "invalid YAML"},
		{"invalid-two-documents.yaml", 12, "", "more than one YAML document"},
		{"invalid-unknown-field.yaml", 8, "spec.replica", "unknown field"},
		{"invalid-users-min-above-max.yaml", 7, "spec.users", "min 20 is greater than max 10"},
		{"invalid-users-per-pod.yaml", 5, "spec.usersPerPod.conservative", "greater than 0"},
		{"invalid-phase-both-forms.yaml", 8, "spec.replicas", "beside spec.workloads"},
		{"invalid-capacity-both-forms.yaml", 4, "spec.usersPerPod", "beside spec.workloads"},
		{"invalid-pdb-both.yaml", 12, "spec.workloads.db.pdb.minAvailable", "not both"},
		{"invalid-pdb-percent.yaml", 9, "spec.pdb.maxUnavailable", `"150%" is neither a number of pods nor a percentage`},
		{"invalid-workload-sizing.yaml", 10, "spec.workloads.api.autoscaling.maxReplicas", "less than minReplicas 4"},
		{"invalid-prometheus-rule-label.yaml", 11, "spec.prometheusRule.labels.release!", "not a valid label name"},
		{"invalid-memory-price.yaml", 4, "spec.pricing.memoryGiBHour", "must not be negative"},
		{"invalid-workload-session-metric.yaml", 8, "spec.workloads.api.sessionMetric", "not a Prometheus metric name"},
	}
	files, err := filepath.Glob("testdata/invalid-*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(cases) {
		t.Errorf("%d fixtures on disk, %d in the table: keep them in step", len(files), len(cases))
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			path := filepath.Join("testdata", c.file)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			doc, ps := Parse(path, data, "")
			if doc != nil || len(ps) == 0 {
				t.Fatalf("accepted")
			}
			var found bool
			for _, p := range ps {
				if p.File == path && p.Line == c.line && p.Field == c.field && strings.Contains(p.Msg, c.msg) {
					found = true
				}
			}
			if !found {
				t.Errorf("got:\n%v\nwant %s:%d: %s: …%s…", ps, path, c.line, c.field, c.msg)
			}
			prefix := path + ":"
			if c.line > 0 && !strings.HasPrefix(ps.Error(), prefix) {
				t.Errorf("error %q does not start with %q", ps.Error(), prefix)
			}
		})
	}
}

func TestLoadShipped(t *testing.T) {
	s, err := Load("../testdata/example/environments")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(s.PhaseNames(), ","); got != "pre-launch,beta,full-mvp,scale-out" {
		t.Errorf("phases %s", got)
	}
	if got := strings.Join(s.EnvironmentNames(), ","); got != "production,staging" {
		t.Errorf("environments %s", got)
	}
	prod, _ := s.Environment("production")
	if prod.Spec.Phase != "pre-launch" || prod.Spec.Namespace != "coditect-app" {
		t.Errorf("production: %+v", prod.Spec)
	}
	pre, _ := s.Phase("pre-launch")
	a := pre.Spec.Autoscaling
	if a == nil || a.MinReplicas != 10 || a.MaxReplicas != 30 || *a.TargetCPUUtilizationPercentage != 70 ||
		*a.TargetMemoryUtilizationPercentage != 75 || a.ScaleUp.Pods != 3 || a.ScaleDown.StabilizationWindowSeconds != 300 {
		t.Errorf("pre-launch autoscaling: %+v", a)
	}
	next, ok := s.Next(pre)
	if !ok || next.Metadata.Name != "beta" {
		t.Errorf("next after pre-launch: %v", next)
	}
	mvp, _ := s.Phase("full-mvp")
	if al := mvp.Spec.Alerts; al.CPUPercent != 85 || al.MemoryPercent != 90 || al.For != "5m" || al.PVCUsagePercent != 90 || al.SessionsPerPod != 2 {
		t.Errorf("full-mvp alerts: %+v", al)
	}
}

// write lays out files under a temp config dir.
func write(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func shippedFiles(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, pattern := range []string{"../testdata/example/environments/*.yaml", "../testdata/example/environments/phases/*.yaml"} {
		files, _ := filepath.Glob(pattern)
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			rel, _ := filepath.Rel("../testdata/example/environments", f)
			out[rel] = string(data)
		}
	}
	return out
}

// TestCrossFileProblems: problems spanning files are all reported at once.
func TestCrossFileProblems(t *testing.T) {
	files := shippedFiles(t)
	files["phases/beta.yaml"] = strings.Replace(files["phases/beta.yaml"], "order: 2", "order: 1", 1)
	files["staging.yaml"] = strings.Replace(files["staging.yaml"], "phase: beta", "phase: gamma", 1)
	files["production.yaml"] = strings.Replace(files["production.yaml"], "namespace: coditect-app", "namespace: Bad", 1)
	dir := write(t, files)
	_, err := Load(dir)
	if err == nil {
		t.Fatal("accepted")
	}
	msg := err.Error()
	for _, want := range []string{
		filepath.Join(dir, "phases/pre-launch.yaml") + `:7: spec.order: 1 is already the order of phase "beta"`,
		filepath.Join(dir, "staging.yaml") + `:7: spec.phase: phase "gamma" does not exist`,
		filepath.Join(dir, "production.yaml") + `:8: spec.namespace: "Bad" is not a DNS-1123 label`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("missing %q in:\n%s", want, msg)
		}
	}
}

func TestMissingCapacity(t *testing.T) {
	files := shippedFiles(t)
	delete(files, "capacity.yaml")
	_, err := Load(write(t, files))
	if err == nil || !strings.Contains(err.Error(), "capacity.yaml: missing") {
		t.Errorf("err = %v, want capacity.yaml missing", err)
	}
}

func TestSymlinkOutsideRejected(t *testing.T) {
	files := shippedFiles(t)
	dir := write(t, files)
	outside := filepath.Join(t.TempDir(), "evil.yaml")
	if err := os.WriteFile(outside, []byte(files["staging.yaml"]), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "evil.yaml")); err != nil {
		t.Fatal(err)
	}
	_, err := Load(dir)
	if err == nil || !strings.Contains(err.Error(), "evil.yaml: symbolic link points outside the config directory") {
		t.Errorf("err = %v", err)
	}
}

func TestOversizeFile(t *testing.T) {
	data := []byte("apiVersion: phasegen.dev/v1alpha1\nkind: Phase\n# " + strings.Repeat("x", MaxFileSize) + "\n")
	_, ps := Parse("big.yaml", data, "")
	if len(ps) != 1 || !strings.Contains(ps[0].Msg, "larger than") {
		t.Errorf("got %v", ps)
	}
}

func TestDefaultsApplied(t *testing.T) {
	data := []byte("apiVersion: phasegen.dev/v1alpha1\nkind: Phase\nmetadata: {name: p}\nspec:\n  order: 1\n  users: {min: 1, max: 2}\n  autoscaling: {minReplicas: 2, maxReplicas: 4, targetCPUUtilizationPercentage: 60}\n")
	doc, ps := Parse("p.yaml", data, KindPhase)
	if len(ps) > 0 {
		t.Fatal(ps)
	}
	p := doc.(*Phase)
	if p.Spec.Replicas != 2 || !reflect.DeepEqual(p.Spec.Alerts, DefaultAlerts()) {
		t.Errorf("replicas %d alerts %+v; want the HPA floor and the defaults", p.Spec.Replicas, p.Spec.Alerts)
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"": 0, "24h": 24 * time.Hour, "7d": 7 * 24 * time.Hour, "1w1d": 8 * 24 * time.Hour,
		"1h30m": 90 * time.Minute, "90s": 90 * time.Second, "1y": 365 * 24 * time.Hour,
	} {
		got, err := ParseDuration(in)
		if err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"1 day", "1d1w", "-1h", "h", "99999999999999999999y", "300000y"} {
		if d, err := ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) = %v, want an error", in, d)
		}
	}
}

func TestSLODurationSeconds(t *testing.T) {
	for _, c := range []struct {
		in string
		s  int
		ok bool
	}{{"3m", 180, true}, {"90s", 90, true}, {"1m30s", 90, true}, {"2000ms", 2, true}, {"1h", 3600, true},
		{"", 0, false}, {"3 m", 0, false}, {"1500ms", 0, false}, {"30s1m", 0, false}, {"-1m", 0, false}} {
		s, ok := durationSeconds(c.in)
		if s != c.s || ok != c.ok {
			t.Errorf("durationSeconds(%q) = %d, %v; want %d, %v", c.in, s, ok, c.s, c.ok)
		}
	}
}

func TestShippedSoak(t *testing.T) {
	s, err := Load("../testdata/example/environments")
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]time.Duration{"pre-launch": 24 * time.Hour, "beta": 7 * 24 * time.Hour, "full-mvp": 0, "scale-out": 0} {
		p, _ := s.Phase(name)
		if got := p.SoakDuration(); got != want {
			t.Errorf("%s soaks %v, want %v", name, got, want)
		}
	}
}

// TestSLO: a phase's slo decodes with podReadySeconds defaulting to 0 and
// the duration in seconds.
func TestSLO(t *testing.T) {
	doc, ps := Parse("testdata/x.yaml", []byte(`apiVersion: phasegen.dev/v1alpha1
kind: Phase
metadata: {name: x}
spec:
  order: 1
  users: {min: 5, max: 10}
  autoscaling: {minReplicas: 2, maxReplicas: 5, targetCPUUtilizationPercentage: 70}
  slo: {peakUsers: 8, scaleUpWithin: 2m30s}
`), KindPhase)
	if len(ps) > 0 {
		t.Fatal(ps)
	}
	o := doc.(*Phase).Spec.SLO
	if o == nil || o.PeakUsers != 8 || o.WithinSeconds != 150 || o.PodReadySeconds != 0 {
		t.Errorf("slo %+v", o)
	}
}

// TestArgoCDNamespace: spec.argocd.namespace is the Application's
// namespace; absent, it is Argo CD's own, which every shipped environment
// keeps.
func TestArgoCDNamespace(t *testing.T) {
	env := func(argo string) string {
		return `apiVersion: phasegen.dev/v1alpha1
kind: Environment
metadata: {name: x}
spec:
  phase: beta
  namespace: coditect-app
  workload: coditect-combined
  gitops: {repo: coditect/argocd-apps, branch: main, path: apps/coditect}
  argocd: {project: team` + argo + `}
`
	}
	for argo, want := range map[string]string{"": DefaultArgoCDNamespace, ", namespace: team-apps": "team-apps"} {
		doc, ps := Parse("testdata/x.yaml", []byte(env(argo)), KindEnvironment)
		if len(ps) > 0 {
			t.Fatalf("%q: %v", argo, ps)
		}
		a := doc.(*Environment).Spec.ArgoCD
		if a.Namespace != want || a.ApplicationNamespace() != want {
			t.Errorf("%q: namespace %q, ApplicationNamespace %q, want %q", argo, a.Namespace, a.ApplicationNamespace(), want)
		}
	}
	if got := (ArgoCD{}).ApplicationNamespace(); got != "argocd" {
		t.Errorf("an unvalidated ArgoCD's ApplicationNamespace is %q, want argocd", got)
	}
	s, err := Load("../testdata/example/environments")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range s.Environments {
		if e.Spec.ArgoCD.Namespace != "argocd" {
			t.Errorf("shipped %s: Application namespace %q, want argocd", e.Metadata.Name, e.Spec.ArgoCD.Namespace)
		}
	}
}

// TestSharedNamespaceRefused: two environments in one namespace of one
// cluster are refused at the second's spec.namespace; the same namespace
// on another cluster is fine.
func TestSharedNamespaceRefused(t *testing.T) {
	files := shippedFiles(t)
	files["staging.yaml"] = strings.Replace(files["staging.yaml"], "namespace: coditect-staging", "namespace: coditect-app", 1)
	dir := write(t, files)
	_, err := Load(dir)
	want := filepath.Join(dir, "staging.yaml") + `:8: spec.namespace: "coditect-app" on server https://kubernetes.default.svc is already environment "production"'s (` + filepath.Join(dir, "production.yaml") + `): two environments in one namespace of one cluster`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v\nwant %q", err, want)
	}
	files["staging.yaml"] = strings.Replace(files["staging.yaml"], "    server: https://kubernetes.default.svc\n", "    server: https://staging.example.com\n", 1)
	if _, err := Load(write(t, files)); err != nil {
		t.Fatalf("one namespace on two clusters: %v", err)
	}
}

// TestValidFixtures: every testdata/valid-*.yaml parses without a problem.
func TestValidFixtures(t *testing.T) {
	files, err := filepath.Glob("testdata/valid-*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no valid fixtures: %v", err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, ps := Parse(f, data, ""); len(ps) > 0 {
			t.Errorf("%s: %v", f, ps)
		}
	}
}
