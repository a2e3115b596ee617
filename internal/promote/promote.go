// Package promote moves an environment from the phase its GitOps repository
// holds to another one: it reads the current phase from the target (never
// from the local config), renders and builds both phases, runs the gates,
// composes the pull request, writes the environment's generated tree as one
// commit on branch phasegen/<app>/<env> on top of the GitOps branch and, on
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
	"github.com/coditect/phasegen/internal/layout"
	"github.com/coditect/phasegen/internal/overlay"
)

// NoPhase names the current phase of an environment the target does not
// hold yet (a first promotion).
const NoPhase = "none"

// BranchPrefix starts the head branch of every promotion:
// phasegen/<app>/<env> (Head).
const BranchPrefix = "phasegen/"

// Head returns the head branch of env's promotions.
func Head(env *config.Environment) string { return BranchPrefix + env.App + "/" + env.Metadata.Name }

// Mark returns the trailer every commit of env's promotions carries: a
// head branch whose tip lacks it is someone else's.
func Mark(env *config.Environment) string {
	return "Phasegen-Promotion: " + env.App + "/" + env.Metadata.Name
}

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
	// Overrides name AllowSkip and AllowRecreate as the caller's users set
	// them (the command line's flags), for the gates' messages.
	Overrides gate.Overrides
	// TakeOver moves an environment out of the previous layout although the
	// shared tree declares workloads this app's base does not (it may be
	// another app's tree under the same path).
	TakeOver bool
	// ForceBranch replaces a head branch that holds a commit unrelated to
	// the base branch (someone else's branch under phasegen's name).
	ForceBranch bool
	// Now is the clock the soak is measured against; time.Now when nil.
	Now func() time.Time
	// BeforeWrite, when set, runs just before the first write: an error
	// stops the promotion with nothing written (the CLI checks there that
	// the environment's file, which it edits after, did not change).
	BeforeWrite func() error

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
	App           string // the app the environment belongs to
	Env, From, To string // From is NoPhase on a first promotion
	First         bool   // the target held no overlay for the environment
	// Moved: the target held the environment in the previous layout, and
	// the promotion moves it into its own tree.
	Moved bool
	// SharedBaseKept names the environments still in the previous layout
	// that keep reading the app's shared base, which a move leaves in place;
	// nil when the move removes it, or nothing moved.
	SharedBaseKept []string
	// KeptName is the name of the Application the target holds when it is
	// not the one the config gives and the config sets none: the promotion
	// keeps it, and the caller records it in spec.argocd.applicationName.
	KeptName   string
	Base, Head string // branches
	Root       string // gitops.path

	Title, Body string
	Labels      []string
	// Files are the proposed files, paths relative to Root.
	Files fileset.Set
	// Counts say what the commit changes of the GitOps branch.
	Counts gitops.Counts
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
	p, err := newPromotion(o)
	if err != nil {
		return Outcome{}, err
	}
	for _, step := range []func(context.Context) error{
		p.readCurrent, // 1. the phase the target holds, and its soak
		p.build,       // 2. render and build both sides
		p.checkGates,  // 3. gates
		p.compose,     // 4. the pull request's title and body
		p.write,       // 5. one commit on the head branch
		p.openPR,      // 6. open or update the pull request
	} {
		if err := step(ctx); err != nil || p.done {
			return p.out, err
		}
	}
	return p.out, nil
}

// promotion is one run of Promote, step by step.
type promotion struct {
	o        Options
	env      *config.Environment
	from, to *config.Phase
	cur      current
	out      Outcome
	done     bool // a step ended the promotion early, without an error

	soakRefusal        string
	fromBuilt, toBuilt []byte
	notes              []string
}

func newPromotion(o Options) (*promotion, error) {
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
		return nil, errors.New("promote: config, base and target are required")
	}
	env, ok := o.Config.Environment(o.Env)
	if !ok {
		return nil, fmt.Errorf("environment %q does not exist (have: %v)", o.Env, o.Config.EnvironmentNames())
	}
	to, ok := o.Config.Phase(o.To)
	if !ok {
		return nil, fmt.Errorf("phase %q does not exist (have: %v)", o.To, o.Config.PhaseNames())
	}
	if env.App == "" {
		return nil, fmt.Errorf("environment %s belongs to no app: its CapacityModel has no metadata.name", o.Env)
	}
	g := env.Spec.GitOps
	return &promotion{o: o, env: env, to: to, out: Outcome{
		App: env.App, Env: o.Env, To: o.To, From: NoPhase,
		Base: g.Branch, Head: Head(env), Root: g.Path,
	}}, nil
}

// readCurrent reads the phase the target holds and, when there is one, the
// soak a forward promotion waits for (a refusal joins the gates', so every
// reason is given at once).
func (p *promotion) readCurrent(ctx context.Context) error {
	o, g := p.o, p.env.Spec.GitOps
	var err error
	if p.cur, err = readCurrent(ctx, o.Target, p.env, o.AppSet == ""); err != nil {
		return err
	}
	p.keepName()
	if p.cur.previous {
		p.out.Moved, p.out.SharedBaseKept = true, layout.PreviousOthers(p.rel(), o.Env)
		fmt.Fprintf(o.Log, "%s is in the previous layout on %s: this promotion moves it into %s\n", o.Env, g.Branch, path.Join(g.Path, layout.EnvTree(o.Env))+"/")
	}
	if p.cur.kustomization == nil {
		p.out.First = true
		fmt.Fprintf(o.Log, "%s has no overlay on %s yet (%s): first promotion, no current phase\n",
			o.Env, g.Branch, OverlayFile(p.env, false))
		return nil
	}
	p.out.From = p.cur.phase
	from, ok := o.Config.Phase(p.cur.phase)
	if !ok {
		return fmt.Errorf("%s is at phase %q on %s, which %s does not define (have: %v): restore that phase's config to promote from it",
			o.Env, p.cur.phase, g.Branch, path.Join(o.Config.Dir, "phases"), o.Config.PhaseNames())
	}
	p.from = from
	fmt.Fprintf(o.Log, "%s is at %s on %s\n", o.Env, p.cur.phase, g.Branch)
	soak, refusal, err := checkSoak(ctx, o, p.env, from, p.to)
	p.out.Soak, p.soakRefusal = soak, refusal
	if err != nil {
		return err
	}
	if soak != nil && soak.Early {
		fmt.Fprintf(o.Log, "warning: promoting early (%s): the %s soak of %s ends at %s\n", o.Overrides.EarlyName(), soak.Spec, from.Metadata.Name, stamp(soak.Ends))
	}
	return nil
}

// build renders and builds the proposed tree, and builds the current one.
func (p *promotion) build(ctx context.Context) error {
	o := p.o
	proposed, err := overlay.Render(overlay.Input{Config: o.Config, Base: o.Base, Env: p.env, Phase: p.to})
	if err != nil {
		return err
	}
	if p.toBuilt, err = kbuild.Build(proposed, overlay.EnvDir(o.Env)); err != nil {
		return fmt.Errorf("building %s at %s: %w", o.Env, o.To, err)
	}
	if o.AppSet != "" {
		ns, err := useAppSet(ctx, o, p.env, p.to, proposed, !p.out.First)
		if err != nil {
			return err
		}
		if !p.out.First {
			p.cur.app.namespace = ns
		}
	}
	if p.from != nil {
		if p.fromBuilt, p.notes, err = buildCurrent(ctx, o, p.env, p.from, p.cur); err != nil {
			return err
		}
		if err := p.checkTakeOver(); err != nil {
			return err
		}
	}
	if p.out.Files, err = p.treeFiles(ctx, proposed); err != nil {
		return err
	}
	p.out.Counts = gitops.Change{Files: p.out.Files, Owned: p.owned()}.CountAgainst(p.rel())
	return nil
}

// checkGates applies the gates; a refusal ends the promotion.
func (p *promotion) checkGates(context.Context) error {
	o := p.o
	rep, err := gate.Check(gate.Input{
		Env: p.env, Phases: o.Config.Phases, From: p.from, To: p.to,
		FromBuilt: p.fromBuilt, ToBuilt: p.toBuilt, FromAppNamespace: p.cur.app.namespace, FromAppName: p.cur.app.name,
		AllowSkip: o.AllowSkip, AllowRecreate: o.AllowRecreate, Overrides: o.Overrides,
	})
	if err != nil {
		return err
	}
	rep.Warnings = append(p.notes, rep.Warnings...)
	if p.soakRefusal != "" {
		rep.Refusals = append(rep.Refusals, p.soakRefusal)
	}
	p.out.Gates = rep
	if err := rep.Err(); err != nil {
		return err
	}
	for _, w := range rep.Warnings {
		fmt.Fprintf(o.Log, "warning: %s\n", w)
	}
	return nil
}

// compose writes the pull request's title, labels and body; a dry run ends
// there.
func (p *promotion) compose(context.Context) error {
	o := p.o
	p.out.Title = fmt.Sprintf("%s/%s: %s → %s", p.env.App, o.Env, p.out.From, o.To)
	p.out.Labels = labels(o.To, o.Labels)
	var err error
	p.out.Body, err = composeBody(o, p.scope(), p.env, p.from, p.to, p.out.Gates, p.out.Soak, p.fromBuilt, p.toBuilt)
	p.done = o.DryRun
	return err
}

// write commits the proposed tree on the head branch.
func (p *promotion) write(ctx context.Context) error {
	o, g, out := p.o, p.env.Spec.GitOps, &p.out
	if o.BeforeWrite != nil {
		if err := o.BeforeWrite(); err != nil {
			return err
		}
	}
	change := gitops.Change{
		Base: g.Branch, Head: out.Head, Root: g.Path, Files: out.Files,
		Owned:   p.owned(),
		Message: commitMessage(*out, p.env, p.to),
		Author:  o.Author,
		Force:   o.ForceBranch,
		Mark:    Mark(p.env),
	}
	fmt.Fprintf(o.Log, "writing environment %s of app %s under %s on %s (on top of %s): %s\n", o.Env, p.env.App, displayRoot(path.Join(g.Path, o.Env)), out.Head, g.Branch, out.Counts)
	res, err := o.Target.Write(ctx, change)
	if err != nil {
		return fmt.Errorf("writing %s: %w", out.Head, err)
	}
	out.Write = res
	if res.Replaced != "" {
		fmt.Fprintf(o.Log, "replaced %s, which was at %s, a commit that does not descend from %s\n", out.Head, short(res.Replaced), g.Branch)
	}
	switch {
	case res.UpToDate:
		out.UpToDate, p.done = true, true
		fmt.Fprintf(o.Log, "%s already holds %s at %s: nothing to do\n", g.Branch, o.Env, o.To)
	case res.Changed:
		fmt.Fprintf(o.Log, "committed %s on %s\n", short(res.Commit), out.Head)
	default:
		fmt.Fprintf(o.Log, "%s already is %s on top of %s: no new commit\n", out.Head, short(res.Commit), g.Branch)
	}
	return nil
}

// openPR opens or updates the pull request, where the target has them.
func (p *promotion) openPR(ctx context.Context) error {
	o, out := p.o, &p.out
	if o.PR == nil {
		return nil
	}
	pr, err := o.PR.OpenPR(ctx, gitops.PR{
		Base: out.Base, Head: out.Head, Title: out.Title, Body: out.Body,
		Draft: o.Draft, Labels: out.Labels, Reviewers: o.Reviewers,
	})
	if err != nil {
		return fmt.Errorf("opening the pull request: %w", err)
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
	return nil
}

// Owned returns the paths, relative to gitops.path, that the promotion of
// env owns wholly in the target: its tree and its Argo CD Application.
func Owned(env string) []string {
	return []string{layout.EnvTree(env), layout.Application(env)}
}

// owned is Owned, and the previous layout's files of the environment when
// the promotion moves it: its overlay, and the shared base when no other
// environment reads it.
func (p *promotion) owned() []string {
	out := Owned(p.o.Env)
	if p.cur.previous {
		out = append(out, layout.PreviousOwned(p.rel(), p.o.Env)...)
	}
	return out
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

func commitMessage(out Outcome, env *config.Environment, to *config.Phase) string {
	msg := out.Title + "\n"
	if to.Spec.Description != "" {
		msg += "\n" + to.Spec.Description + "\n"
	}
	return msg + "\nGenerated by phasegen from environments/" + out.Env + ".yaml and environments/phases/" + out.To + ".yaml.\n\n" + Mark(env) + "\n"
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
