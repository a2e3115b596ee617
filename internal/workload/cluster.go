package workload

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/coditect/phasegen/internal/base"
	"github.com/coditect/phasegen/internal/config"
)

// ClusterScopedOwner is the environment that deploys the base's
// cluster-scoped objects to env's cluster when another one of envs on it
// says so (spec.ownsClusterScoped); "" when env deploys them itself.
func ClusterScopedOwner(env *config.Environment, envs []*config.Environment) string {
	if env.Spec.OwnsClusterScoped {
		return ""
	}
	for _, e := range envs {
		if e != env && e.Spec.OwnsClusterScoped && e.Cluster() == env.Cluster() {
			return e.Metadata.Name
		}
	}
	return ""
}

// checkClusterScoped finds a cluster-scoped object of the base that two
// environments on one cluster would both deploy: two Applications would
// own it, and the resources finalizer of either deletes it. One of them
// must own it (spec.ownsClusterScoped), or it moves into a component of
// one.
func checkClusterScoped(cfg *config.Set, b *base.Base) config.Problems {
	objs := b.ClusterObjects()
	if len(objs) == 0 {
		return nil
	}
	byCluster := map[string][]*config.Environment{}
	for _, e := range cfg.Environments {
		byCluster[e.Cluster()] = append(byCluster[e.Cluster()], e)
	}
	var ps config.Problems
	for _, cluster := range slices.Sorted(maps.Keys(byCluster)) {
		envs := byCluster[cluster]
		var owners, names []string
		for _, e := range envs {
			names = append(names, e.Metadata.Name)
			if e.Spec.OwnsClusterScoped {
				owners = append(owners, e.Metadata.Name)
			}
		}
		var what []string
		for _, o := range objs {
			what = append(what, fmt.Sprintf("%s %s (%s)", o.Kind, o.Name, o.File))
		}
		switch {
		case len(owners) > 1:
			for _, e := range envs {
				if e.Spec.OwnsClusterScoped {
					ps = append(ps, e.Problem("spec.ownsClusterScoped", "environments %s all own the cluster-scoped objects of the base on cluster %s: one of them may", strings.Join(owners, " and "), cluster))
				}
			}
		case len(envs) > 1 && len(owners) == 0:
			ps = append(ps, envs[0].Problem("spec", "environments %s all deploy %s to cluster %s: it is cluster-scoped, so two Applications would own it and the resources finalizer of either deletes it; set spec.ownsClusterScoped: true in the one that deploys it (the others leave it out), or move it into a component of one",
				strings.Join(names, " and "), strings.Join(what, ", "), cluster))
		}
	}
	return ps
}
