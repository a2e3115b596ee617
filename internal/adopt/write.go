package adopt

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/coditect/phasegen/internal/autoscaler"
	"github.com/coditect/phasegen/internal/config"
)

const header = "# Written by phasegen init from the app's manifests; yours to edit.\napiVersion: " + config.APIVersion + "\n"

// capacityYAML is the CapacityModel: each workload's container, and the
// prices plan uses, to be set.
func capacityYAML(app string, sizes []sizing) string {
	var b strings.Builder
	b.WriteString(header)
	fmt.Fprintf(&b, "kind: CapacityModel\nmetadata:\n  name: %s   # the app: it names its trees, branches and Applications in the GitOps repository\nspec:\n", app)
	b.WriteString("  pricing:                # your provider's prices: plan prices every pod with them\n")
	b.WriteString("    cpuCoreHour: 0.031    # a core (at its limit) for an hour\n")
	b.WriteString("    memoryGiBHour: 0      # a GiB of memory (at its limit) for an hour; 0 leaves memory unpriced\n")
	b.WriteString("    storageGBMonth: 0.10  # a GiB of volume for a month\n")
	b.WriteString("    hoursPerMonth: 720\n")
	b.WriteString("    example: true         # these are example prices: plan says so until you set yours and remove this line\n")
	b.WriteString("  workloads:\n")
	for _, s := range sizes {
		if s.skip {
			fmt.Fprintf(&b, "    %s:\n      managed: false   # left as the base has it: no patch, HPA, PDB or alerts; plan prices it at the base's size\n", s.name)
			continue
		}
		fmt.Fprintf(&b, "    %s:\n      container: %s   # the container phasegen sizes and watches\n", s.name, s.container)
		b.WriteString("      # usersPerPod: {conservative: 10, optimistic: 15}   # the users one pod serves: with it, plan sizes this\n")
		b.WriteString("      #   workload by users and says whether each phase serves its users; without it, by its phase values only\n")
	}
	return b.String()
}

// phaseYAML is the Phase that runs every workload as the inputs do.
func phaseYAML(name string, sizes []sizing) string {
	var b strings.Builder
	b.WriteString(header)
	fmt.Fprintf(&b, "kind: Phase\nmetadata:\n  name: %s\nspec:\n  order: 1\n  description: What runs today\n", name)
	b.WriteString("  users: {min: 1, max: 1}   # the users this phase must serve: set them\n  workloads:\n")
	for _, s := range sizes {
		if s.skip {
			continue
		}
		fmt.Fprintf(&b, "    %s:\n", s.name)
		if s.hpa != nil {
			writeHPA(&b, s.hpa)
		} else {
			fmt.Fprintf(&b, "      replicas: %d\n", s.replicas)
		}
		writeResources(&b, s.resources)
		writePDB(&b, s.pdb)
	}
	writeNextPhase(&b, name, sizes)
	return b.String()
}

// writeNextPhase ends the phase with how the next one is written: a phase
// that extends this one and lists only what changes.
func writeNextPhase(b *strings.Builder, name string, sizes []sizing) {
	fmt.Fprintf(b, "# The next phase, phases/launch.yaml, takes this one's sizing and lists only what changes:\n"+
		"#   kind: Phase\n#   metadata: {name: launch}\n#   spec:\n#     order: 2\n#     users: {min: 1, max: 100}\n#     extends: %s\n#     workloads:\n", name)
	if i := slices.IndexFunc(sizes, func(s sizing) bool { return !s.skip }); i >= 0 {
		fmt.Fprintf(b, "#       %s: {replicas: 4}   # everything else as in %s; null removes a field\n", sizes[i].name, name)
	}
}

func writeHPA(b *strings.Builder, h *autoscalingv2.HorizontalPodAutoscalerSpec) {
	lo := int32(1)
	if h.MinReplicas != nil {
		lo = *h.MinReplicas
	}
	fmt.Fprintf(b, "      autoscaling:\n        minReplicas: %d\n        maxReplicas: %d\n", lo, h.MaxReplicas)
	for _, m := range h.Metrics {
		field := "targetCPUUtilizationPercentage"
		if m.Resource.Name == corev1.ResourceMemory {
			field = "targetMemoryUtilizationPercentage"
		}
		fmt.Fprintf(b, "        %s: %d\n", field, *m.Resource.Target.AverageUtilization)
	}
	if bh := h.Behavior; bh != nil {
		writeRule(b, "scaleUp", bh.ScaleUp, 0)
		writeRule(b, "scaleDown", bh.ScaleDown, autoscaler.DownscaleStabilizationSeconds)
	}
}

// writeRule writes one direction's Pods policy; a window left out takes
// the API's default for that direction, as the HPA did.
func writeRule(b *strings.Builder, name string, r *autoscalingv2.HPAScalingRules, window int32) {
	if r == nil {
		return
	}
	if r.StabilizationWindowSeconds != nil {
		window = *r.StabilizationWindowSeconds
	}
	p := r.Policies[0]
	fmt.Fprintf(b, "        %s: {stabilizationWindowSeconds: %d, pods: %d, periodSeconds: %d}\n", name, window, p.Value, p.PeriodSeconds)
}

func writeResources(b *strings.Builder, r corev1.ResourceRequirements) {
	list := func(l corev1.ResourceList) string {
		var parts []string
		for _, n := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			if q, ok := l[n]; ok {
				parts = append(parts, fmt.Sprintf("%s: %s", n, quote(q)))
			}
		}
		return strings.Join(parts, ", ")
	}
	req, lim := list(r.Requests), list(r.Limits)
	if req == "" && lim == "" {
		return
	}
	b.WriteString("      resources:\n")
	if req != "" {
		fmt.Fprintf(b, "        requests: {%s}\n", req)
	}
	if lim != "" {
		fmt.Fprintf(b, "        limits: {%s}\n", lim)
	}
}

// quote writes a quantity so that YAML reads it back as the same string.
func quote(q resource.Quantity) string { return strconv.Quote(q.String()) }

func writePDB(b *strings.Builder, p *policyv1.PodDisruptionBudgetSpec) {
	if p == nil {
		return
	}
	v := func(x *intstr.IntOrString) string {
		if x.Type == intstr.String {
			return strconv.Quote(x.StrVal)
		}
		return strconv.Itoa(int(x.IntVal))
	}
	switch {
	case p.MinAvailable != nil:
		fmt.Fprintf(b, "      pdb: {minAvailable: %s}\n", v(p.MinAvailable))
	case p.MaxUnavailable != nil:
		fmt.Fprintf(b, "      pdb: {maxUnavailable: %s}\n", v(p.MaxUnavailable))
	}
}

// environmentYAML is the one Environment, running the whole base.
func environmentYAML(o Options) string {
	var b strings.Builder
	b.WriteString(header)
	fmt.Fprintf(&b, "kind: Environment\nmetadata:\n  name: %s\nspec:\n  phase: %s   # moved by `phasegen promote %s --to <next phase>`\n", o.Env, o.Phase, o.Env)
	fmt.Fprintf(&b, "  namespace: %s\n  gitops:\n", o.Namespace)
	fmt.Fprintf(&b, "    repo: %s   # the GitHub repository Argo CD reads (set repoURL too for another host)\n", o.GitOpsRepo)
	fmt.Fprintf(&b, "    branch: main\n    path: apps/%s   # each environment's tree lives in <path>/<environment>/\n", o.App)
	b.WriteString("  argocd:\n    project: default\n    server: https://kubernetes.default.svc\n")
	return b.String()
}
