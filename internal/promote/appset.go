package promote

import (
	"context"
	"errors"
	"fmt"
	"path"

	"github.com/coditect/phasegen/internal/argocd"
	"github.com/coditect/phasegen/internal/config"
	"github.com/coditect/phasegen/internal/fileset"
	"github.com/coditect/phasegen/internal/gitops"
	"github.com/coditect/phasegen/internal/overlay"
	"github.com/coditect/phasegen/internal/workload"
)

// appSetHeader starts the ApplicationSet a promotion writes: it lists the
// environments promoted into the repository, each at its promoted phase,
// which is not what a local render --appset lists.
const appSetHeader = overlay.Marker + "promote: one element per environment promoted into this repository, at its promoted phase; do not edit\n"

// useAppSet replaces env's Application in files with the repository's
// ApplicationSet o.AppSet, read from the target's GitOps branch, with env's
// element at phase to put in (argocd.UpsertAppSet); the other elements are
// kept as the repository holds them. The per-environment Application stays
// owned by the promotion, so one left from the other form is deleted.
//
// It returns the namespace of the Application the held ApplicationSet
// generates for env ("" when it generates none), for the move gate; when
// gated (not a first promotion), that namespace is not env's and recreating
// is not allowed, files are left as they are, since the gate refuses.
func useAppSet(ctx context.Context, o Options, env *config.Environment, to *config.Phase, files fileset.Set, gated bool) (string, error) {
	g := env.Spec.GitOps
	p := overlay.AppSetPath(o.AppSet)
	held, err := o.Target.ReadFile(ctx, g.Branch, path.Join(g.Path, p))
	switch {
	case errors.Is(err, gitops.ErrNotFound):
		held = nil
	case err != nil:
		return "", fmt.Errorf("reading %s on %s: %w", p, g.Branch, err)
	}
	ns := heldAppNamespace(held, argocd.Name(env))
	if gated && ns != "" && ns != env.Spec.ArgoCD.ApplicationNamespace() && !o.AllowRecreate {
		return ns, nil
	}
	ws, err := workload.Resolve(o.Config, o.Base)
	if err != nil {
		return ns, err
	}
	set, err := argocd.UpsertAppSet(held, o.AppSet, argocd.Item{Env: env, Phase: to, HPAOwned: argocd.HPAOwned(ws, to)})
	if err != nil {
		return ns, fmt.Errorf("%s on %s: %w", path.Join(g.Path, p), g.Branch, err)
	}
	delete(files, overlay.ApplicationPath(env.Metadata.Name))
	files[p] = append([]byte(appSetHeader), set...)
	return ns, nil
}

// heldAppNamespace is the namespace of the Application called app that the
// ApplicationSet held generates, as Argo CD's controller would put it; ""
// when held is empty, does not expand (UpsertAppSet then says why) or
// generates no such Application.
func heldAppNamespace(held []byte, app string) string {
	if len(held) == 0 {
		return ""
	}
	apps, err := argocd.Expand(held)
	if err != nil {
		return ""
	}
	for _, a := range apps {
		if a.Metadata.Name == app {
			return a.Metadata.Namespace
		}
	}
	return ""
}
