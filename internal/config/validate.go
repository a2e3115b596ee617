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
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/util/validation"
)

// ReservedEnvironmentName is the folder under overlays/ that holds the Argo CD
// Applications, so no environment may take it.
const ReservedEnvironmentName = "argocd"

// reservedEnvironmentNames are the names no environment may take: the
// Applications folder under overlays/, and the folders of an app's
// gitops.path that sit beside its environments' trees.
var reservedEnvironmentNames = map[string]string{
	ReservedEnvironmentName: "the Argo CD Applications folder under overlays/",
	"overlays":              "the folder of gitops.path that holds the Applications",
	"templates":             "a folder of gitops.path in the previous layout",
}

// dnsSubdomainRule is what a workload's name must be, as the API server
// takes a Deployment's or a StatefulSet's.
const dnsSubdomainRule = "is not a DNS-1123 subdomain (at most 253 lowercase letters, digits, '-' and '.', starting and ending with a letter or digit)"

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
	validateComponents(c, "spec.components", s.Components)
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
	githubRepo = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$`)
	branchName = regexp.MustCompile(`^[A-Za-z0-9._/-]+$`)
	metricName = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)
)

func validateEnvironment(e *Environment) Problems {
	c := &checker{src: e.Source}
	c.header(e.APIVersion, e.Metadata, true)
	if why, ok := reservedEnvironmentNames[e.Metadata.Name]; ok {
		c.fail("metadata.name", "%q is reserved for %s", e.Metadata.Name, why)
	}
	s := &e.Spec
	if s.Phase == "" {
		c.fail("spec.phase", "missing")
	}
	if errs := validation.IsDNS1123Label(s.Namespace); len(errs) > 0 {
		c.fail("spec.namespace", "%q %s", s.Namespace, dnsLabelRule)
	}
	if c.src.Has("spec.workload") {
		if errs := validation.IsDNS1123Subdomain(s.Workload); len(errs) > 0 {
			c.fail("spec.workload", "%q %s", s.Workload, dnsSubdomainRule)
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
	validateComponents(c, "spec.components", s.Components)
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
	if c.src.Has("spec.argocd.applicationName") {
		if errs := validation.IsDNS1123Subdomain(a.ApplicationName); len(errs) > 0 {
			c.fail("spec.argocd.applicationName", "%q %s", a.ApplicationName, dnsSubdomainRule)
		}
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
		a.Server = DefaultServer
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
	if m.Metadata.Name == "" {
		c.fail("metadata.name", "missing: the app's name (a DNS-1123 label), which names its GitOps trees, branches and Applications")
	}
	s := &m.Spec
	if s.Workloads == nil {
		// The one-workload form sizes its workload by users and counts
		// its sessions, as it always has.
		if s.UsersPerPod == nil {
			c.fail("spec.usersPerPod", "missing: the users a pod serves (conservative and optimistic)")
		}
		validateWorkloadModel(c, "spec", &s.WorkloadModel, true)
		if s.Unmanaged() {
			c.fail("spec.managed", "is false in the one-workload form, which leaves phasegen nothing to manage")
		}
	} else {
		for _, f := range []string{"container", "usersPerPod", "sessionMetric", "impact", "managed"} {
			if c.src.Has("spec." + f) {
				c.fail("spec."+f, "is set beside spec.workloads: give it under spec.workloads.<name>.%s, or use the one-workload form without spec.workloads, not both in one document", f)
			}
		}
		for _, name := range sortedKeys(s.Workloads) {
			field := "spec.workloads." + name
			if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
				c.fail(field, "%q %s", name, dnsSubdomainRule)
			}
			if s.Workloads[name] == nil {
				s.Workloads[name] = &WorkloadModel{}
			}
			validateWorkloadModel(c, field, s.Workloads[name], false)
			if w := s.Workloads[name]; w.Unmanaged() {
				for _, f := range []string{"usersPerPod", "sessionMetric", "impact"} {
					if c.src.Has(field + "." + f) {
						c.fail(field+"."+f, "is set on a workload with managed: false, which phasegen leaves alone: drop it, or manage the workload")
					}
				}
			}
		}
		sharedSessions(c, s.Workloads)
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
	validateNode(c, s.Node)
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
	for _, k := range sortedKeys(w.SessionLabels) {
		switch {
		case w.SessionMetric == "":
			c.fail(field+".sessionLabels", "is set without a sessionMetric")
		case !labelName.MatchString(k) || k == "namespace" || strings.HasPrefix(k, "__"):
			c.fail(field+".sessionLabels."+k, "%q is not a Prometheus label name phasegen can match on (namespace is matched already)", k)
		case w.SessionLabels[k] == "" || !utf8.ValidString(w.SessionLabels[k]) || strings.ContainsAny(w.SessionLabels[k], "\n\r"):
			c.fail(field+".sessionLabels."+k, "must be a non-empty one-line value")
		}
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

// labelName is a Prometheus label name.
var labelName = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// sharedSessions refuses two workloads counting their sessions with one
// metric unless their sessionLabels tell them apart (a label both match
// on, with different values): else each one's sessions alert, status and
// tune would count the other's. The later (in name order) is named at its
// line.
func sharedSessions(c *checker, ws map[string]*WorkloadModel) {
	names := sortedKeys(ws)
	for i, name := range names {
		w := ws[name]
		for _, other := range names[:i] {
			o := ws[other]
			if w.SessionMetric == "" || o.SessionMetric != w.SessionMetric || apart(w.SessionLabels, o.SessionLabels) {
				continue
			}
			c.fail("spec.workloads."+name+".sessionMetric", "%q is also workload %s's session metric, and their sessionLabels do not tell them apart: sessions are summed over the namespace, so each workload's sessions alert, status and tune would count the other's; give both a sessionLabels with a label whose value differs (e.g. {app: %s} and {app: %s}), or each a metric of its own", w.SessionMetric, other, other, name)
			break
		}
	}
}

// apart reports whether label matchers a and b can never select the same
// series: a label both name, with different values.
func apart(a, b map[string]string) bool {
	for k, v := range a {
		if bv, ok := b[k]; ok && bv != v {
			return true
		}
	}
	return false
}

// validateComponents checks the names of components (folders of
// templates/components/): DNS-1123 labels, each once.
func validateComponents(c *checker, field string, names []string) {
	for i, n := range names {
		f := fmt.Sprintf("%s[%d]", field, i)
		if errs := validation.IsDNS1123Label(n); len(errs) > 0 {
			c.fail(f, "%q %s (a folder of templates/components/)", n, dnsLabelRule)
		} else if slices.Index(names, n) < i {
			c.fail(f, "%q is named twice", n)
		}
	}
}
