// Package config loads and validates phasegen's configuration: the Phase,
// Environment and CapacityModel documents (apiVersion phasegen.dev/v1alpha1)
// under environments/. Decoding is strict and every problem is reported at
// once as FILE:LINE: FIELD: message. Of phasegen's packages it imports only
// parallel (to read the environments on every core).
package config

import (
	"fmt"
	"go.yaml.in/yaml/v3"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// APIVersion is the only apiVersion phasegen reads.
const APIVersion = "phasegen.dev/v1alpha1"

// The kinds of document phasegen reads.
const (
	KindPhase         = "Phase"
	KindEnvironment   = "Environment"
	KindCapacityModel = "CapacityModel"
)

// Metadata names a document.
type Metadata struct {
	Name string `json:"name"`
}

// Source says where a document came from, so later checks can point at a line.
type Source struct {
	File  string         // path as given to Load, joined with the file name
	lines map[string]int // field path ("spec.replicas") → line
	Raw   []byte         // the file's bytes, for edits that keep comments
}

// Line returns the line of field (a dotted path such as "spec.autoscaling.minReplicas"),
// or of its nearest ancestor that is present, or 1.
func (s Source) Line(field string) int {
	for f := field; f != ""; {
		if l, ok := s.lines[f]; ok {
			return l
		}
		i := lastSep(f)
		if i < 0 {
			break
		}
		f = f[:i]
	}
	if l, ok := s.lines[""]; ok {
		return l
	}
	return 1
}

// Has reports whether field was written in the document.
func (s Source) Has(field string) bool {
	_, ok := s.lines[field]
	return ok
}

func lastSep(f string) int {
	for i := len(f) - 1; i >= 0; i-- {
		if f[i] == '.' || f[i] == '[' {
			return i
		}
	}
	return -1
}

// Phase is one launch phase: how the workload is sized and watched.
type Phase struct {
	APIVersion string    `json:"apiVersion"`
	Kind       string    `json:"kind"`
	Metadata   Metadata  `json:"metadata"`
	Spec       PhaseSpec `json:"spec"`
	Source     Source    `json:"-"`

	workload string // the workload a view of a per-workload phase sizes
	// node is the document's top mapping as decoded: with spec.extends
	// resolved, the merged one its children extend.
	node *yaml.Node
}

// PhaseSpec is the body of a Phase. A phase sizes its workloads in one of
// two forms: the one-workload form (the Sizing fields inline, for a base of
// one Deployment or StatefulSet) or the per-workload form (Workloads, one
// entry per workload of the base). A document uses one form, never both.
type PhaseSpec struct {
	Order       int      `json:"order"`
	Description string   `json:"description"`
	Users       Users    `json:"users"`
	Checklist   []string `json:"checklist"`
	// Soak is the least time an environment stays at this phase before
	// promote moves it on (a Prometheus-style duration: 24h, 7d); "" is none.
	Soak string `json:"soak"`
	// Extends names the phase whose sizing this one takes (every sizing
	// field, deep, under its own); "" is none.
	Extends string `json:"extends"`
	// Components names Kustomize components of templates/components/ the
	// phase's overlays include (before the environment's own).
	Components []string `json:"components"`
	Sizing     `json:",inline"`
	// Workloads sizes each workload of the base, by name (the per-workload form).
	Workloads map[string]*Sizing `json:"workloads"`

	// views are the per-workload Phases For returns, made by validation.
	views map[string]*Phase
}

// Sizing is how a phase runs one workload: its replicas or HPA, its
// container's resources, its disruption budget and its alert thresholds.
type Sizing struct {
	Replicas    int32        `json:"replicas"`
	Autoscaling *Autoscaling `json:"autoscaling"`
	Resources   *Resources   `json:"resources"`
	PDB         *PDB         `json:"pdb"`
	Alerts      Alerts       `json:"alerts"`
	SLO         *SLO         `json:"slo"`
	// Env sets literal environment variables on the sized container (a
	// JVM's heap, Node's max-old-space-size, Go's GOMEMLIMIT), by name.
	Env map[string]string `json:"env"`
}

// PDB is the workload's PodDisruptionBudget: one of minAvailable and
// maxUnavailable, a number of pods or a percentage ("25%"). Nil is the
// default, maxUnavailable: 1.
type PDB struct {
	MinAvailable   *intstr.IntOrString `json:"minAvailable"`
	MaxUnavailable *intstr.IntOrString `json:"maxUnavailable"`
}

// String is the budget as a PodDisruptionBudget states it: "maxUnavailable
// 1" (the default, for a nil budget), "minAvailable 50%".
func (b *PDB) String() string {
	switch {
	case b != nil && b.MinAvailable != nil:
		return "minAvailable " + b.MinAvailable.String()
	case b != nil && b.MaxUnavailable != nil:
		return "maxUnavailable " + b.MaxUnavailable.String()
	}
	return "maxUnavailable 1"
}

// PerWorkload reports whether the phase is in the per-workload form.
func (p *Phase) PerWorkload() bool { return p.Spec.Workloads != nil }

// For returns the phase as it sizes workload: the phase itself in the
// one-workload form; in the per-workload form a Phase whose Sizing is that
// workload's entry (nil when the phase does not size it). The views are
// made once, so For returns the same pointer every time.
func (p *Phase) For(workload string) *Phase {
	if !p.PerWorkload() {
		return p
	}
	return p.Spec.views[workload]
}

// Workload is the workload a per-workload view sizes ("" for a phase in the
// one-workload form).
func (p *Phase) Workload() string { return p.workload }

// Field is the path of a sizing field (such as "autoscaling.maxReplicas")
// in the phase's file: under spec, or under the workload's entry.
func (p *Phase) Field(f string) string {
	if p.workload == "" {
		return "spec." + f
	}
	return "spec.workloads." + p.workload + "." + f
}

// SLO is the phase's load test, for planning only (nothing is rendered from
// it): the users at the peak and how soon after the load arrives their pods
// must be there. It needs autoscaling.
type SLO struct {
	PeakUsers       int    `json:"peakUsers"`
	ScaleUpWithin   string `json:"scaleUpWithin"`   // a Prometheus duration
	PodReadySeconds int32  `json:"podReadySeconds"` // a new pod's creation to Ready; default 0

	// WithinSeconds is ScaleUpWithin in whole seconds, set by validation.
	WithinSeconds int `json:"-"`
}

// Users is the range of users a phase must serve.
type Users struct {
	Min int `json:"min"`
	Max int `json:"max"`
}

// Autoscaling configures the HorizontalPodAutoscaler; nil means none.
type Autoscaling struct {
	MinReplicas                       int32        `json:"minReplicas"`
	MaxReplicas                       int32        `json:"maxReplicas"`
	TargetCPUUtilizationPercentage    *int32       `json:"targetCPUUtilizationPercentage"`
	TargetMemoryUtilizationPercentage *int32       `json:"targetMemoryUtilizationPercentage"`
	ScaleUp                           *ScalingRule `json:"scaleUp"`
	ScaleDown                         *ScalingRule `json:"scaleDown"`
}

// ScalingRule is one direction of the HPA's behaviour: a stabilization window
// and a Pods policy.
type ScalingRule struct {
	StabilizationWindowSeconds int32 `json:"stabilizationWindowSeconds"`
	Pods                       int32 `json:"pods"`
	PeriodSeconds              int32 `json:"periodSeconds"`
}

// Resources overrides the container's requests and limits; a nil field keeps
// the base's value.
type Resources struct {
	Requests ResourceList `json:"requests"`
	Limits   ResourceList `json:"limits"`
}

// ResourceList is a CPU and a memory quantity; nil keeps the base's.
type ResourceList struct {
	CPU    *resource.Quantity `json:"cpu"`
	Memory *resource.Quantity `json:"memory"`
}

// MinReplicas is the number of pods the phase always runs: the HPA floor, or
// the fixed replica count.
func (p *Phase) MinReplicas() int32 {
	if p.Spec.Autoscaling != nil {
		return p.Spec.Autoscaling.MinReplicas
	}
	return p.Spec.Replicas
}

// MaxReplicas is the most pods the phase may run: the HPA ceiling, or the
// fixed replica count.
func (p *Phase) MaxReplicas() int32 {
	if p.Spec.Autoscaling != nil {
		return p.Spec.Autoscaling.MaxReplicas
	}
	return p.Spec.Replicas
}

// SoakDuration is spec.soak as a duration; 0 when the phase has none.
func (p *Phase) SoakDuration() time.Duration {
	d, _ := ParseDuration(p.Spec.Soak)
	return d
}

// Environment is one deployment of the workload, declared at a phase.
type Environment struct {
	APIVersion string          `json:"apiVersion"`
	Kind       string          `json:"kind"`
	Metadata   Metadata        `json:"metadata"`
	Spec       EnvironmentSpec `json:"spec"`
	Source     Source          `json:"-"`
	// App is the name of the app the environment belongs to: its
	// CapacityModel's metadata.name, set by Load.
	App string `json:"-"`
}

// EnvironmentSpec is the body of an Environment.
type EnvironmentSpec struct {
	Phase     string `json:"phase"`
	Namespace string `json:"namespace"`
	// Workload names the base's one workload (optional): every environment
	// runs the whole base, so a base of several workloads takes none.
	Workload       string          `json:"workload"`
	GitOps         GitOps          `json:"gitops"`
	ArgoCD         ArgoCD          `json:"argocd"`
	PrometheusRule *PrometheusRule `json:"prometheusRule"`
	// Components names Kustomize components of templates/components/ the
	// environment's overlay includes: what differs per environment.
	Components []string `json:"components"`
	// OwnsClusterScoped: of the environments on its cluster, this one
	// deploys the base's cluster-scoped objects; the others leave them out.
	OwnsClusterScoped bool `json:"ownsClusterScoped"`
}

// PrometheusRule says whether the environment gets PrometheusRules and
// what they carry so that the Prometheus Operator's ruleSelector picks
// them up.
type PrometheusRule struct {
	// Enabled false leaves the PrometheusRules out of the overlay, for a
	// cluster without the Prometheus Operator; absent means true.
	Enabled *bool             `json:"enabled"`
	Labels  map[string]string `json:"labels"`
}

// GitOps says where the environment's generated tree lives in the Argo CD repo.
type GitOps struct {
	Repo    string `json:"repo"`    // GitHub owner/name
	RepoURL string `json:"repoURL"` // clone URL Argo CD uses; default https://github.com/<repo>.git
	Branch  string `json:"branch"`
	Path    string `json:"path"`
}

// ArgoCD configures the environment's Application.
type ArgoCD struct {
	Project string `json:"project"`
	// ApplicationName is the Application's metadata.name; default
	// <app>-<env>. A promotion records here the name of an Application the
	// GitOps repository already holds under another name, so it keeps it.
	ApplicationName string `json:"applicationName"`
	// Namespace is the Application's own namespace (metadata.namespace):
	// DefaultArgoCDNamespace, or another one where Argo CD's "Applications
	// in any namespace" is enabled (the API then needs appNamespace).
	Namespace string `json:"namespace"`
	Server    string `json:"server"`
	Name      string `json:"name"`     // cluster name, instead of server
	SyncWave  *int32 `json:"syncWave"` // argocd.argoproj.io/sync-wave on the Application
	Prune     *bool  `json:"prune"`    // automated sync prunes (default true)
	SelfHeal  *bool  `json:"selfHeal"` // automated sync self-heals (default true)
	Manual    bool   `json:"manual"`   // no automated sync at all
}

// RepoURL returns the clone URL of the GitOps repository.
func (g GitOps) CloneURL() string {
	if g.RepoURL != "" {
		return g.RepoURL
	}
	return "https://github.com/" + g.Repo + ".git"
}

// DefaultArgoCDNamespace is the namespace of an Application whose
// environment sets no spec.argocd.namespace: where Argo CD itself runs
// and looks for Applications.
const DefaultArgoCDNamespace = "argocd"

// ApplicationNamespace is the namespace the environment's Application lives
// in: spec.argocd.namespace, DefaultArgoCDNamespace when unset.
func (a ArgoCD) ApplicationNamespace() string {
	if a.Namespace == "" {
		return DefaultArgoCDNamespace
	}
	return a.Namespace
}

// ApplicationName is the name of the Argo CD Application that deploys the
// environment: spec.argocd.applicationName when set, else
// "<app>-<environment>".
func (e *Environment) ApplicationName() string {
	if e.Spec.ArgoCD.ApplicationName != "" {
		return e.Spec.ArgoCD.ApplicationName
	}
	return e.App + "-" + e.Metadata.Name
}

// DefaultServer is the in-cluster API server, where an Application that
// names no destination deploys.
const DefaultServer = "https://kubernetes.default.svc"

// Cluster is the key of the cluster env's Application deploys to: its
// spec.argocd.server, or name:<spec.argocd.name>.
func (e *Environment) Cluster() string {
	if a := e.Spec.ArgoCD; a.Name != "" {
		return "name:" + a.Name
	} else if a.Server != "" {
		return a.Server
	}
	return DefaultServer
}

// ComponentsAt are the components env's overlay at phase p includes: the
// phase's, then the environment's, each once.
func (e *Environment) ComponentsAt(p *Phase) []string {
	var out []string
	for _, c := range append(append([]string(nil), p.Spec.Components...), e.Spec.Components...) {
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

// AlertsEnabled reports whether the environment's overlay holds the
// workloads' PrometheusRules (spec.prometheusRule.enabled, default true).
func (e *Environment) AlertsEnabled() bool {
	r := e.Spec.PrometheusRule
	return r == nil || r.Enabled == nil || *r.Enabled
}

// PrometheusRuleLabels are the labels spec.prometheusRule.labels adds to
// every PrometheusRule of the environment (nil when none).
func (e *Environment) PrometheusRuleLabels() map[string]string {
	if e.Spec.PrometheusRule == nil {
		return nil
	}
	return e.Spec.PrometheusRule.Labels
}

// PruneEnabled reports whether Argo CD prunes objects phasegen stops generating.

func (a ArgoCD) PruneEnabled() bool { return !a.Manual && (a.Prune == nil || *a.Prune) }

// SelfHealEnabled reports whether automated sync reverts drift.
func (a ArgoCD) SelfHealEnabled() bool { return !a.Manual && (a.SelfHeal == nil || *a.SelfHeal) }

// CapacityModel says how many users a pod serves and what resources cost.
type CapacityModel struct {
	APIVersion string       `json:"apiVersion"`
	Kind       string       `json:"kind"`
	Metadata   Metadata     `json:"metadata"`
	Spec       CapacitySpec `json:"spec"`
	Source     Source       `json:"-"`
}

// CapacitySpec is the body of a CapacityModel: the prices, and what a pod
// of each workload serves, in the one-workload form (the WorkloadModel
// fields inline) or the per-workload form (Workloads). A document uses one
// form, never both.
type CapacitySpec struct {
	WorkloadModel `json:",inline"`
	Pricing       Pricing                   `json:"pricing"`
	Workloads     map[string]*WorkloadModel `json:"workloads"`
	// Node is one node's allocatable CPU and memory (nil: not known).
	Node *Node `json:"node"`
}

// WorkloadModel is what phasegen knows of one workload beyond its base: the
// container it sizes and watches, the users a pod serves (nil: the
// workload is not sized by users), the metric counting its sessions ("":
// none) and what its alerts tell people is at stake.
type WorkloadModel struct {
	Container     string       `json:"container"`
	UsersPerPod   *UsersPerPod `json:"usersPerPod"`
	SessionMetric string       `json:"sessionMetric"`
	// SessionLabels are label matchers that pick this workload's series of
	// SessionMetric ({app: api}): required when two workloads share one
	// metric, which is otherwise summed over the namespace.
	SessionLabels map[string]string `json:"sessionLabels"`
	Impact        Impact            `json:"impact"`
	// Managed false leaves the workload as the base has it: no patch, HPA,
	// PDB or alerts, and phases do not size it (nil: managed).
	Managed *bool `json:"managed"`
}

// Unmanaged reports whether the entry says managed: false.
func (w WorkloadModel) Unmanaged() bool { return w.Managed != nil && !*w.Managed }

// SessionSelector is the PromQL selector of the workload's sessions in
// namespace: the namespace and SessionLabels, sorted.
func (w WorkloadModel) SessionSelector(namespace string) string {
	return SessionSelector(namespace, w.SessionLabels)
}

// SessionSelector is the PromQL selector of sessions in namespace with
// labels, sorted.
func SessionSelector(namespace string, labels map[string]string) string {
	parts := []string{fmt.Sprintf("namespace=%q", namespace)}
	for _, k := range sortedKeys(labels) {
		parts = append(parts, fmt.Sprintf("%s=%q", k, labels[k]))
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// Impact words the alerts in the app's own terms; "" keeps the generic text.
type Impact struct {
	// VolumeFull ends the description of the volume alert: what users lose
	// when the volume fills ("its pod's users cannot save work once it fills").
	VolumeFull string `json:"volumeFull"`
	// VolumeData names what the volumes hold, in the volume runbook
	// ("Workspace data").
	VolumeData string `json:"volumeData"`
}

// PerWorkload reports whether the model is in the per-workload form.
func (m *CapacityModel) PerWorkload() bool { return m.Spec.Workloads != nil }

// For returns what the model says of workload: the inline fields in the
// one-workload form, the workload's entry in the per-workload form (zero,
// not sized by users, when it has none).
func (m *CapacityModel) For(workload string) WorkloadModel {
	if !m.PerWorkload() {
		return m.Spec.WorkloadModel
	}
	if w := m.Spec.Workloads[workload]; w != nil {
		return *w
	}
	return WorkloadModel{}
}

// Field is the path of a WorkloadModel field of workload in the model's
// file: under spec, or under the workload's entry.
func (m *CapacityModel) Field(workload, f string) string {
	if !m.PerWorkload() {
		return "spec." + f
	}
	return "spec.workloads." + workload + "." + f
}

// UsersPerPod is the conservative and optimistic users a pod serves.
type UsersPerPod struct {
	Conservative float64 `json:"conservative"`
	Optimistic   float64 `json:"optimistic"`
}

// Pricing is what compute and storage cost.
type Pricing struct {
	CPUCoreHour    float64 `json:"cpuCoreHour"`
	MemoryGiBHour  float64 `json:"memoryGiBHour"` // default 0: memory is not billed
	StorageGBMonth float64 `json:"storageGBMonth"`
	HoursPerMonth  float64 `json:"hoursPerMonth"`
	// Example marks the prices as examples (init writes them so) until the
	// user sets the provider's and removes it; plan says so.
	Example bool `json:"example"`
}

// WorkloadNames are the names spec.workloads sizes, sorted (none in the
// one-workload form).
func (p *Phase) WorkloadNames() []string { return sortedKeys(p.Spec.Workloads) }

// WorkloadNames are the names spec.workloads describes, sorted (none in the
// one-workload form).
func (m *CapacityModel) WorkloadNames() []string { return sortedKeys(m.Spec.Workloads) }

// Problem is a problem with field of the phase, at its line.
func (p *Phase) Problem(field, format string, args ...any) Problem {
	return Problem{File: p.Source.File, Line: p.Source.Line(field), Field: field, Msg: fmt.Sprintf(format, args...)}
}

// Problem is a problem with field of the capacity model, at its line.
func (m *CapacityModel) Problem(field, format string, args ...any) Problem {
	return Problem{File: m.Source.File, Line: m.Source.Line(field), Field: field, Msg: fmt.Sprintf(format, args...)}
}
