package config

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
)

// sizingFields are the fields of the one-workload form that the
// per-workload form moves under spec.workloads.<name>.
var sizingFields = []string{"replicas", "autoscaling", "resources", "pdb", "alerts", "slo", "env"}

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
		if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
			c.fail(field, "%q %s", name, dnsSubdomainRule)
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
	} else if s.Replicas < 0 {
		// 0 is a workload scaled to zero, as a Deployment may be.
		c.fail(f("replicas"), "must not be negative")
	}
	if r := s.Resources; r != nil {
		checkNotAbove(c, f("resources"), "cpu", r.Requests.CPU, r.Limits.CPU)
		checkNotAbove(c, f("resources"), "memory", r.Requests.Memory, r.Limits.Memory)
	}
	if s.PDB != nil {
		validatePDB(c, f("pdb"), s.PDB)
	}
	validateAlerts(c, f("alerts"), &s.Alerts)
	for _, k := range sortedKeys(s.Env) {
		if errs := validation.IsEnvVarName(k); len(errs) > 0 {
			c.fail(f("env."+k), "%q is not an environment variable name: %s", k, strings.Join(errs, "; "))
		}
	}
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
	if !c.src.Has(f("restarts")) {
		a.Restarts = d.Restarts
	}
	if a.Restarts < 1 {
		c.fail(f("restarts"), "must be at least 1 (restarts of a pod's containers within an hour)")
	}
	validateSeverity(c, f("severity"), a.Severity)
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

// validateSeverity checks alerts.severity: each key an alert phasegen
// renders, each value a label value Alertmanager can route on.
func validateSeverity(c *checker, field string, sev map[string]string) {
	known := AlertNames()
	for _, name := range sortedKeys(sev) {
		f := field + "." + name
		switch v := sev[name]; {
		case !slices.Contains(known, name):
			c.fail(f, "%q is not an alert phasegen renders (one of %s)", name, strings.Join(known, ", "))
		case v == "":
			c.fail(f, "is empty: name a severity such as critical, warning or info")
		default:
			if errs := validation.IsValidLabelValue(v); len(errs) > 0 {
				c.fail(f, "%q is not a valid label value: %s", v, strings.Join(errs, "; "))
			}
		}
	}
}
