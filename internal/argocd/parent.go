package argocd

import (
	"errors"
	"fmt"
	"path"

	"github.com/coditect/phasegen/internal/config"
	"github.com/coditect/phasegen/internal/printer"
)

// ParentInclude selects, relative to the parent's folder, the files of
// every phasegen app's Applications and ApplicationSets: those under a
// folder overlays/argocd, at the folder's top (an app whose gitops.path is
// the parent's folder) or below it. Argo CD matches it with gobwas/glob and
// no separators, so '*' crosses '/'.
const ParentInclude = "{overlays/argocd/*.yaml,*/overlays/argocd/*.yaml}"

// DefaultParentName names the parent Application when the caller does not.
const DefaultParentName = "phasegen-apps"

// ParentOptions are the GitOps repository the parent reads and where it
// lives.
type ParentOptions struct {
	Name      string // default DefaultParentName
	Namespace string // where Argo CD keeps it; default Namespace
	Project   string // default "default"
	RepoURL   string
	Revision  string // the branch Argo CD reads
	// Path is the folder, from the repository's top, holding every app's
	// gitops.path; "" or "." for the whole repository.
	Path string
}

// Parent returns the one Application that picks up every phasegen app's
// Applications in a GitOps repository (app of apps): a recursive
// directory source selecting ParentInclude. It syncs them automatically
// and self-heals, and never prunes: removing an Application's file from
// the repository then leaves that environment running (and its resources
// finalizer unused) until someone deletes it on purpose.
func Parent(o ParentOptions) ([]byte, error) {
	if o.RepoURL == "" || o.Revision == "" {
		return nil, errors.New("argocd parent: the repository URL and the branch are required")
	}
	if o.Name == "" {
		o.Name = DefaultParentName
	}
	if o.Namespace == "" {
		o.Namespace = Namespace
	}
	if o.Project == "" {
		o.Project = "default"
	}
	dir := path.Clean("/" + o.Path)[1:]
	if dir == "" {
		dir = "."
	}
	app := App{
		APIVersion: APIVersion, Kind: KindApplication,
		Metadata: ObjectMeta{Name: o.Name, Namespace: o.Namespace},
		Spec: ApplicationSpec{
			Project: o.Project,
			Source: &Source{RepoURL: o.RepoURL, TargetRevision: o.Revision, Path: dir,
				Directory: &Directory{Recurse: true, Include: ParentInclude}},
			Destination: Destination{Server: config.DefaultServer, Namespace: o.Namespace},
			SyncPolicy:  &SyncPolicy{Automated: &Automated{Prune: false, SelfHeal: true}},
		},
	}
	out, err := printer.Marshal(app)
	if err != nil {
		return nil, fmt.Errorf("argocd parent: %w", err)
	}
	return out, nil
}
