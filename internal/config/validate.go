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
	if a := s.Autoscaling; a != nil {
		validateAutoscaling(c, a)
		if !c.src.Has("spec.replicas") {
			s.Replicas = a.MinReplicas
		} else if s.Replicas != a.MinReplicas {
			c.fail("spec.replicas", "is %d but with autoscaling it must equal spec.autoscaling.minReplicas (%d), the HPA floor", s.Replicas, a.MinReplicas)
		}
	} else if s.Replicas < 1 {
		c.fail("spec.replicas", "must be at least 1")
	}
	if r := s.Resources; r != nil {
		checkNotAbove(c, "cpu", r.Requests.CPU, r.Limits.CPU)
		checkNotAbove(c, "memory", r.Requests.Memory, r.Limits.Memory)
	}
	validateAlerts(c, &s.Alerts)
	if c.src.Has("spec.soak") {
		if d, err := ParseDuration(s.Soak); err != nil || d <= 0 {
			c.fail("spec.soak", "%q is not a positive duration (such as 24h, 7d, 1w)", s.Soak)
		}
	}
	if s.SLO != nil {
		validateSLO(c, s.SLO, s.Autoscaling != nil)
	}
	for i, item := range s.Checklist {
		if strings.TrimSpace(item) == "" {
			c.fail(fmt.Sprintf("spec.checklist[%d]", i), "must not be empty")
		}
	}
	return c.problems
}

func validateAutoscaling(c *checker, a *Autoscaling) {
	if a.MinReplicas < 1 {
		c.fail("spec.autoscaling.minReplicas", "must be at least 1")
	}
	if a.MaxReplicas < a.MinReplicas {
		c.fail("spec.autoscaling.maxReplicas", "%d is less than minReplicas %d", a.MaxReplicas, a.MinReplicas)
	}
	if a.TargetCPUUtilizationPercentage == nil && a.TargetMemoryUtilizationPercentage == nil {
		c.fail("spec.autoscaling", "needs targetCPUUtilizationPercentage or targetMemoryUtilizationPercentage")
	}
	if t := a.TargetCPUUtilizationPercentage; t != nil {
		c.percent("spec.autoscaling.targetCPUUtilizationPercentage", *t)
	}
	if t := a.TargetMemoryUtilizationPercentage; t != nil {
		c.percent("spec.autoscaling.targetMemoryUtilizationPercentage", *t)
	}
	for name, r := range map[string]*ScalingRule{"scaleUp": a.ScaleUp, "scaleDown": a.ScaleDown} {
		if r == nil {
			continue
		}
		f := "spec.autoscaling." + name
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

func validateSLO(c *checker, o *SLO, autoscaling bool) {
	if !autoscaling {
		c.fail("spec.slo", "needs spec.autoscaling: a fixed replica count does not scale up to a peak (plan it with spec.users)")
	}
	if o.PeakUsers < 1 {
		c.fail("spec.slo.peakUsers", "must be at least 1")
	}
	if !c.src.Has("spec.slo.scaleUpWithin") {
		c.fail("spec.slo.scaleUpWithin", "missing: how soon the HPA must reach the peak's pods (such as 3m)")
	} else if sec, ok := durationSeconds(o.ScaleUpWithin); !ok {
		c.fail("spec.slo.scaleUpWithin", "%q is not a Prometheus duration of whole seconds (such as 90s, 3m)", o.ScaleUpWithin)
	} else if sec < 1 || sec > 24*3600 {
		c.fail("spec.slo.scaleUpWithin", "%q must be between 1s and 24h", o.ScaleUpWithin)
	} else {
		o.WithinSeconds = sec
	}
	if o.PodReadySeconds < 0 || o.PodReadySeconds > 3600 {
		c.fail("spec.slo.podReadySeconds", "must be between 0 and 3600, not %d", o.PodReadySeconds)
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

func checkNotAbove(c *checker, name string, req, lim *resource.Quantity) {
	if req != nil && lim != nil && req.Cmp(*lim) > 0 {
		c.fail("spec.resources.requests."+name, "request %s is above the limit %s", req.String(), lim.String())
	}
}

func validateAlerts(c *checker, a *Alerts) {
	d := DefaultAlerts()
	if !c.src.Has("spec.alerts.cpuPercent") {
		a.CPUPercent = d.CPUPercent
	}
	if !c.src.Has("spec.alerts.memoryPercent") {
		a.MemoryPercent = d.MemoryPercent
	}
	if !c.src.Has("spec.alerts.for") {
		a.For = d.For
	}
	if !c.src.Has("spec.alerts.pvcUsagePercent") {
		a.PVCUsagePercent = d.PVCUsagePercent
	}
	if !c.src.Has("spec.alerts.sessionsPerPod") {
		a.SessionsPerPod = d.SessionsPerPod
	}
	c.percent("spec.alerts.cpuPercent", a.CPUPercent)
	c.percent("spec.alerts.memoryPercent", a.MemoryPercent)
	c.percent("spec.alerts.pvcUsagePercent", a.PVCUsagePercent)
	if a.SessionsPerPod < 1 {
		c.fail("spec.alerts.sessionsPerPod", "must be at least 1")
	}
	if !promDuration.MatchString(a.For) || a.For == "" {
		c.fail("spec.alerts.for", "%q is not a Prometheus duration (such as 5m, 1h30m)", a.For)
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
	for _, f := range []struct{ field, value string }{{"spec.namespace", s.Namespace}, {"spec.workload", s.Workload}} {
		if errs := validation.IsDNS1123Label(f.value); len(errs) > 0 {
			c.fail(f.field, "%q %s", f.value, dnsLabelRule)
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
	u := s.UsersPerPod
	if u.Conservative <= 0 {
		c.fail("spec.usersPerPod.conservative", "must be greater than 0")
	}
	if u.Optimistic <= 0 {
		c.fail("spec.usersPerPod.optimistic", "must be greater than 0")
	} else if u.Conservative > u.Optimistic {
		c.fail("spec.usersPerPod", "conservative %g is above optimistic %g", u.Conservative, u.Optimistic)
	}
	if s.Pricing.CPUCoreHour < 0 {
		c.fail("spec.pricing.cpuCoreHour", "must not be negative")
	}
	if s.Pricing.StorageGBMonth < 0 {
		c.fail("spec.pricing.storageGBMonth", "must not be negative")
	}
	if h := s.Pricing.HoursPerMonth; h <= 0 || h > 744 {
		c.fail("spec.pricing.hoursPerMonth", "must be between 1 and 744, not %g", h)
	}
	if !metricName.MatchString(s.SessionMetric) {
		c.fail("spec.sessionMetric", "%q is not a Prometheus metric name", s.SessionMetric)
	}
	return c.problems
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

// CheckWorkloads reports every environment whose spec.workload is not among
// have (the StatefulSets of the templates base) at its file and line.
func (s *Set) CheckWorkloads(have []string) error {
	var ps Problems
	for _, e := range s.Environments {
		if !slices.Contains(have, e.Spec.Workload) {
			ps = append(ps, e.Problem("spec.workload", "%q is not a StatefulSet of the templates base (have: %s)", e.Spec.Workload, strings.Join(have, ", ")))
		}
	}
	return ps.err()
}

// Problem is a problem with field of the environment, at its line.
func (e *Environment) Problem(field, format string, args ...any) Problem {
	return Problem{File: e.Source.File, Line: e.Source.Line(field), Field: field, Msg: fmt.Sprintf(format, args...)}
}
