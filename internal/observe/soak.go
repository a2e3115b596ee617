package observe

import (
	"fmt"
	"time"
)

// Soak is since when the environment has been at its phase on the GitOps
// branch and when the phase's spec.soak ends: what `promote` holds the next
// promotion for. An addition to the documented status JSON.
type Soak struct {
	Since    time.Time  `json:"since"`
	EndsAt   *time.Time `json:"endsAt"`   // null when the phase has no soak
	Duration *string    `json:"duration"` // spec.soak as written ("24h"); null when the phase has none
	Passed   bool       `json:"passed"`   // at the time status ran (not --at); true without a soak
	Branch   string     `json:"branch"`
	Commit   string     `json:"commit"` // the commit since which the branch has carried the phase
	// Partial: the history held more revisions at the phase than were
	// read, so Since is the oldest read and the phase may be older.
	Partial bool `json:"partial,omitempty"`

	phase string
	left  time.Duration // until EndsAt, at the time status ran
}

// NewSoak is the soak of phase (spec.soak written as spec, d long; "" and 0
// without one) for an environment at it on branch since since (commit), at now.
func NewSoak(phase, spec string, d time.Duration, branch, commit string, since time.Time, partial bool, now time.Time) *Soak {
	s := &Soak{Since: since.UTC(), Passed: true, Branch: branch, Commit: commit, Partial: partial, phase: phase}
	if d > 0 {
		end := s.Since.Add(d)
		s.EndsAt, s.Duration = &end, &spec
		s.Passed = !now.Before(end)
		s.left = end.Sub(now)
	}
	return s
}

// soakStamp formats a time as the PR body and promote's messages do.
func soakStamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// line is the soak's row in the table and the markdown.
func (s *Soak) line() string {
	commit := s.Commit
	if len(commit) > 12 {
		commit = commit[:12]
	}
	out := fmt.Sprintf("at %s on %s since %s (commit %s)", s.phase, s.Branch, soakStamp(s.Since), commit)
	if s.Partial {
		out += " or earlier"
	}
	switch {
	case s.EndsAt == nil:
		return out + "; " + s.phase + " has no soak"
	case s.Passed:
		return out + fmt.Sprintf("; its %s soak ended at %s", *s.Duration, soakStamp(*s.EndsAt))
	}
	left := FormatWindow(s.left.Round(time.Minute))
	if s.left < time.Minute {
		left = "under a minute"
	}
	return out + fmt.Sprintf("; its %s soak ends at %s, in %s: promote holds the next phase until then", *s.Duration, soakStamp(*s.EndsAt), left)
}

// WithSoak records soak (nil: not read) in the status and, when the verdict
// is to promote and the soak has not passed, adds the reason promote will
// give for holding it, so the command is not read as runnable now.
func (s *Status) WithSoak(soak *Soak, early string) {
	s.Soak = soak
	if soak == nil || soak.Passed || soak.EndsAt == nil || s.Verdict.Status != VerdictPromote || s.Verdict.Next == "" {
		return
	}
	s.Verdict.Reasons = append(s.Verdict.Reasons, fmt.Sprintf(
		"The %s soak of %s ends at %s: promote holds the promotion until then%s.",
		*soak.Duration, soak.phase, soakStamp(*soak.EndsAt), overrides(early)))
}

func overrides(early string) string {
	if early == "" {
		return ""
	}
	return " (" + early + " overrides)"
}
