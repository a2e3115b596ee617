package layout

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/coditect/phasegen/internal/config"
	"github.com/coditect/phasegen/internal/fileset"
)

// Claim is one object an environment deploys, on one cluster: what two
// Applications must never both own.
type Claim struct {
	Cluster   string // the Application's destination (its server, or name:<cluster name>)
	Group     string // API group; "" for the core group
	Kind      string
	Namespace string // "" for a cluster-scoped object
	Name      string
}

// ArgoCDCluster stands for the cluster Argo CD keeps its Applications on:
// two environments whose Applications have one name and namespace claim
// one object there.
const ArgoCDCluster = "argocd"

// claimSep separates a claim file name's fields; no field holds it
// unescaped.
const claimSep = "~"

// File returns the claim's file name: its fields, each path-escaped, with
// a separator no escaped field holds.
func (c Claim) File() string {
	kind := c.Kind
	if c.Group != "" {
		kind += "." + c.Group
	}
	fields := []string{c.Cluster, kind, c.Namespace, c.Name}
	for i, f := range fields {
		fields[i] = strings.ReplaceAll(url.PathEscape(f), claimSep, "%7E")
	}
	return strings.Join(fields, claimSep)
}

// String names the claimed object as a person reads it.
func (c Claim) String() string {
	kind := c.Kind
	if c.Group != "" {
		kind += "." + c.Group
	}
	where := "cluster-scoped"
	if c.Namespace != "" {
		where = "in namespace " + c.Namespace
	}
	return fmt.Sprintf("%s %s (%s, on %s)", kind, c.Name, where, c.Cluster)
}

// ParseClaim reads a claim file name.
func ParseClaim(name string) (Claim, error) {
	fields := strings.Split(name, claimSep)
	if len(fields) != 4 {
		return Claim{}, fmt.Errorf("claim %q: want 4 fields", name)
	}
	for i, f := range fields {
		v, err := url.PathUnescape(f)
		if err != nil {
			return Claim{}, fmt.Errorf("claim %q: %w", name, err)
		}
		fields[i] = v
	}
	kind, group, _ := strings.Cut(fields[1], ".")
	return Claim{Cluster: fields[0], Group: group, Kind: kind, Namespace: fields[2], Name: fields[3]}, nil
}

// Claims returns the objects of a built YAML stream on cluster, sorted by
// file name, without duplicates.
func Claims(cluster string, built []byte) ([]Claim, error) {
	dec := yaml.NewDecoder(bytes.NewReader(built))
	seen := map[string]bool{}
	var out []Claim
	for {
		var obj struct {
			APIVersion string `yaml:"apiVersion"`
			Kind       string `yaml:"kind"`
			Metadata   struct {
				Name      string `yaml:"name"`
				Namespace string `yaml:"namespace"`
			} `yaml:"metadata"`
		}
		err := dec.Decode(&obj)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading the built objects: %w", err)
		}
		if obj.Kind == "" || obj.Metadata.Name == "" {
			continue
		}
		group := ""
		if g, _, ok := strings.Cut(obj.APIVersion, "/"); ok {
			group = g
		}
		c := Claim{Cluster: cluster, Group: group, Kind: obj.Kind, Namespace: obj.Metadata.Namespace, Name: obj.Metadata.Name}
		if f := c.File(); !seen[f] {
			seen[f] = true
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b Claim) int { return strings.Compare(a.File(), b.File()) })
	return out, nil
}

// ClaimFiles returns the empty files of claims in env's tree, relative to
// gitops.path.
func ClaimFiles(env string, claims []Claim) map[string][]byte {
	out := make(map[string][]byte, len(claims))
	for _, c := range claims {
		out[path.Join(EnvTree(env), ClaimsDir, c.File())] = []byte{}
	}
	return out
}

// Holder is a tree of another environment that claims one of ours.
type Holder struct {
	Tree  string // the tree's folder, from the repository's top
	Claim Claim
}

// Shared returns, from a listing of the whole repository (paths from its
// top), the trees other than own that claim one of claims; sorted by tree
// then claim.
func Shared(list map[string]string, own string, claims []Claim) []Holder {
	want := make(map[string]Claim, len(claims))
	for _, c := range claims {
		want[c.File()] = c
	}
	marker := "/" + ClaimsDir + "/"
	var out []Holder
	for p := range list {
		i := strings.LastIndex(p, marker)
		if i < 0 {
			continue
		}
		tree, name := p[:i], p[i+len(marker):]
		if c, ok := want[name]; ok && tree != own {
			out = append(out, Holder{Tree: tree, Claim: c})
		}
	}
	slices.SortFunc(out, func(a, b Holder) int {
		if a.Tree != b.Tree {
			return strings.Compare(a.Tree, b.Tree)
		}
		return strings.Compare(a.Claim.File(), b.Claim.File())
	})
	return out
}

// Tree returns the files env's promotion writes in the GitOps repository,
// relative to gitops.path: Files of its local render, its owner record, and
// a claim for each object of built (the render's built manifests) and for
// its Application; and those claims.
func Tree(env *config.Environment, render fileset.Set, built []byte) (fileset.Set, []Claim, error) {
	name := env.Metadata.Name
	claims, err := Claims(env.Cluster(), built)
	if err != nil {
		return nil, nil, err
	}
	claims = append(claims, Claim{Cluster: ArgoCDCluster, Group: "argoproj.io", Kind: "Application",
		Namespace: env.Spec.ArgoCD.ApplicationNamespace(), Name: env.ApplicationName()})
	files := Files(name, render)
	owner, err := NewOwner(env.App, name, files).Marshal()
	if err != nil {
		return nil, nil, err
	}
	for f, data := range ClaimFiles(name, claims) {
		files[f] = data
	}
	files[path.Join(EnvTree(name), OwnerFile)] = owner
	return files, claims, nil
}
