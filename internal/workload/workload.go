// Package workload resolves the app phasegen manages: every Deployment and
// StatefulSet of the templates base, each with the container phasegen sizes
// and watches and what the capacity model says of it, checked against the
// Phases and Environments that size and deploy them. Every mismatch between
// the configuration and the base is reported at once, at its file and line.
package workload

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/coditect/phasegen/internal/base"
	"github.com/coditect/phasegen/internal/config"
)

// Workload is one workload of the app: its base object, its container and
// its capacity model entry.
type Workload struct {
	*base.Workload
	// Container is the container phasegen sizes and watches.
	Container *corev1.Container
	// Model is what the capacity model says of the workload.
	Model config.WorkloadModel
	// Sticky are the base's Services that pin each client to one of the
	// workload's pods (sessionAffinity: ClientIP).
	Sticky []*corev1.Service
}

// UserSized reports whether the capacity model sizes the workload by users.
func (w *Workload) UserSized() bool { return w.Model.UsersPerPod != nil }

// Set is the app's workloads, by name.
type Set struct {
	All []*Workload // the workloads phasegen manages, sorted by name
	// Unmanaged are those the capacity model leaves alone (managed:
	// false): passed through as the base has them, priced by plan.
	Unmanaged []*Workload
}

// Several reports whether the base has more than one workload, managed or
// not: files and alerts then name each.
func (s *Set) Several() bool { return len(s.All)+len(s.Unmanaged) > 1 }

// Names returns the workloads' names, sorted.
func (s *Set) Names() []string {
	out := make([]string, len(s.All))
	for i, w := range s.All {
		out[i] = w.Name
	}
	return out
}

// Get returns the workload called name.
func (s *Set) Get(name string) (*Workload, bool) {
	for _, w := range s.All {
		if w.Name == name {
			return w, true
		}
	}
	return nil, false
}

// Resolve resolves the workloads of b against cfg. It refuses a base
// without workloads; a capacity model entry, phase entry or environment
// naming something the base lacks; a phase that does not size every
// workload; an environment naming one workload of several; and a container
// phasegen cannot know. The error is config.Problems when the fault is in a
// config file.
func Resolve(cfg *config.Set, b *base.Base) (*Set, error) {
	names := b.WorkloadNames()
	if len(names) == 0 {
		return nil, fmt.Errorf("the templates base has no Deployment or StatefulSet: phasegen sizes those, so give it at least one")
	}
	have := strings.Join(names, ", ")
	var ps config.Problems
	s := &Set{}
	if c := cfg.Capacity; c != nil {
		ps = append(ps, checkCapacity(c, names, have)...)
	}
	var managed []string
	for _, name := range names {
		bw := b.Workloads[name]
		w := &Workload{Workload: bw, Sticky: b.StickyServices(bw)}
		if cfg.Capacity != nil {
			w.Model = cfg.Capacity.For(name)
		}
		if w.Model.Unmanaged() && len(bw.Template.Spec.Containers) == 0 {
			ps = append(ps, config.Problem{File: bw.File, Msg: bw.String() + " has no containers"})
			continue
		}
		if w.Model.Unmanaged() {
			// Priced as a whole pod: its first container stands for it.
			w.Container = &bw.Template.Spec.Containers[0]
			s.Unmanaged = append(s.Unmanaged, w)
			continue
		}
		managed = append(managed, name)
		ctr, err := bw.Container(w.Model.Container)
		if err != nil {
			ps = append(ps, containerProblem(cfg.Capacity, name, w.Model.Container != "", err))
		}
		w.Container = ctr
		s.All = append(s.All, w)
	}
	if len(managed) == 0 {
		return nil, fmt.Errorf("every workload of the templates base has managed: false in the capacity model: phasegen has nothing to size")
	}
	if err := checkBudgets(b, managed); err != nil {
		return nil, err
	}
	for _, p := range cfg.Phases {
		ps = append(ps, checkPhase(p, names, managed, have)...)
		ps = append(ps, checkSLOs(p, s)...)
		ps = append(ps, checkHPARequests(p, s)...)
		ps = append(ps, checkEnv(p, s)...)
		if cfg.Capacity != nil {
			ps = append(ps, checkNodeFit(p, s, cfg.Capacity.Spec.Node)...)
		}
	}
	for _, e := range cfg.Environments {
		ps = append(ps, checkEnvironment(e, names, have)...)
	}
	ps = append(ps, checkComponents(cfg, b)...)
	ps = append(ps, checkClusterScoped(cfg, b)...)
	if len(ps) > 0 {
		return nil, ps.Sorted()
	}
	return s, nil
}

// checkCapacity finds capacity model entries naming no workload of the
// base, and the one-workload form used for a base of several.
func checkCapacity(c *config.CapacityModel, names []string, have string) config.Problems {
	var ps config.Problems
	if !c.PerWorkload() {
		if len(names) > 1 {
			ps = append(ps, c.Problem("spec", "is in the one-workload form, but the templates base has %d workloads (%s): describe each under spec.workloads.<name>", len(names), have))
		}
		return ps
	}
	return append(ps, unknownEntries(c.WorkloadNames(), names, have, c.Problem)...)
}

// unknownEntries are the problems of the spec.workloads entries that name
// no workload of the base.
func unknownEntries(entries, names []string, have string, problem func(field, format string, args ...any) config.Problem) config.Problems {
	var ps config.Problems
	for _, n := range entries {
		if !contains(names, n) {
			ps = append(ps, problem("spec.workloads."+n, "%q names no Deployment or StatefulSet of the templates base (have: %s)", n, have))
		}
	}
	return ps
}

// containerProblem places a container that cannot be resolved: at the
// container field when one is named, else at the workload's entry (or
// spec), where one should be named.
func containerProblem(c *config.CapacityModel, workload string, named bool, err error) config.Problem {
	if c == nil {
		return config.Problem{Msg: err.Error()}
	}
	field := c.Field(workload, "container")
	if !named {
		field = strings.TrimSuffix(field, ".container")
		if !c.PerWorkload() {
			return c.Problem(field, "%v; set spec.container", err)
		}
		return c.Problem(field, "%v; set %s.container", err, field)
	}
	return c.Problem(field, "%v", err)
}

// checkPhase finds a phase that does not size every managed workload,
// sizes one the base lacks or one phasegen leaves alone, or uses the
// one-workload form for a base of several.
func checkPhase(p *config.Phase, names, managed []string, have string) config.Problems {
	var ps config.Problems
	if !p.PerWorkload() {
		if len(names) > 1 {
			ps = append(ps, p.Problem("spec", "sizes one workload, but the templates base has %d (%s) and every environment runs them all: size each under spec.workloads.<name>", len(names), have))
		}
		return ps
	}
	ps = unknownEntries(p.WorkloadNames(), names, have, p.Problem)
	var missing []string
	for _, n := range names {
		switch sized := p.For(n) != nil; {
		case !contains(managed, n) && sized:
			ps = append(ps, p.Problem("spec.workloads."+n, "sizes %s, which the capacity model leaves alone (managed: false): remove the entry, or manage the workload", n))
		case contains(managed, n) && !sized:
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		ps = append(ps, p.Problem("spec.workloads", "does not size %s of the templates base: every environment runs the whole base, so every phase sizes each workload", strings.Join(missing, ", ")))
	}
	return ps
}

// CheckEnvironment reports, at its file and line, an environment whose
// spec.workload is not the app's one workload (Resolve checks those of the
// configuration; this checks one made or changed since).
func (s *Set) CheckEnvironment(e *config.Environment) error {
	if ps := checkEnvironment(e, s.Names(), strings.Join(s.Names(), ", ")); len(ps) > 0 {
		return ps
	}
	return nil
}

// checkSLOs finds a load test (slo) on a workload the capacity model does
// not size by users: its peak users say nothing about its pods.
func checkSLOs(p *config.Phase, s *Set) config.Problems {
	var ps config.Problems
	for _, w := range s.All {
		v := p.For(w.Name)
		if v != nil && v.Spec.SLO != nil && !w.UserSized() {
			ps = append(ps, p.Problem(v.Field("slo"), "workload %s has no usersPerPod in the capacity model, so a peak of users says nothing about its pods: give it usersPerPod or drop the slo", w.Name))
		}
	}
	return ps
}

// checkEnvironment finds an environment whose spec.workload the base
// lacks, or names one workload of several.
func checkEnvironment(e *config.Environment, names []string, have string) config.Problems {
	w := e.Spec.Workload
	switch {
	case w == "":
		return nil
	case !contains(names, w):
		return config.Problems{e.Problem("spec.workload", "%q is not a Deployment or StatefulSet of the templates base (have: %s)", w, have)}
	case len(names) > 1:
		return config.Problems{e.Problem("spec.workload", "names %q, one of the templates base's %d workloads (%s): every environment runs the whole base, so none is left unmanaged; remove spec.workload", w, len(names), have)}
	}
	return nil
}

func contains(names []string, n string) bool { return slices.Contains(names, n) }

// checkBudgets refuses a base whose pods would be under two
// PodDisruptionBudgets, which the eviction API refuses to evict (every
// node drain blocks): a workload whose selector selects another's pods
// (phasegen writes a budget per workload over its selector), and a
// budget of the base's own over a workload's pods (beside phasegen's).
func checkBudgets(b *base.Base, names []string) error {
	for _, a := range names {
		wa := b.Workloads[a]
		for _, other := range names {
			if wb := b.Workloads[other]; other != a && wa.Selects(wb.Template.Labels) {
				return fmt.Errorf("%s: %s's selector also selects the pods of %s (%s): phasegen writes a PodDisruptionBudget per workload over its selector, so those pods would be under two budgets and the eviction API would refuse to evict them; give each workload a label of its own in its selector and pod template",
					wa.File, wa, wb, wb.File)
			}
		}
	}
	for _, n := range slices.Sorted(maps.Keys(b.PDBs)) {
		pdb := b.PDBs[n]
		sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
		if err != nil || pdb.Spec.Selector == nil {
			continue
		}
		for _, name := range names {
			if w := b.Workloads[name]; sel.Matches(labels.Set(w.Template.Labels)) {
				return fmt.Errorf("%s: PodDisruptionBudget %s selects the pods of %s, whose budget phasegen writes (the phase's pdb): a pod under two budgets cannot be evicted; move its budget into the phase's spec.workloads.%s.pdb and remove it from the base",
					pdb.File, n, w, w.Name)
			}
		}
	}
	return nil
}
