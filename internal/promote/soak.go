package promote

import (
	"context"
	"fmt"
	"path"
	"time"

	"github.com/coditect/phasegen/internal/config"
	"github.com/coditect/phasegen/internal/gitops"
	"github.com/coditect/phasegen/internal/layout"
	"github.com/coditect/phasegen/internal/overlay"
)

// HistoryLimit is the most revisions of an overlay's kustomization.yaml that
// PhaseSince reads (on GitHub one commits-list call plus one contents read
// per revision). When all of them carry the phase, the oldest read stands
// in for the start: the soak then looks shorter than it is, never longer.
const HistoryLimit = 20

// Since says since when an environment has been at a phase on its GitOps
// branch.
type Since struct {
	Phase  string
	Time   time.Time // committer date of Commit
	Commit string    // the oldest first-parent commit since which the overlay carries Phase
	// Partial: the history held more than HistoryLimit revisions at Phase,
	// so Time is the oldest one read, not necessarily the first.
	Partial bool
}

// PhaseSince reads from the target since when env's overlay has carried
// phase on the GitOps branch: the oldest commit of the branch's history
// (first-parent in a local repository) since which every change of the
// overlay's kustomization.yaml has kept the phasegen.dev/phase annotation at
// phase. ok is false when the branch's overlay is not at phase. On a
// gitops.Lander (GitHub) the time is when the pull request that brought
// that commit was merged, when that is later than the commit's own date.
//
// The environment's own tree is read first; an environment that is not
// there yet is read in the previous layout. The history of a move into the
// tree starts at the move.
func PhaseSince(ctx context.Context, t gitops.Historian, env *config.Environment, phase string) (s Since, ok bool, err error) {
	s, ok, err = phaseSince(ctx, t, env, phase, OverlayFile(env, false))
	if err != nil || ok {
		return s, ok, err
	}
	return phaseSince(ctx, t, env, phase, OverlayFile(env, true))
}

// OverlayFile is the path of env's overlay kustomization.yaml in the
// GitOps repository: in its own tree, or in the previous layout.
func OverlayFile(env *config.Environment, previous bool) string {
	g := env.Spec.GitOps
	if previous {
		return path.Join(g.Path, overlay.EnvDir(env.Metadata.Name), overlay.KustomizationFile)
	}
	return path.Join(g.Path, layout.Overlay(env.Metadata.Name), overlay.KustomizationFile)
}

func phaseSince(ctx context.Context, t gitops.Historian, env *config.Environment, phase, kpath string) (s Since, ok bool, err error) {
	g := env.Spec.GitOps
	s.Phase = phase
	n, last := 0, false // revisions visited; the last one was at phase
	err = t.History(ctx, g.Branch, kpath, HistoryLimit, func(r gitops.Revision) bool {
		n, last = n+1, false
		if r.Content == nil {
			return false
		}
		if p, perr := PhaseOf(r.Content); perr != nil || p != phase {
			return false
		}
		s.Time, s.Commit, ok, last = r.Date, r.Commit, true, true
		return true
	})
	if err != nil {
		return s, false, fmt.Errorf("reading since when %s has been at %s (history of %s on %s): %w", env.Metadata.Name, phase, kpath, g.Branch, err)
	}
	// A commit merged by a pull request with a merge commit landed when the
	// pull request was merged, after its own date.
	if l, isLander := t.(gitops.Lander); ok && isLander {
		at, merged, err := l.Landed(ctx, g.Branch, s.Commit)
		if err != nil {
			return s, false, fmt.Errorf("reading when %s landed on %s: %w", short(s.Commit), g.Branch, err)
		}
		if merged && at.After(s.Time) {
			s.Time = at
		}
	}
	s.Partial = ok && n == HistoryLimit && last
	return s, ok, nil
}

// Soak is the soak of the phase a promotion moves an environment away from.
type Soak struct {
	Since
	Duration time.Duration // the phase's spec.soak; 0 when it has none
	Spec     string        // spec.soak as written, "24h"
	Ends     time.Time     // Since.Time + Duration
	Forward  bool          // the promotion moves to a higher order (rollbacks are never held)
	Rollback bool          // the promotion moves to a lower order
	Early    bool          // a forward promotion before Ends, let through by AllowEarly
}

// Pending reports whether the soak had not passed at now.
func (s *Soak) Pending(now time.Time) bool {
	return s.Duration > 0 && now.Before(s.Ends)
}

// checkSoak reads the soak of from and, for a forward promotion before it
// ends without o.AllowEarly, returns the refusal. The soak is nil when the
// target cannot tell (not a Historian) or the environment is not at from.
func checkSoak(ctx context.Context, o Options, env *config.Environment, from, to *config.Phase) (*Soak, string, error) {
	h, ok := o.Target.(gitops.Historian)
	if !ok || from == nil {
		return nil, "", nil
	}
	since, ok, err := PhaseSince(ctx, h, env, from.Metadata.Name)
	if err != nil {
		return nil, "", err
	}
	if !ok {
		fmt.Fprintf(o.Log, "warning: the history of %s on %s does not show since when it has been at %s: its soak is not checked\n",
			env.Metadata.Name, env.Spec.GitOps.Branch, from.Metadata.Name)
		return nil, "", nil
	}
	s := &Soak{Since: since, Duration: from.SoakDuration(), Spec: from.Spec.Soak, Forward: to.Spec.Order > from.Spec.Order, Rollback: to.Spec.Order < from.Spec.Order}
	s.Ends = s.Time.Add(s.Duration)
	now := o.Now()
	if !s.Forward || !s.Pending(now) {
		return s, "", nil
	}
	if !o.AllowEarly {
		return s, fmt.Sprintf(
			"%s has been at %s on %s since %s (commit %s) and %s soaks %s: the soak ends at %s, in %s; promote then, or pass %s to promote before it ends",
			env.Metadata.Name, from.Metadata.Name, env.Spec.GitOps.Branch, stamp(s.Time), short(s.Commit),
			from.Metadata.Name, s.Spec, stamp(s.Ends), roughly(s.Ends.Sub(now)), o.Overrides.EarlyName()), nil
	}
	s.Early = true
	return s, "", nil
}

// stamp formats a time for messages and the PR body: UTC, to the minute.
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// roughly formats a remaining duration to the minute: "23h05m", "6d 23h".
func roughly(d time.Duration) string {
	d = d.Round(time.Minute)
	if d < time.Minute {
		return "under a minute"
	}
	if d < 48*time.Hour {
		return fmt.Sprintf("%dh%02dm", d/time.Hour, (d%time.Hour)/time.Minute)
	}
	days := d / (24 * time.Hour)
	return fmt.Sprintf("%dd %dh", days, (d-days*24*time.Hour)/time.Hour)
}
