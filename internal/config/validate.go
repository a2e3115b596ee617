package config

import (
	"fmt"
	"math"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
)

// ReservedEnvironmentName is the folder under overlays/ that holds the Argo CD
// Applications, so no environment may take it.
const ReservedEnvironmentName = "argocd"

const dnsLabelRule = "is not a DNS-1123 label (at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit)"

// checker collects the problems of one document.
type checker struct {
	src      Source
	problems Problems
}

func (c *checker) fail(field, format string, args ...any) {
	c.problems = append(c.problems, Problem{File: c.src.File, Line: c.src.Line(field), Field: field, Msg: fmt.Sprintf(format, args...)})
}

func (c *checker) header(apiVersion string, md Metadata, needName bool) {
	if apiVersion != APIVersion {
		c.fail("apiVersion", "is %q, want %q", apiVersion, APIVersion)
	}
	if !needName && md.Name == "" {
		return
	}
	if errs := validation.IsDNS1123Label(md.Name); len(errs) > 0 {
		c.fail("metadata.name", "%q %s", md.Name, dnsLabelRule)
		return
	}
	base := strings.TrimSuffix(strings.TrimSuffix(filepath.Base(c.src.File), ".yaml"), ".yml")
	if needName && base != md.Name {
		c.fail("metadata.name", "%q must match the file name %q", md.Name, base)
	}
}

func (c *checker) percent(field string, v int32) {
	if v < 1 || v > 100 {
		c.fail(field, "must be between 1 and 100, not %d", v)
	}
}

func validate(doc any) Problems {
	switch d := doc.(type) {
	case *Phase:
		return validatePhase(d)
	case *Environment:
		return validateEnvironment(d)
	case *CapacityModel:
		return validateCapacity(d)
	}
	return nil
}

func validatePhase(p *Phase) Problems {
	c := &checker{src: p.Source}
	c.header(p.APIVersion, p.Metadata, true)
	s := &p.Spec
	if !c.src.Has("spec") {
		c.fail("spec", "missing")
		return c.problems
	}
	if s.Order < 1 {
		c.fail("spec.order", "must be at least 1")
	}
	if s.Users.Min < 0 {
		c.fail("spec.users.min", "must not be negative")
	}
	if s.Users.Max < 1 {
		c.fail("spec.users.max", "must be at least 1")
	} else if s.Users.Min > s.Users.Max {
		c.fail("spec.users", "min %d is greater than max %d", s.Users.Min, s.Users.Max)
	}
	if c.src.Has("spec.soak") {
		if d, err := ParseDuration(s.Soak); err != nil || d <= 0 {
			c.fail("spec.soak", "%q is not a positive duration (such as 24h, 7d, 1w)", s.Soak)
		}
	}
	if s.Workloads == nil {
		validateSizing(c, "spec", &s.Sizing)
	} else {
		validateWorkloadSizings(c, p)
	}
	for i, item := range s.Checklist {
		if strings.TrimSpace(item) == "" {
			c.fail(fmt.Sprintf("spec.checklist[%d]", i), "must not be empty")
		}
	}
	return c.problems
}

// sizingFields are the fields of the one-workload form that the
// per-workload form moves under spec.workloads.<name>.
var sizingFields = []string{"replicas", "autoscaling", "resources", "pdb", "alerts", "slo"}

// validateWorkloadSizings checks a phase in the per-workload form: no
// sizing field beside spec.workloads, every entry named as a workload and
// sized. It makes the phase's per-workload views.
func validateWorkloadSizings(c *checker, p *Phase) {
	s := &p.Spec
	for _, f := range sizingFields {
		if c.src.Has("spec." + f) {
			c.fail("spec."+f, "is set beside spec.workloads: size each workload under spec.workloads.<name>.%s, or use the one-workload form without spec.workloads, not both in one document", f)
		}
	}
	if len(s.Workloads) == 0 {
		c.fail("spec.workloads", "names no workload: give one entry per Deployment and StatefulSet of the templates base")
	}
	s.views = make(map[string]*Phase, len(s.Workloads))
	for _, name := range sortedKeys(s.Workloads) {
		field := "spec.workloads." + name
		if errs := validation.IsDNS1123Label(name); len(errs) > 0 {
			c.fail(field, "%q %s", name, dnsLabelRule)
		}
		z := s.Workloads[name]
		if z == nil {
			c.fail(field, "is empty: give the workload's replicas (or autoscaling)")
			continue
		}
		validateSizing(c, field, z)
		view := *p
		view.Spec.Sizing = *z
		view.Spec.Workloads = nil
		view.Spec.views = nil
		view.workload = name
		s.views[name] = &view
	}
}

// sortedKeys returns m's keys, sorted.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// validateSizing checks one workload's sizing, whose fields are under
// prefix (spec, or spec.workloads.<name>), and fills its defaults.
func validateSizing(c *checker, prefix string, s *Sizing) {
	f := func(name string) string { return prefix + "." + name }
	if a := s.Autoscaling; a != nil {
		validateAutoscaling(c, f("autoscaling"), a)
		if !c.src.Has(f("replicas")) {
			s.Replicas = a.MinReplicas
		} else if s.Replicas != a.MinReplicas {
			c.fail(f("replicas"), "is %d but with autoscaling it must equal %s (%d), the HPA floor", s.Replicas, f("autoscaling.minReplicas"), a.MinReplicas)
		}
	} else if s.Replicas < 1 {
		c.fail(f("replicas"), "must be at least 1")
	}
	if r := s.Resources; r != nil {
		checkNotAbove(c, f("resources"), "cpu", r.Requests.CPU, r.Limits.CPU)
		checkNotAbove(c, f("resources"), "memory", r.Requests.Memory, r.Limits.Memory)
	}
	if s.PDB != nil {
		validatePDB(c, f("pdb"), s.PDB)
	}
	validateAlerts(c, f("alerts"), &s.Alerts)
	if s.SLO != nil {
		validateSLO(c, f("slo"), s.SLO, s.Autoscaling != nil)
	}
}

// validatePDB checks a disruption budget: exactly one of minAvailable and
// maxUnavailable, a non-negative count or a percentage from 0% to 100%.
func validatePDB(c *checker, field string, p *PDB) {
	switch {
	case p.MinAvailable != nil && p.MaxUnavailable != nil:
		c.fail(field+".minAvailable", "set minAvailable or maxUnavailable, not both (a PodDisruptionBudget takes one)")
		return
	case p.MinAvailable == nil && p.MaxUnavailable == nil:
		c.fail(field, "needs minAvailable or maxUnavailable (omit pdb for the default, maxUnavailable: 1)")
		return
	}
	name, v := "maxUnavailable", p.MaxUnavailable
	if p.MinAvailable != nil {
		name, v = "minAvailable", p.MinAvailable
	}
	if v.Type == intstr.Int {
		if v.IntVal < 0 {
			c.fail(field+"."+name, "must not be negative, not %d", v.IntVal)
		}
		return
	}
	pct, ok := strings.CutSuffix(v.StrVal, "%")
	n, err := strconv.Atoi(pct)
	if !ok || err != nil || n < 0 || n > 100 || strconv.Itoa(n) != pct {
		c.fail(field+"."+name, "%q is neither a number of pods nor a percentage from 0%% to 100%% (such as \"25%%\")", v.StrVal)
	}
}

func validateAutoscaling(c *checker, field string, a *Autoscaling) {
	if a.MinReplicas < 1 {
		c.fail(field+".minReplicas", "must be at least 1")
	}
	if a.MaxReplicas < a.MinReplicas {
		c.fail(field+".maxReplicas", "%d is less than minReplicas %d", a.MaxReplicas, a.MinReplicas)
	}
	if a.TargetCPUUtilizationPercentage == nil && a.TargetMemoryUtilizationPercentage == nil {
		c.fail(field, "needs targetCPUUtilizationPercentage or targetMemoryUtilizationPercentage")
	}
	if t := a.TargetCPUUtilizationPercentage; t != nil {
		c.percent(field+".targetCPUUtilizationPercentage", *t)
	}
	if t := a.TargetMemoryUtilizationPercentage; t != nil {
		c.percent(field+".targetMemoryUtilizationPercentage", *t)
	}
	for name, r := range map[string]*ScalingRule{"scaleUp": a.ScaleUp, "scaleDown": a.ScaleDown} {
		if r == nil {
			continue
		}
		f := field + "." + name
		if r.StabilizationWindowSeconds < 0 || r.StabilizationWindowSeconds > 3600 {
			c.fail(f+".stabilizationWindowSeconds", "must be between 0 and 3600")
		}
		if r.Pods < 1 {
			c.fail(f+".pods", "must be at least 1")
		}
		if r.PeriodSeconds < 1 || r.PeriodSeconds > 1800 {
			c.fail(f+".periodSeconds", "must be between 1 and 1800")
		}
	}
}

func validateSLO(c *checker, field string, o *SLO, autoscaling bool) {
	if !autoscaling {
		c.fail(field, "needs %s: a fixed replica count does not scale up to a peak (plan it with spec.users)", strings.TrimSuffix(field, "slo")+"autoscaling")
	}
	if o.PeakUsers < 1 {
		c.fail(field+".peakUsers", "must be at least 1")
	}
	if !c.src.Has(field + ".scaleUpWithin") {
		c.fail(field+".scaleUpWithin", "missing: how soon the HPA must reach the peak's pods (such as 3m)")
	} else if sec, ok := durationSeconds(o.ScaleUpWithin); !ok {
		c.fail(field+".scaleUpWithin", "%q is not a Prometheus duration of whole seconds (such as 90s, 3m)", o.ScaleUpWithin)
	} else if sec < 1 || sec > 24*3600 {
		c.fail(field+".scaleUpWithin", "%q must be between 1s and 24h", o.ScaleUpWithin)
	} else {
		o.WithinSeconds = sec
	}
	if o.PodReadySeconds < 0 || o.PodReadySeconds > 3600 {
		c.fail(field+".podReadySeconds", "must be between 0 and 3600, not %d", o.PodReadySeconds)
	}
}

// durationSeconds converts a Prometheus duration to whole seconds; ok is
// false for anything else, a fraction of a second included.
func durationSeconds(s string) (int, bool) {
	d, err := ParseDuration(s)
	if s == "" || err != nil || d%time.Second != 0 {
		return 0, false
	}
	return int(d / time.Second), true
}

func checkNotAbove(c *checker, field, name string, req, lim *resource.Quantity) {
	if req != nil && lim != nil && req.Cmp(*lim) > 0 {
		c.fail(field+".requests."+name, "request %s is above the limit %s", req.String(), lim.String())
	}
}

func validateAlerts(c *checker, field string, a *Alerts) {
	d := DefaultAlerts()
	f := func(name string) string { return field + "." + name }
	if !c.src.Has(f("cpuPercent")) {
		a.CPUPercent = d.CPUPercent
	}
	if !c.src.Has(f("memoryPercent")) {
		a.MemoryPercent = d.MemoryPercent
	}
	if !c.src.Has(f("for")) {
		a.For = d.For
	}
	if !c.src.Has(f("pvcUsagePercent")) {
		a.PVCUsagePercent = d.PVCUsagePercent
	}
	if !c.src.Has(f("sessionsPerPod")) {
		a.SessionsPerPod = d.SessionsPerPod
	}
	c.percent(f("cpuPercent"), a.CPUPercent)
	c.percent(f("memoryPercent"), a.MemoryPercent)
	c.percent(f("pvcUsagePercent"), a.PVCUsagePercent)
	if a.SessionsPerPod < 1 {
		c.fail(f("sessionsPerPod"), "must be at least 1")
	}
	if !promDuration.MatchString(a.For) || a.For == "" {
		c.fail(f("for"), "%q is not a Prometheus duration (such as 5m, 1h30m)", a.For)
	}
}

// promDuration is Prometheus's duration syntax, units in descending order.
var promDuration = regexp.MustCompile(`^(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?$`)

// ParseDuration reads a duration in Prometheus's syntax (1w2d3h4m5s6ms,
// units in descending order, a day being 24h and a week 7d); "" is 0.
func ParseDuration(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	m := promDuration.FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("%q is not a duration", s)
	}
	units := []time.Duration{365 * 24 * time.Hour, 7 * 24 * time.Hour, 24 * time.Hour, time.Hour, time.Minute, time.Second, time.Millisecond}
	var d time.Duration
	for i, u := range units {
		v := m[2*i+2]
		if v == "" {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n > int64(math.MaxInt64/u) || d > math.MaxInt64-time.Duration(n)*u {
			return 0, fmt.Errorf("%q is out of range", s)
		}
		d += time.Duration(n) * u
	}
	return d, nil
}

var (
	githubRepo  = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$`)
	branchName  = regexp.MustCompile(`^[A-Za-z0-9._/-]+$`)
	metricName  = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)
	defaultsSrv = "https://kubernetes.default.svc"
)

func validateEnvironment(e *Environment) Problems {
	c := &checker{src: e.Source}
	c.header(e.APIVersion, e.Metadata, true)
	if e.Metadata.Name == ReservedEnvironmentName {
		c.fail("metadata.name", "%q is reserved for the Argo CD Applications folder under overlays/", e.Metadata.Name)
	}
	s := &e.Spec
	if s.Phase == "" {
		c.fail("spec.phase", "missing")
	}
	if errs := validation.IsDNS1123Label(s.Namespace); len(errs) > 0 {
		c.fail("spec.namespace", "%q %s", s.Namespace, dnsLabelRule)
	}
	if c.src.Has("spec.workload") {
		if errs := validation.IsDNS1123Label(s.Workload); len(errs) > 0 {
			c.fail("spec.workload", "%q %s", s.Workload, dnsLabelRule)
		}
	}
	if r := s.PrometheusRule; r != nil {
		for _, k := range sortedKeys(r.Labels) {
			f := "spec.prometheusRule.labels." + k
			if errs := validation.IsQualifiedName(k); len(errs) > 0 {
				c.fail(f, "%q is not a valid label name: %s", k, strings.Join(errs, "; "))
			} else if errs := validation.IsValidLabelValue(r.Labels[k]); len(errs) > 0 {
				c.fail(f, "%q is not a valid label value: %s", r.Labels[k], strings.Join(errs, "; "))
			}
		}
	}
	if !githubRepo.MatchString(s.GitOps.Repo) {
		c.fail("spec.gitops.repo", "%q is not a GitHub OWNER/NAME", s.GitOps.Repo)
	}
	if b := s.GitOps.Branch; !branchName.MatchString(b) || strings.Contains(b, "..") || strings.HasPrefix(b, "-") ||
		strings.HasPrefix(b, "/") || strings.HasSuffix(b, "/") || strings.HasSuffix(b, ".lock") {
		c.fail("spec.gitops.branch", "%q is not a valid branch name", b)
	}
	if msg := checkRepoPath(s.GitOps.Path); msg != "" {
		c.fail("spec.gitops.path", "%q %s", s.GitOps.Path, msg)
	}
	if u := s.GitOps.RepoURL; u != "" && !(strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "ssh://") || strings.HasPrefix(u, "git@")) {
		c.fail("spec.gitops.repoURL", "%q must be an https://, ssh:// or git@ URL", u)
	}
	a := &s.ArgoCD
	if a.Project == "" {
		a.Project = "default"
	} else if errs := validation.IsDNS1123Subdomain(a.Project); len(errs) > 0 {
		c.fail("spec.argocd.project", "%q is not a valid project name", a.Project)
	}
	if !c.src.Has("spec.argocd.namespace") {
		a.Namespace = DefaultArgoCDNamespace
	} else if errs := validation.IsDNS1123Label(a.Namespace); len(errs) > 0 {
		c.fail("spec.argocd.namespace", "%q %s", a.Namespace, dnsLabelRule)
	}
	switch {
	case a.Server != "" && a.Name != "":
		c.fail("spec.argocd.name", "set server or name, not both")
	case a.Server == "" && a.Name == "":
		a.Server = defaultsSrv
	case a.Server != "" && !strings.HasPrefix(a.Server, "https://") && !strings.HasPrefix(a.Server, "http://"):
		c.fail("spec.argocd.server", "%q must be an http(s) URL", a.Server)
	}
	if a.Manual && (a.Prune != nil || a.SelfHeal != nil) {
		c.fail("spec.argocd.manual", "prune and selfHeal apply to automated sync only")
	}
	return c.problems
}

// checkRepoPath returns what is wrong with p as a path inside a repository.
func checkRepoPath(p string) string {
	switch {
	case p == "":
		return "must be set (a folder inside the repository)"
	case strings.HasPrefix(p, "/") || filepath.IsAbs(p):
		return "must be relative to the repository's top"
	case strings.Contains(p, "\\"):
		return "must use forward slashes"
	case path.Clean(p) != p:
		return "must be a clean path (no ./, //, or trailing /)"
	case p == ".." || strings.HasPrefix(p, "../") || p == "." || strings.HasPrefix(p, ".git/") || p == ".git":
		return "must stay inside the repository"
	}
	return ""
}

func validateCapacity(m *CapacityModel) Problems {
	c := &checker{src: m.Source}
	c.header(m.APIVersion, m.Metadata, false)
	s := &m.Spec
	if s.Workloads == nil {
		// The one-workload form sizes its workload by users and counts
		// its sessions, as it always has.
		if s.UsersPerPod == nil {
			c.fail("spec.usersPerPod", "missing: the users a pod serves (conservative and optimistic)")
		}
		validateWorkloadModel(c, "spec", &s.WorkloadModel, true)
	} else {
		for _, f := range []string{"container", "usersPerPod", "sessionMetric", "impact"} {
			if c.src.Has("spec." + f) {
				c.fail("spec."+f, "is set beside spec.workloads: give it under spec.workloads.<name>.%s, or use the one-workload form without spec.workloads, not both in one document", f)
			}
		}
		for _, name := range sortedKeys(s.Workloads) {
			field := "spec.workloads." + name
			if errs := validation.IsDNS1123Label(name); len(errs) > 0 {
				c.fail(field, "%q %s", name, dnsLabelRule)
			}
			if s.Workloads[name] == nil {
				s.Workloads[name] = &WorkloadModel{}
			}
			validateWorkloadModel(c, field, s.Workloads[name], false)
		}
	}
	if s.Pricing.CPUCoreHour < 0 {
		c.fail("spec.pricing.cpuCoreHour", "must not be negative")
	}
	if s.Pricing.MemoryGiBHour < 0 {
		c.fail("spec.pricing.memoryGiBHour", "must not be negative")
	}
	if s.Pricing.StorageGBMonth < 0 {
		c.fail("spec.pricing.storageGBMonth", "must not be negative")
	}
	if h := s.Pricing.HoursPerMonth; h <= 0 || h > 744 {
		c.fail("spec.pricing.hoursPerMonth", "must be between 1 and 744, not %g", h)
	}
	return c.problems
}

// validateWorkloadModel checks what the model says of one workload, under
// field. The one-workload form needs a session metric; an entry of the
// per-workload form may leave it out (no sessions alert, no session figures).
func validateWorkloadModel(c *checker, field string, w *WorkloadModel, needSessions bool) {
	if w.Container != "" {
		if errs := validation.IsDNS1123Label(w.Container); len(errs) > 0 {
			c.fail(field+".container", "%q %s", w.Container, dnsLabelRule)
		}
	}
	if u := w.UsersPerPod; u != nil {
		if u.Conservative <= 0 {
			c.fail(field+".usersPerPod.conservative", "must be greater than 0")
		}
		if u.Optimistic <= 0 {
			c.fail(field+".usersPerPod.optimistic", "must be greater than 0")
		} else if u.Conservative > u.Optimistic {
			c.fail(field+".usersPerPod", "conservative %g is above optimistic %g", u.Conservative, u.Optimistic)
		}
	}
	if (needSessions || w.SessionMetric != "") && !metricName.MatchString(w.SessionMetric) {
		c.fail(field+".sessionMetric", "%q is not a Prometheus metric name", w.SessionMetric)
	}
	for _, t := range []struct{ name, v string }{{"volumeFull", w.Impact.VolumeFull}, {"volumeData", w.Impact.VolumeData}} {
		if strings.ContainsAny(t.v, "\n\r") || len(t.v) > 200 {
			c.fail(field+".impact."+t.name, "must be one line of at most 200 characters")
		}
	}
}

// crossCheck finds problems that span files: duplicate names and orders, and
// environments at phases that do not exist.
func (s *Set) crossCheck() Problems {
	var ps Problems
	orders := map[int]*Phase{}
	names := map[string]*Phase{}
	for _, p := range s.Phases {
		if q, ok := orders[p.Spec.Order]; ok {
			ps = append(ps, Problem{File: p.Source.File, Line: p.Source.Line("spec.order"), Field: "spec.order",
				Msg: fmt.Sprintf("%d is already the order of phase %q (%s)", p.Spec.Order, q.Metadata.Name, q.Source.File)})
		}
		orders[p.Spec.Order] = p
		names[p.Metadata.Name] = p
	}
	for _, e := range s.Environments {
		if e.Spec.Phase != "" && names[e.Spec.Phase] == nil {
			ps = append(ps, Problem{File: e.Source.File, Line: e.Source.Line("spec.phase"), Field: "spec.phase",
				Msg: fmt.Sprintf("phase %q does not exist (have: %s)", e.Spec.Phase, strings.Join(s.PhaseNames(), ", "))})
		}
	}
	return append(ps, s.sharedNamespaces()...)
}

// sharedNamespaces finds two environments that deploy to one namespace of
// one cluster: their Applications would own the same objects, each with
// its own phase, and Argo CD would flip them back and forth.
func (s *Set) sharedNamespaces() Problems {
	var ps Problems
	seen := map[string]*Environment{}
	for _, e := range s.Environments {
		if e.Spec.Namespace == "" {
			continue
		}
		cluster := "server " + e.Spec.ArgoCD.Server
		if e.Spec.ArgoCD.Name != "" {
			cluster = "cluster " + e.Spec.ArgoCD.Name
		}
		key := cluster + "\x00" + e.Spec.Namespace
		if f, ok := seen[key]; ok {
			ps = append(ps, e.Problem("spec.namespace", "%q on %s is already environment %q's (%s): two environments in one namespace of one cluster would have two Argo CD Applications own the same objects at different phases; give each its own namespace or cluster",
				e.Spec.Namespace, cluster, f.Metadata.Name, f.Source.File))
			continue
		}
		seen[key] = e
	}
	return ps
}

// Problem is a problem with field of the environment, at its line.
func (e *Environment) Problem(field, format string, args ...any) Problem {
	return Problem{File: e.Source.File, Line: e.Source.Line(field), Field: field, Msg: fmt.Sprintf(format, args...)}
}
