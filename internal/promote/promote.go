// Package promote moves an environment from the phase its GitOps repository
// holds to another one: it reads the current phase from the target (never
// from the local config), renders and builds both phases, runs the gates,
// composes the pull request, writes the environment's generated tree as one
// commit on branch phasegen/<env> on top of the GitOps branch and, on
// GitHub, opens the pull request or updates the open one. Every step is
// idempotent: a rerun with identical content writes nothing.
//
// Recording the new phase in the local environments/<env>.yaml (EditPhase)
// is left to the caller, after Promote succeeded.
package promote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"time"

	"github.com/coditect/phasegen/internal/base"
	"github.com/coditect/phasegen/internal/config"
	"github.com/coditect/phasegen/internal/fileset"
	"github.com/coditect/phasegen/internal/gate"
	"github.com/coditect/phasegen/internal/gitops"
	"github.com/coditect/phasegen/internal/kbuild"
	"github.com/coditect/phasegen/internal/overlay"
)

// NoPhase names the current phase of an environment the target does not
// hold yet (a first promotion).
const NoPhase = "none"

// BranchPrefix starts the head branch of every promotion: phasegen/<env>.
const BranchPrefix = "phasegen/"

// defaultAuthor signs promotion commits when Options.Author is empty.
var defaultAuthor = gitops.Signature{Name: "phasegen", Email: "phasegen@users.noreply.github.com"}

// PROpener opens or updates the pull request of a promotion;
// *github.Repo (package gitops/github) is one.
type PROpener interface {
	OpenPR(ctx context.Context, pr gitops.PR) (gitops.PRResult, error)
}

// Options is one promotion.
type Options struct {
	Config *config.Set
	Base   *base.Base
	Env    string // environment name
	To     string // phase to promote to

	Target gitops.Repo
	// PR opens the pull request after the write; nil for targets without
	// pull requests (a local git repository).
	PR PROpener

	// AppSet names the ApplicationSet that stands in for per-environment
	// Applications (a tree rendered with --appset): the promotion writes
	// the repository's ApplicationSet with this environment's element
	// instead of the environment's Application. "" writes the Application.
	AppSet string

	DryRun        bool // compose everything, write nothing anywhere
	Draft         bool
	Labels        []string // added to phasegen and phase/<to>
	Reviewers     []string
	AllowSkip     bool
	AllowRecreate bool
	// AllowEarly lets a forward promotion through before the current
	// phase's spec.soak has passed; the pull request says so.
	AllowEarly bool
	// ForceBranch replaces a head branch that holds a commit unrelated to
	// the base branch (someone else's branch under phasegen's name).
	ForceBranch bool
	// Now is the clock the soak is measured against; time.Now when nil.
	Now func() time.Time

	// Author signs the commit; defaultAuthor when empty. The commit's time
	// comes from the target's clock (local.Options.Now, github.Options.Now):
	// the PR body holds no time from a clock (its soak times are commit
	// dates), so a rerun composes the same body.
	Author gitops.Signature
	// Log receives progress lines (stderr in the CLI); io.Discard when nil.
	Log io.Writer
	// Command is how the user runs the diff, quoted in the PR body when the
	// diff is cut; default "phasegen diff ENV --to PHASE".
	Command string
}

// Outcome is what a promotion did, or would do on a dry run.
type Outcome struct {
	Env, From, To string // From is NoPhase on a first promotion
	First         bool   // the target held no overlay for the environment
	Base, Head    string // branches
	Root          string // gitops.path

	Title, Body string
	Labels      []string
	// Files are the proposed files, paths relative to Root.
	Files fileset.Set
	// Gates is the gates' report (refusals included when refused).
	Gates gate.Report
	// Soak is the soak of the phase the environment moves away from; nil on
	// a first promotion or when the target cannot tell.
	Soak *Soak

	// Write is the target's answer; zero on a dry run or a refusal.
	Write gitops.Result
	// UpToDate: the GitOps branch already holds exactly this content.
	UpToDate bool
	// PR is the pull request opened or updated; nil without one.
	PR *gitops.PRResult
}

// Promote runs one promotion. A refused gate returns the Outcome with its
// report and an error for which gate.IsRefused is true.
func Promote(ctx context.Context, o Options) (Outcome, error) {
	if o.Log == nil {
		o.Log = io.Discard
	}
	if o.Author.Name == "" {
		o.Author = defaultAuthor
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Config == nil || o.Base == nil || o.Target == nil {
		return Outcome{}, errors.New("promote: config, base and target are required")
	}
	env, ok := o.Config.Environment(o.Env)
	if !ok {
		return Outcome{}, fmt.Errorf("environment %q does not exist (have: %v)", o.Env, o.Config.EnvironmentNames())
	}
	to, ok := o.Config.Phase(o.To)
	if !ok {
		return Outcome{}, fmt.Errorf("phase %q does not exist (have: %v)", o.To, o.Config.PhaseNames())
	}
	g := env.Spec.GitOps
	out := Outcome{
		Env: o.Env, To: o.To, From: NoPhase,
		Base: g.Branch, Head: BranchPrefix + o.Env, Root: g.Path,
	}

	// 1. The phase the target holds.
	cur, err := readCurrent(ctx, o.Target, env, o.Base, o.AppSet == "")
	if err != nil {
		return out, err
	}
	var from *config.Phase
	if cur.kustomization == nil {
		out.First = true
		fmt.Fprintf(o.Log, "%s has no overlay on %s yet (%s): first promotion, no current phase\n",
			o.Env, g.Branch, path.Join(g.Path, overlay.EnvDir(o.Env), overlay.KustomizationFile))
	} else {
		out.From = cur.phase
		if from, ok = o.Config.Phase(cur.phase); !ok {
			return out, fmt.Errorf("%s is at phase %q on %s, which %s does not define (have: %v): restore that phase's config to promote from it",
				o.Env, cur.phase, g.Branch, path.Join(o.Config.Dir, "phases"), o.Config.PhaseNames())
		}
		fmt.Fprintf(o.Log, "%s is at %s on %s\n", o.Env, cur.phase, g.Branch)
	}

	// The soak of the current phase: a forward promotion waits for it (a
	// refusal joins the gates' below, so every reason is given at once).
	var soakRefusal string
	if from != nil {
		soak, refusal, err := checkSoak(ctx, o, env, from, to)
		out.Soak, soakRefusal = soak, refusal
		if err != nil {
			return out, err
		}
		if soak != nil && soak.Early {
			fmt.Fprintf(o.Log, "warning: promoting early (--allow-early): the %s soak of %s ends at %s\n", soak.Spec, from.Metadata.Name, stamp(soak.Ends))
		}
	}

	// 2. Render and build both sides.
	proposed, err := overlay.Render(overlay.Input{Config: o.Config, Base: o.Base, Env: env, Phase: to})
	if err != nil {
		return out, err
	}
	out.Files = proposed
	toBuilt, err := kbuild.Build(proposed, overlay.EnvDir(o.Env))
	if err != nil {
		return out, fmt.Errorf("building %s at %s: %w", o.Env, o.To, err)
	}
	if o.AppSet != "" {
		ns, err := useAppSet(ctx, o, env, to, proposed, !out.First)
		if err != nil {
			return out, err
		}
		if !out.First {
			cur.appNamespace = ns
		}
	}
	var fromBuilt []byte
	var notes []string
	if from != nil {
		fromBuilt, notes, err = buildCurrent(o, env, from, cur)
		if err != nil {
			return out, err
		}
	}

	// 3. Gates.
	rep, err := gate.Check(gate.Input{
		Env: env, Phases: o.Config.Phases, From: from, To: to,
		FromBuilt: fromBuilt, ToBuilt: toBuilt, FromAppNamespace: cur.appNamespace,
		AllowSkip: o.AllowSkip, AllowRecreate: o.AllowRecreate,
	})
	if err != nil {
		return out, err
	}
	rep.Warnings = append(notes, rep.Warnings...)
	if soakRefusal != "" {
		rep.Refusals = append(rep.Refusals, soakRefusal)
	}
	out.Gates = rep
	if err := rep.Err(); err != nil {
		return out, err
	}
	for _, w := range rep.Warnings {
		fmt.Fprintf(o.Log, "warning: %s\n", w)
	}

	// 4. The pull request.
	out.Title = fmt.Sprintf("%s: %s → %s", o.Env, out.From, o.To)
	out.Labels = labels(o.To, o.Labels)
	out.Body, err = composeBody(o, env, from, to, rep, out.Soak, fromBuilt, toBuilt)
	if err != nil {
		return out, err
	}
	if o.DryRun {
		return out, nil
	}

	// 5. Write.
	fmt.Fprintf(o.Log, "writing %d files under %s on %s (on top of %s)\n", len(proposed), displayRoot(g.Path), out.Head, g.Branch)
	res, err := o.Target.Write(ctx, gitops.Change{
		Base: g.Branch, Head: out.Head, Root: g.Path, Files: proposed,
		Owned:   Owned(o.Env),
		Message: commitMessage(out, to),
		Author:  o.Author,
		Force:   o.ForceBranch,
	})
	if err != nil {
		return out, fmt.Errorf("writing %s: %w", out.Head, err)
	}
	out.Write = res
	if res.Replaced != "" {
		fmt.Fprintf(o.Log, "replaced %s, which was at %s, a commit that does not descend from %s\n", out.Head, short(res.Replaced), g.Branch)
	}
	switch {
	case res.UpToDate:
		out.UpToDate = true
		fmt.Fprintf(o.Log, "%s already holds %s at %s: nothing to do\n", g.Branch, o.Env, o.To)
		return out, nil
	case res.Changed:
		fmt.Fprintf(o.Log, "committed %s on %s\n", short(res.Commit), out.Head)
	default:
		fmt.Fprintf(o.Log, "%s already is %s on top of %s: no new commit\n", out.Head, short(res.Commit), g.Branch)
	}

	// 6. Open or update the pull request.
	if o.PR == nil {
		return out, nil
	}
	pr, err := o.PR.OpenPR(ctx, gitops.PR{
		Base: g.Branch, Head: out.Head, Title: out.Title, Body: out.Body,
		Draft: o.Draft, Labels: out.Labels, Reviewers: o.Reviewers,
	})
	if err != nil {
		return out, fmt.Errorf("opening the pull request: %w", err)
	}
	out.PR = &pr
	switch {
	case pr.Created:
		fmt.Fprintf(o.Log, "opened pull request #%d\n", pr.Number)
	case pr.Updated:
		fmt.Fprintf(o.Log, "updated pull request #%d\n", pr.Number)
	default:
		fmt.Fprintf(o.Log, "pull request #%d is up to date\n", pr.Number)
	}
	return out, nil
}

// Owned returns the paths, relative to the generated tree's top, that the
// promotion of env owns wholly in the target: the base, its overlay folder
// and its Argo CD Application.
func Owned(env string) []string {
	return []string{base.Dir, overlay.EnvDir(env), overlay.ApplicationPath(env)}
}

// labels returns phasegen, phase/<to> and extra, without duplicates.
func labels(to string, extra []string) []string {
	out := []string{"phasegen", "phase/" + to}
	seen := map[string]bool{out[0]: true, out[1]: true}
	for _, l := range extra {
		if l != "" && !seen[l] {
			seen[l] = true
			out = append(out, l)
		}
	}
	return out
}

func commitMessage(out Outcome, to *config.Phase) string {
	msg := out.Title + "\n"
	if to.Spec.Description != "" {
		msg += "\n" + to.Spec.Description + "\n"
	}
	return msg + "\nGenerated by phasegen from environments/" + out.Env + ".yaml and environments/phases/" + out.To + ".yaml.\n"
}

func displayRoot(root string) string {
	if root == "" {
		return "the repository's top"
	}
	return root + "/"
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}
