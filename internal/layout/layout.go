// Package layout is where phasegen puts an app's environments in a GitOps
// repository that many apps share, and how it tells what it may write
// there. Each environment has a tree of its own, <gitops.path>/<env>/,
// holding what `phasegen render` writes locally for it (its base and its
// overlay), so what Argo CD builds for the environment reads only that
// tree; the environment's Application stays at
// <gitops.path>/overlays/argocd/<env>.yaml, where parents of every layout
// read it. The tree records its owner (OwnerFile: the app, the
// environment, the files written) and one empty file per object it deploys
// (ClaimsDir), so one listing of the repository tells which environment
// of which app owns what, without reading another app's files.
//
// The previous layout (one base per app, <gitops.path>/templates/base, and
// overlays beside it) is recognised so that a promotion can move one
// environment out of it at a time.
package layout

import (
	"fmt"
	"path"
	"slices"
	"strings"

	sigsyaml "sigs.k8s.io/yaml"

	"github.com/coditect/phasegen/internal/base"
	"github.com/coditect/phasegen/internal/fileset"
	"github.com/coditect/phasegen/internal/overlay"
)

const (
	// MetaDir is the folder of an environment's tree that phasegen keeps
	// its records in; Argo CD never reads it.
	MetaDir = ".phasegen"
	// OwnerFile records, in an environment's tree, the app and the
	// environment that wrote it, and the blob of every file written.
	OwnerFile = MetaDir + "/owner.yaml"
	// ClaimsDir holds one empty file per object the environment deploys,
	// named by Claim.File.
	ClaimsDir = MetaDir + "/claims"
)

// EnvTree returns the folder of environment env's tree, relative to the
// app's gitops.path.
func EnvTree(env string) string { return env }

// Application returns the path of environment env's Application, relative
// to gitops.path, in every layout.
func Application(env string) string { return overlay.ApplicationPath(env) }

// Overlay returns the folder Argo CD builds for env, relative to
// gitops.path: the tree's copy of the local overlays/<env>.
func Overlay(env string) string { return path.Join(EnvTree(env), overlay.EnvDir(env)) }

// Files maps the local render of env (base, overlay, Application; paths as
// `render` writes them) to the paths it takes in the GitOps repository,
// relative to gitops.path: everything into the environment's tree but the
// Application (or the ApplicationSet that stands in for it), which stays
// under overlays/argocd.
func Files(env string, render fileset.Set) fileset.Set {
	out := make(fileset.Set, len(render))
	for p, data := range render {
		if strings.HasPrefix(p, overlay.ArgoCDDir+"/") {
			out[p] = data
			continue
		}
		out[path.Join(EnvTree(env), p)] = data
	}
	return out
}

// Owner is the record of an environment's tree.
type Owner struct {
	App         string `json:"app"`
	Environment string `json:"environment"`
	// Files are the blob ids of the files the promotion wrote, by path
	// relative to gitops.path (the records under MetaDir left out).
	Files map[string]string `json:"files"`
}

// NewOwner returns the record of files, written for app's environment env.
func NewOwner(app, env string, files fileset.Set) Owner {
	o := Owner{App: app, Environment: env, Files: map[string]string{}}
	for p, data := range files {
		if !IsMeta(env, p) {
			o.Files[p] = fileset.BlobHash(data)
		}
	}
	return o
}

// Marshal returns the record as the file holds it.
func (o Owner) Marshal() ([]byte, error) {
	body, err := sigsyaml.Marshal(o)
	if err != nil {
		return nil, err
	}
	head := fmt.Sprintf("# phasegen: environment %s of app %s. Each promotion of it rewrites this folder and\n"+
		"# overlays/argocd/%s.yaml whole; a file here that phasegen did not write stops the next one.\n", o.Environment, o.App, o.Environment)
	return append([]byte(head), body...), nil
}

// ParseOwner reads a record.
func ParseOwner(data []byte) (Owner, error) {
	var o Owner
	if err := sigsyaml.UnmarshalStrict(data, &o); err != nil {
		return o, fmt.Errorf("not an owner record: %w", err)
	}
	if o.App == "" || o.Environment == "" {
		return o, fmt.Errorf("not an owner record: no app or environment")
	}
	return o, nil
}

// IsMeta reports whether p (relative to gitops.path) is one of env's
// records.
func IsMeta(env, p string) bool {
	return strings.HasPrefix(p, path.Join(EnvTree(env), MetaDir)+"/")
}

// Previous says whether the listing (paths relative to gitops.path) holds
// env in the previous layout: an overlay overlays/<env>/ beside a shared
// templates/base.
func Previous(list map[string]string, env string) bool {
	_, ok := list[path.Join(overlay.EnvDir(env), overlay.KustomizationFile)]
	return ok
}

// PreviousOthers returns the environments other than env that the listing
// holds in the previous layout, sorted: the readers of the shared base.
func PreviousOthers(list map[string]string, env string) []string {
	var out []string
	for p := range list {
		rest, ok := strings.CutPrefix(p, overlay.OverlaysDir+"/")
		if !ok {
			continue
		}
		name, file, ok := strings.Cut(rest, "/")
		if ok && file == overlay.KustomizationFile && name != env && name != path.Base(overlay.ArgoCDDir) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// PreviousOwned returns the paths, relative to gitops.path, that moving env
// out of the previous layout removes: its overlay and, when no other
// environment reads it, the shared base.
func PreviousOwned(list map[string]string, env string) []string {
	out := []string{overlay.EnvDir(env)}
	if len(PreviousOthers(list, env)) == 0 {
		out = append(out, base.Dir)
	}
	return out
}

// Under returns the paths of list under dir (relative to list's top),
// relative to dir, with their blobs; dir "" is the top: list itself.
func Under(list map[string]string, dir string) map[string]string {
	if dir == "" {
		return list
	}
	out := map[string]string{}
	for p, blob := range list {
		if rest, ok := strings.CutPrefix(p, dir+"/"); ok {
			out[rest] = blob
		}
	}
	return out
}
