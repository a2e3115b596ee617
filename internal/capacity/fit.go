package capacity

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/coditect/phasegen/internal/config"
	"github.com/coditect/phasegen/internal/workload"
)

// Fit says whether a phase's ceiling fits what the namespace and the
// nodes allow: each ResourceQuota of the base, and the node of the capacity
// model. The ceiling is every workload at its maximum of pods, plus the
// pods a Deployment's rolling update surges.
type Fit struct {
	Pods   int        `json:"pods"` // at the ceiling, surge included
	Quotas []QuotaFit `json:"quotas,omitempty"`
	Node   *NodeFit   `json:"node,omitempty"`
}

// QuotaFit is one ResourceQuota against the phase's ceiling.
type QuotaFit struct {
	Name      string     `json:"name"`
	Fits      bool       `json:"fits"`
	Resources []QuotaUse `json:"resources,omitempty"`
	// Refused names the pods the API server refuses under this quota: a
	// container without the request or limit the quota counts.
	Refused []string `json:"refused,omitempty"`
	// Unchecked says why a scoped quota is not checked.
	Unchecked string `json:"unchecked,omitempty"`
}

// QuotaUse is what the ceiling asks of one resource the quota limits.
type QuotaUse struct {
	Resource string `json:"resource"`
	Ceiling  string `json:"ceiling"`
	Hard     string `json:"hard"`
	Fits     bool   `json:"fits"`
}

// NodeFit is the fewest nodes of the model's size the ceiling's requests
// need (more when pods do not pack).
type NodeFit struct {
	CPU    string `json:"cpu"`
	Memory string `json:"memory"`
	Nodes  int    `json:"nodes"`
}

// fitter holds what Fit compares with.
type fitter struct {
	quotas []*corev1.ResourceQuota // by name
	node   *config.Node
}

// sized is one workload at a phase's ceiling.
type sized struct {
	w    *workload.Workload
	pods int
	pod  workload.PodResources
}

// fit is phase p's Fit over ws; nil when there is nothing to compare with.
func (f fitter) fit(p *config.Phase, ws []*WorkloadPlanner) *Fit {
	if len(f.quotas) == 0 && f.node == nil {
		return nil
	}
	var all []sized
	out := &Fit{}
	for _, wp := range ws {
		v := wp.View(p)
		if v == nil {
			continue
		}
		hi := int(v.MaxReplicas())
		s := sized{w: wp.Workload, pods: hi + surge(wp.Workload.Deployment, hi), pod: wp.Workload.PodAt(v)}
		out.Pods += s.pods
		all = append(all, s)
	}
	for _, q := range f.quotas {
		out.Quotas = append(out.Quotas, quotaFit(q, all, out.Pods))
	}
	if n := f.node; n != nil && n.CPU != nil && n.Memory != nil {
		cpu, mem := total(all, corev1.ResourceCPU, true), total(all, corev1.ResourceMemory, true)
		nodes := math.Max(cpu.AsApproximateFloat64()/n.CPU.AsApproximateFloat64(), mem.AsApproximateFloat64()/n.Memory.AsApproximateFloat64())
		out.Node = &NodeFit{CPU: n.CPU.String(), Memory: n.Memory.String(), Nodes: int(math.Ceil(nodes - 1e-9))}
	}
	return out
}

// surge is how many pods over hi a Deployment's rolling update adds
// (maxSurge, 25% by default, rounded up); none for a StatefulSet or the
// Recreate strategy.
func surge(d *appsv1.Deployment, hi int) int {
	if d == nil || d.Spec.Strategy.Type == appsv1.RecreateDeploymentStrategyType {
		return 0
	}
	ms := intstr.FromString("25%")
	if ru := d.Spec.Strategy.RollingUpdate; ru != nil && ru.MaxSurge != nil {
		ms = *ru.MaxSurge
	}
	n, err := intstr.GetScaledValueFromIntOrPercent(&ms, hi, true)
	if err != nil {
		return 0
	}
	return n
}

// total is the ceiling's requests (or limits) of r.
func total(all []sized, r corev1.ResourceName, requests bool) resource.Quantity {
	var sum resource.Quantity
	for i, s := range all {
		q := s.pod.Limits[r]
		if requests {
			q = s.pod.Requests[r]
		}
		if i == 0 {
			sum = *resource.NewQuantity(0, q.Format)
		}
		for range s.pods {
			sum.Add(q)
		}
	}
	return sum
}

// quotaFit compares the ceiling with q's hard limits on pods, CPU and
// memory requests (cpu, memory, requests.*) and limits (limits.*).
func quotaFit(q *corev1.ResourceQuota, all []sized, pods int) QuotaFit {
	qf := QuotaFit{Name: q.Name, Fits: true}
	if len(q.Spec.Scopes) > 0 || q.Spec.ScopeSelector != nil {
		qf.Unchecked = "a scoped quota (spec.scopes or scopeSelector): which pods it counts depends on the cluster, so phasegen does not check it"
		return qf
	}
	for _, name := range slices.Sorted(maps.Keys(q.Spec.Hard)) {
		hard := q.Spec.Hard[name]
		var ceiling resource.Quantity
		switch name {
		case corev1.ResourcePods:
			ceiling = *resource.NewQuantity(int64(pods), resource.DecimalSI)
		case corev1.ResourceCPU, corev1.ResourceRequestsCPU:
			ceiling = total(all, corev1.ResourceCPU, true)
			qf.Refused = append(qf.Refused, refused(all, corev1.ResourceCPU, name, q.Name, true)...)
		case corev1.ResourceMemory, corev1.ResourceRequestsMemory:
			ceiling = total(all, corev1.ResourceMemory, true)
			qf.Refused = append(qf.Refused, refused(all, corev1.ResourceMemory, name, q.Name, true)...)
		case corev1.ResourceLimitsCPU:
			ceiling = total(all, corev1.ResourceCPU, false)
			qf.Refused = append(qf.Refused, refused(all, corev1.ResourceCPU, name, q.Name, false)...)
		case corev1.ResourceLimitsMemory:
			ceiling = total(all, corev1.ResourceMemory, false)
			qf.Refused = append(qf.Refused, refused(all, corev1.ResourceMemory, name, q.Name, false)...)
		default:
			continue
		}
		u := QuotaUse{Resource: string(name), Ceiling: ceiling.String(), Hard: hard.String(), Fits: ceiling.Cmp(hard) <= 0}
		qf.Fits = qf.Fits && u.Fits
		qf.Resources = append(qf.Resources, u)
	}
	qf.Fits = qf.Fits && len(qf.Refused) == 0
	return qf
}

// refused names the workloads whose pods a quota on name refuses: a
// container without a request (requests) or a limit for r.
func refused(all []sized, r, name corev1.ResourceName, quota string, requests bool) []string {
	var out []string
	for _, s := range all {
		missing, what := s.pod.NoLimit[r], "limit"
		if requests {
			missing, what = s.pod.NoRequest[r], "request"
		}
		if len(missing) > 0 {
			res := string(r)
			if r == corev1.ResourceCPU {
				res = "CPU"
			}
			out = append(out, fmt.Sprintf("%s: container %s sets no %s %s, and with %s in ResourceQuota %s the API server refuses its pods (unless a LimitRange gives a default)",
				s.w, strings.Join(missing, ", "), res, what, name, quota))
		}
	}
	return out
}

// fitNotes say, for each phase, whether its ceiling fits each quota (what
// does not, or how close it comes) and how many nodes it needs.
func fitNotes(plans []PhasePlan) []string {
	var out []string
	unchecked := map[string]bool{}
	for _, p := range plans {
		f := p.Fit
		if f == nil {
			continue
		}
		for _, q := range f.Quotas {
			if q.Unchecked != "" {
				if !unchecked[q.Name] {
					unchecked[q.Name] = true
					out = append(out, fmt.Sprintf("ResourceQuota %s: %s", q.Name, q.Unchecked))
				}
				continue
			}
			var over, uses []string
			for _, u := range q.Resources {
				uses = append(uses, fmt.Sprintf("%s %s of %s", u.Resource, u.Ceiling, u.Hard))
				if !u.Fits {
					over = append(over, fmt.Sprintf("%s %s, the quota allows %s", u.Resource, u.Ceiling, u.Hard))
				}
			}
			switch {
			case q.Fits:
				out = append(out, fmt.Sprintf("%s at its ceiling (%d pods) fits ResourceQuota %s: %s", p.Name, f.Pods, q.Name, strings.Join(uses, ", ")))
			case len(over) > 0:
				out = append(out, fmt.Sprintf("%s at its ceiling (%d pods) does not fit ResourceQuota %s: %s: the API server refuses the pods over it, so the phase never reaches its maximum", p.Name, f.Pods, q.Name, strings.Join(over, "; ")))
			}
			for _, r := range q.Refused {
				out = append(out, p.Name+": "+r)
			}
		}
		if n := f.Node; n != nil {
			out = append(out, fmt.Sprintf("%s at its ceiling (%d pods) needs at least %d nodes of %s CPU / %s memory allocatable, by its requests", p.Name, f.Pods, n.Nodes, n.CPU, n.Memory))
		}
	}
	return out
}
