package config

import (
	corev1 "k8s.io/api/core/v1"
)

// Apply returns base with the phase's overrides laid over it. A nil r keeps
// base as it is.
func (r *Resources) Apply(base corev1.ResourceRequirements) corev1.ResourceRequirements {
	out := *base.DeepCopy()
	if r == nil {
		return out
	}
	out.Requests = r.Requests.apply(out.Requests)
	out.Limits = r.Limits.apply(out.Limits)
	return out
}

func (l ResourceList) apply(base corev1.ResourceList) corev1.ResourceList {
	if l.CPU == nil && l.Memory == nil {
		return base
	}
	if base == nil {
		base = corev1.ResourceList{}
	}
	if l.CPU != nil {
		base[corev1.ResourceCPU] = l.CPU.DeepCopy()
	}
	if l.Memory != nil {
		base[corev1.ResourceMemory] = l.Memory.DeepCopy()
	}
	return base
}
