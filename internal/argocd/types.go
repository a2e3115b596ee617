// Package argocd writes the Argo CD objects that deliver phasegen's overlays to
// a cluster: one Application per environment, or one ApplicationSet with a list
// generator for fleets. It also expands such an ApplicationSet the way Argo CD's
// list generator does, so the two forms can be compared, and warns when an
// Application with prune disabled would leave a removed object running.
//
// The objects are minimal typed copies of Argo CD's argoproj.io/v1alpha1 API,
// holding only the fields phasegen writes; Argo CD's Go module is not imported.
package argocd

import "github.com/coditect/phasegen/internal/config"

// Names and values fixed by Argo CD.
const (
	APIVersion         = "argoproj.io/v1alpha1"
	KindApplication    = "Application"
	KindApplicationSet = "ApplicationSet"
	// Namespace is where Argo CD looks for Applications and ApplicationSets
	// unless an environment sets spec.argocd.namespace.
	Namespace = config.DefaultArgoCDNamespace
	// Finalizer makes deleting an Application delete the objects it deployed.
	Finalizer = "resources-finalizer.argocd.argoproj.io"
	// SyncWaveAnnotation orders Applications synced by an app-of-apps.
	SyncWaveAnnotation = "argocd.argoproj.io/sync-wave"
	// PhaseAnnotation records the phase an object was rendered at.
	PhaseAnnotation = "phasegen.dev/phase"
	// SyncOptionCreateNamespace makes Argo CD create the destination namespace.
	SyncOptionCreateNamespace = "CreateNamespace=true"
	// SyncOptionRespectIgnoreDifferences makes sync honour ignoreDifferences,
	// not only the diff: without it a sync resets HPA-owned replicas.
	SyncOptionRespectIgnoreDifferences = "RespectIgnoreDifferences=true"
)

// ObjectMeta is the subset of Kubernetes object metadata phasegen writes.
type ObjectMeta struct {
	Name        string            `json:"name"`
	Namespace   string            `json:"namespace,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Finalizers  []string          `json:"finalizers,omitempty"`
}

// App is an argoproj.io/v1alpha1 Application (the name Application is
// taken by the function that writes one).
type App struct {
	APIVersion string          `json:"apiVersion"`
	Kind       string          `json:"kind"`
	Metadata   ObjectMeta      `json:"metadata"`
	Spec       ApplicationSpec `json:"spec"`
}

// ApplicationSpec is the desired state of an Application.
type ApplicationSpec struct {
	Project           string                      `json:"project"`
	Source            *Source                     `json:"source,omitempty"`
	Destination       Destination                 `json:"destination"`
	SyncPolicy        *SyncPolicy                 `json:"syncPolicy,omitempty"`
	IgnoreDifferences []ResourceIgnoreDifferences `json:"ignoreDifferences,omitempty"`
}

// Source is where an Application's manifests come from.
type Source struct {
	RepoURL        string     `json:"repoURL"`
	TargetRevision string     `json:"targetRevision,omitempty"`
	Path           string     `json:"path,omitempty"`
	Directory      *Directory `json:"directory,omitempty"`
}

// Directory makes a source a folder of plain manifests: Recurse walks its
// subfolders, and Include (a glob over each file's path relative to the
// source's path, '*' crossing '/') selects the files read.
type Directory struct {
	Recurse bool   `json:"recurse,omitempty"`
	Include string `json:"include,omitempty"`
}

// Destination is the cluster and namespace an Application deploys to: Server
// (an API server URL) or Name (a cluster registered in Argo CD), not both.
type Destination struct {
	Server    string `json:"server,omitempty"`
	Name      string `json:"name,omitempty"`
	Namespace string `json:"namespace,omitempty"`
}

// SyncPolicy says when and how an Application syncs.
type SyncPolicy struct {
	Automated   *Automated `json:"automated,omitempty"`
	SyncOptions []string   `json:"syncOptions,omitempty"`
}

// Automated is automated sync; Prune and SelfHeal are always written, so a
// disabled one is visible in review.
type Automated struct {
	Prune    bool `json:"prune"`
	SelfHeal bool `json:"selfHeal"`
}

// ResourceIgnoreDifferences tells Argo CD to ignore parts of a live object.
type ResourceIgnoreDifferences struct {
	Group        string   `json:"group,omitempty"`
	Kind         string   `json:"kind"`
	Name         string   `json:"name,omitempty"`
	Namespace    string   `json:"namespace,omitempty"`
	JSONPointers []string `json:"jsonPointers,omitempty"`
}
