package argocd

import (
	"errors"
	"fmt"
	"path"
	"strconv"

	"github.com/coditect/phasegen/internal/config"
	"github.com/coditect/phasegen/internal/printer"
	"github.com/coditect/phasegen/internal/workload"
)

// Name returns the name of env's Application: spec.argocd.applicationName
// when set, else "<app>-<env>" (for example "coditect-production"), so one
// Argo CD instance can hold several apps' environments without clashes.
func Name(env *config.Environment) string { return env.ApplicationName() }

// SourcePath returns the path, inside the GitOps repository, of env's
// overlay in the environment's own tree (package layout):
// "<gitops.path>/<env>/overlays/<env>".
func SourcePath(env *config.Environment) string {
	return path.Join(env.Spec.GitOps.Path, env.Metadata.Name, "overlays", env.Metadata.Name)
}

// PreviousSourcePath is env's overlay in the previous layout, beside the
// app's one base: "<gitops.path>/overlays/<env>".
func PreviousSourcePath(env *config.Environment) string {
	return path.Join(env.Spec.GitOps.Path, "overlays", env.Metadata.Name)
}

// Workload names a workload of the environment whose replicas an HPA owns.
type Workload struct {
	Kind, Name string
}

// HPAOwned are the workloads of ws that phase autoscales, by name.
func HPAOwned(ws *workload.Set, phase *config.Phase) []Workload {
	var out []Workload
	for _, w := range ws.All {
		if v := phase.For(w.Name); v != nil && v.Spec.Autoscaling != nil {
			out = append(out, Workload{Kind: w.Kind, Name: w.Name})
		}
	}
	return out
}

// NewApp builds the Application that deploys env at phase, leaving the
// replicas of the workloads hpaOwned to their HorizontalPodAutoscalers.
func NewApp(env *config.Environment, phase *config.Phase, hpaOwned []Workload) (*App, error) {
	if err := check(env, phase); err != nil {
		return nil, err
	}
	s := env.Spec
	app := &App{
		APIVersion: APIVersion,
		Kind:       KindApplication,
		Metadata: ObjectMeta{
			Name:        Name(env),
			Namespace:   s.ArgoCD.ApplicationNamespace(),
			Annotations: map[string]string{PhaseAnnotation: phase.Metadata.Name},
			Finalizers:  []string{Finalizer},
		},
		Spec: ApplicationSpec{
			Project: s.ArgoCD.Project,
			Source: &Source{
				RepoURL:        s.GitOps.CloneURL(),
				TargetRevision: s.GitOps.Branch,
				Path:           SourcePath(env),
			},
			Destination: Destination{Server: s.ArgoCD.Server, Name: s.ArgoCD.Name, Namespace: s.Namespace},
			SyncPolicy:  &SyncPolicy{SyncOptions: []string{SyncOptionCreateNamespace}},
		},
	}
	if w := s.ArgoCD.SyncWave; w != nil {
		app.Metadata.Annotations[SyncWaveAnnotation] = strconv.Itoa(int(*w))
	}
	if !s.ArgoCD.Manual {
		app.Spec.SyncPolicy.Automated = &Automated{
			Prune:    s.ArgoCD.PruneEnabled(),
			SelfHeal: s.ArgoCD.SelfHealEnabled(),
		}
	}
	for _, w := range hpaOwned {
		app.Spec.IgnoreDifferences = append(app.Spec.IgnoreDifferences, ReplicasIgnored(env, w))
	}
	if len(hpaOwned) > 0 {
		app.Spec.SyncPolicy.SyncOptions = append(app.Spec.SyncPolicy.SyncOptions, SyncOptionRespectIgnoreDifferences)
	}
	return app, nil
}

// ReplicasIgnored is the ignoreDifferences entry that leaves workload w's
// replica count to its HorizontalPodAutoscaler.
func ReplicasIgnored(env *config.Environment, w Workload) ResourceIgnoreDifferences {
	return ResourceIgnoreDifferences{
		Group:        "apps",
		Kind:         w.Kind,
		Name:         w.Name,
		Namespace:    env.Spec.Namespace,
		JSONPointers: []string{"/spec/replicas"},
	}
}

// Application returns the YAML of the Application that deploys env at
// phase (NewApp).
func Application(env *config.Environment, phase *config.Phase, hpaOwned []Workload) ([]byte, error) {
	app, err := NewApp(env, phase, hpaOwned)
	if err != nil {
		return nil, err
	}
	out, err := printer.Marshal(app)
	if err != nil {
		return nil, fmt.Errorf("argocd application %s: %w", app.Metadata.Name, err)
	}
	return out, nil
}

// check refuses inputs that would give an Application Argo CD rejects or
// that points nowhere.
func check(env *config.Environment, phase *config.Phase) error {
	if env == nil {
		return errors.New("argocd application: no environment")
	}
	if phase == nil {
		return fmt.Errorf("argocd application for environment %s: no phase", env.Metadata.Name)
	}
	s := env.Spec
	var missing []string
	for _, f := range []struct{ name, value string }{
		{"metadata.name", env.Metadata.Name},
		{"spec.namespace", s.Namespace},
		{"spec.gitops.repo or spec.gitops.repoURL", s.GitOps.Repo + s.GitOps.RepoURL},
		{"spec.argocd.project", s.ArgoCD.Project},
		{"spec.argocd.server or spec.argocd.name", s.ArgoCD.Server + s.ArgoCD.Name},
		{"phase metadata.name", phase.Metadata.Name},
	} {
		if f.value == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("argocd application for environment %q: missing %v", env.Metadata.Name, missing)
	}
	if s.ArgoCD.Server != "" && s.ArgoCD.Name != "" {
		return fmt.Errorf("argocd application for environment %q: set spec.argocd.server or spec.argocd.name, not both", env.Metadata.Name)
	}
	return nil
}
