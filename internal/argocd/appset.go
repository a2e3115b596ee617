package argocd

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/coditect/phasegen/internal/config"
)

// Item is one environment of a fleet, at the phase it is rendered at.
type Item struct {
	Env   *config.Environment
	Phase *config.Phase
	// HPAOwned are the environment's workloads the phase autoscales
	// (HPAOwned).
	HPAOwned []Workload
}

// AppSet is an argoproj.io/v1alpha1 ApplicationSet with the fields phasegen
// writes.
type AppSet struct {
	APIVersion string     `json:"apiVersion"`
	Kind       string     `json:"kind"`
	Metadata   ObjectMeta `json:"metadata"`
	Spec       AppSetSpec `json:"spec"`
}

// AppSetSpec is the body of an ApplicationSet.
type AppSetSpec struct {
	GoTemplate        bool        `json:"goTemplate,omitempty"`
	GoTemplateOptions []string    `json:"goTemplateOptions,omitempty"`
	Generators        []Generator `json:"generators"`
	Template          AppTemplate `json:"template"`
	TemplatePatch     string      `json:"templatePatch,omitempty"`
}

// AppTemplate is an ApplicationSet's template: an Application without
// apiVersion and kind.
type AppTemplate struct {
	Metadata ObjectMeta      `json:"metadata"`
	Spec     ApplicationSpec `json:"spec"`
}

// Generator is an ApplicationSet generator; phasegen uses only List.
type Generator struct {
	List *ListGenerator `json:"list,omitempty"`
}

// ListGenerator yields one Application per element.
type ListGenerator struct {
	Elements []map[string]any `json:"elements"`
}

// The keys of a list element. Every element carries every key, so the
// templates can run with missingkey=error.
const (
	keyEnv         = "env"
	keyName        = "name"     // the Application's name
	keyHPAOwned    = "hpaOwned" // [{kind, name}] of the workloads whose replicas an HPA owns
	keyPhase       = "phase"
	keyProject     = "project"
	keyRepoURL     = "repoURL"
	keyRevision    = "targetRevision"
	keyPath        = "path"
	keyServer      = "server"
	keyCluster     = "cluster"
	keyNamespace   = "namespace"
	keySyncWave    = "syncWave"
	keyAutomated   = "automated"
	keyPrune       = "prune"
	keySelfHeal    = "selfHeal"
	keyAutoscaling = "autoscaling"
)

// appSetTemplate is the part of every Application that only varies by string
// values, each templated on its own as Argo CD does. namespace is the
// Applications' (and the ApplicationSet's) namespace.
func appSetTemplate(namespace string) AppTemplate {
	return AppTemplate{
		Metadata: ObjectMeta{
			Name:        "{{ .name }}",
			Namespace:   namespace,
			Annotations: map[string]string{PhaseAnnotation: "{{ .phase }}"},
			Finalizers:  []string{Finalizer},
		},
		Spec: ApplicationSpec{
			Project: "{{ .project }}",
			Source: &Source{
				RepoURL:        "{{ .repoURL }}",
				TargetRevision: "{{ .targetRevision }}",
				Path:           "{{ .path }}",
			},
			Destination: Destination{Namespace: "{{ .namespace }}"},
		},
	}
}

// appSetTemplatePatch carries what differs in shape between environments:
// server or cluster name, the sync wave, automated sync, and the HPA's
// ignoreDifferences with RespectIgnoreDifferences. String values go through
// printf "%q", a double-quoted scalar YAML reads back unchanged.
const appSetTemplatePatch = `{{- if .syncWave }}
metadata:
  annotations:
    ` + SyncWaveAnnotation + `: {{ printf "%q" .syncWave }}
{{- end }}
spec:
  destination:
    {{- if .server }}
    server: {{ printf "%q" .server }}
    {{- else }}
    name: {{ printf "%q" .cluster }}
    {{- end }}
  syncPolicy:
    {{- if .automated }}
    automated:
      prune: {{ .prune }}
      selfHeal: {{ .selfHeal }}
    {{- end }}
    syncOptions:
      - ` + SyncOptionCreateNamespace + `
      {{- if .autoscaling }}
      - ` + SyncOptionRespectIgnoreDifferences + `
      {{- end }}
  {{- if .autoscaling }}
  ignoreDifferences:
    {{- range .hpaOwned }}
    - group: apps
      kind: {{ printf "%q" .kind }}
      name: {{ printf "%q" .name }}
      namespace: {{ printf "%q" $.namespace }}
      jsonPointers:
        - /spec/replicas
    {{- end }}
  {{- end }}
`

// element is the list-generator element of one environment.
func element(it Item) (map[string]any, error) {
	if err := check(it.Env, it.Phase); err != nil {
		return nil, err
	}
	s := it.Env.Spec
	hpa := make([]any, 0, len(it.HPAOwned))
	for _, w := range it.HPAOwned {
		hpa = append(hpa, map[string]any{"kind": w.Kind, "name": w.Name})
	}
	wave := ""
	if s.ArgoCD.SyncWave != nil {
		wave = strconv.Itoa(int(*s.ArgoCD.SyncWave))
	}
	return map[string]any{
		keyEnv:         it.Env.Metadata.Name,
		keyName:        Name(it.Env),
		keyHPAOwned:    hpa,
		keyPhase:       it.Phase.Metadata.Name,
		keyProject:     s.ArgoCD.Project,
		keyRepoURL:     s.GitOps.CloneURL(),
		keyRevision:    s.GitOps.Branch,
		keyPath:        SourcePath(it.Env),
		keyServer:      s.ArgoCD.Server,
		keyCluster:     s.ArgoCD.Name,
		keyNamespace:   s.Namespace,
		keySyncWave:    wave,
		keyAutomated:   !s.ArgoCD.Manual,
		keyPrune:       s.ArgoCD.PruneEnabled(),
		keySelfHeal:    s.ArgoCD.SelfHealEnabled(),
		keyAutoscaling: len(it.HPAOwned) > 0,
	}, nil
}

// NewAppSet builds an ApplicationSet called name whose list generator yields,
// for each item, the Application that Application(item.Env, item.Phase)
// writes. Elements are ordered by Application name; two items with the same
// Application name are an error.
//
// The ApplicationSet lives in its Applications' namespace
// (spec.argocd.namespace, argocd by default), and items in different
// namespaces are an error: Argo CD's ApplicationSet controller puts every
// Application it generates in the ApplicationSet's own namespace, whatever
// the template says (applicationset/controllers/template GenerateApplications:
// "the app's namespace must be the same as the AppSet's namespace to preserve
// the appsets-in-any-namespace security boundary"), so one ApplicationSet
// cannot make Applications in two namespaces.
func NewAppSet(name string, items []Item) (*AppSet, error) {
	if name == "" {
		return nil, fmt.Errorf("argocd applicationset: no name")
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("argocd applicationset %s: no environments", name)
	}
	type named struct {
		app string
		el  map[string]any
	}
	els := make([]named, 0, len(items))
	seen := map[string]bool{}
	byNamespace := map[string][]string{}
	for _, it := range items {
		el, err := element(it)
		if err != nil {
			return nil, fmt.Errorf("argocd applicationset %s: %w", name, err)
		}
		app := Name(it.Env)
		ns := it.Env.Spec.ArgoCD.ApplicationNamespace()
		byNamespace[ns] = append(byNamespace[ns], it.Env.Metadata.Name)
		if seen[app] {
			return nil, fmt.Errorf("argocd applicationset %s: two environments make Application %s", name, app)
		}
		seen[app] = true
		els = append(els, named{app, el})
	}
	namespace, err := oneNamespace(name, byNamespace)
	if err != nil {
		return nil, err
	}
	sort.Slice(els, func(i, j int) bool { return els[i].app < els[j].app })
	list := &ListGenerator{}
	for _, e := range els {
		list.Elements = append(list.Elements, e.el)
	}
	return &AppSet{
		APIVersion: APIVersion,
		Kind:       KindApplicationSet,
		Metadata:   ObjectMeta{Name: name, Namespace: namespace},
		Spec: AppSetSpec{
			GoTemplate:        true,
			GoTemplateOptions: []string{"missingkey=error"},
			Generators:        []Generator{{List: list}},
			Template:          appSetTemplate(namespace),
			TemplatePatch:     appSetTemplatePatch,
		},
	}, nil
}

// oneNamespace returns the one Application namespace of an ApplicationSet's
// environments (byNamespace: namespace → environments), or an error naming
// the namespaces and their environments.
func oneNamespace(name string, byNamespace map[string][]string) (string, error) {
	if len(byNamespace) == 1 {
		for ns := range byNamespace {
			return ns, nil
		}
	}
	nss := make([]string, 0, len(byNamespace))
	for ns := range byNamespace {
		nss = append(nss, ns)
	}
	sort.Strings(nss)
	parts := make([]string, len(nss))
	for i, ns := range nss {
		envs := byNamespace[ns]
		sort.Strings(envs)
		parts[i] = ns + " (" + strings.Join(envs, ", ") + ")"
	}
	return "", fmt.Errorf("argocd applicationset %s: the environments' Applications are in different namespaces (spec.argocd.namespace): %s; "+
		"Argo CD's ApplicationSet controller puts every Application it generates in the ApplicationSet's own namespace, "+
		"so give the environments of one ApplicationSet the same spec.argocd.namespace, or render per-environment Applications (without --appset)",
		name, strings.Join(parts, ", "))
}

// ApplicationSet returns the YAML of NewAppSet(name, items).
func ApplicationSet(name string, items []Item) ([]byte, error) {
	set, err := NewAppSet(name, items)
	if err != nil {
		return nil, err
	}
	return marshalAppSet(set)
}
