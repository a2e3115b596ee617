package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"github.com/coditect/phasegen/internal/atomicfs"
	"github.com/coditect/phasegen/internal/base"
	"github.com/coditect/phasegen/internal/config"
	"github.com/coditect/phasegen/internal/gitops/github"
	"github.com/coditect/phasegen/internal/gittree"
	"github.com/coditect/phasegen/internal/kbuild"
	"github.com/coditect/phasegen/internal/review"
	"github.com/coditect/phasegen/templates"
)

// reviewOptions are the flags of review.
type reviewOptions struct {
	base        string
	output      string
	summaryFile string
	comment     string // "" not asked, commentFromEvent, or a number
	repo        string
	failOn      string
	maxWait     time.Duration
}

// commentFromEvent is --comment given without a number: the pull request
// of the GitHub Actions event.
const commentFromEvent = "event"

func newReviewCmd(a *App) *command {
	opts := &reviewOptions{}
	return &command{
		name:  "review",
		usage: "review [--base REV] [ENV...] [-o table|json|markdown] [--summary-file F] [--comment[=N] [--repo OWNER/NAME]] [--fail-on gate]",
		short: "Review what a config change does to every environment's manifests, cost and gates",
		long: `Compares the configs (--config), the capacity model and the templates base
(--templates) at git revision --base, read from git objects without a
checkout, with the working tree. For each environment (all on either side by
default): whether its kustomize-built manifests change, the semantic change
(phase, replicas, HPA range, per-pod resources, alert thresholds, monthly
cost and its delta), the gates a promotion would apply (an order skip, an
immutable field of a StatefulSet or a Deployment's selector, an object Argo CD must prune) and the unified
diff per object. An environment whose inputs are byte-identical on both sides
is not built (counted as skipped); environments on one side only are shown
as added or removed.

--base defaults to the merge base of HEAD with the current branch's upstream,
else HEAD. -o markdown is a pull request comment kept under GitHub's 65,536
characters (cutting diffs per object, then the sections, then table rows, and
saying what it cut); --summary-file writes the whole Markdown (up to the 1 MiB
a GitHub Actions job summary takes), atomically.

--comment N keeps one comment on pull request N of --repo (default
GITHUB_REPOSITORY), found again by the marker "<!-- phasegen review -->" and
edited in place; identical text writes nothing. --comment alone takes the
pull request of the GitHub Actions event (GITHUB_EVENT_PATH); an
environment named by digits only needs --comment=N before it. It needs
GITHUB_TOKEN or GH_TOKEN (pull requests or issues: write) and honours
GITHUB_API_URL. Exit 0 when the review ran, changes or not; with
--fail-on gate, 1 when any gate fires.`,
		example: "  phasegen review\n" +
			"  phasegen review --base origin/main -o markdown --summary-file \"$GITHUB_STEP_SUMMARY\"\n" +
			"  phasegen review --base \"$BASE_SHA\" --comment 42 --repo coditect/phasegen --fail-on gate",
		setFlags: func(fs *pflag.FlagSet) {
			fs.StringVar(&opts.base, "base", "", "git revision to compare with (default: merge base with the upstream, else HEAD)")
			fs.StringVarP(&opts.output, "output", "o", "table", "output format: table, json or markdown")
			fs.StringVar(&opts.summaryFile, "summary-file", "", "also write the whole Markdown review to this file (e.g. $GITHUB_STEP_SUMMARY)")
			fs.StringVar(&opts.comment, "comment", "", "keep one review comment on pull request N (--comment alone: the GitHub Actions event's)")
			fs.Lookup("comment").NoOptDefVal = commentFromEvent
			fs.StringVar(&opts.repo, "repo", "", "GitHub repository OWNER/NAME holding the configs (default: GITHUB_REPOSITORY)")
			fs.StringVar(&opts.failOn, "fail-on", "", "exit 1 when this fires: gate")
			fs.DurationVar(&opts.maxWait, "max-wait", 2*time.Minute, "longest wait for a GitHub rate limit to reset")
		},
		run: func(ctx context.Context, g *globalOptions, args []string) error {
			return a.runReview(ctx, g, opts, args)
		},
	}
}

func (a *App) runReview(ctx context.Context, g *globalOptions, opts *reviewOptions, args []string) error {
	switch opts.output {
	case "table", "json", "markdown":
	default:
		return usagef("-o must be table, json or markdown, not %q", opts.output)
	}
	if opts.failOn != "" && opts.failOn != "gate" {
		return usagef("--fail-on takes gate, not %q", opts.failOn)
	}
	if opts.repo != "" && opts.comment == "" {
		return usagef("--repo is for --comment")
	}
	if a.Getenv("GITHUB_EVENT_NAME") == "pull_request_target" {
		return errPullRequestTarget
	}
	number, args, err := a.commentNumber(opts, args)
	if err != nil {
		return err
	}
	warmed := make(chan struct{})
	go func() {
		defer close(warmed)
		kbuild.Warm()
	}()
	defer func() { <-warmed }()

	// The repository is the configuration's, wherever phasegen runs from
	// (--config may be an absolute path into another checkout).
	at := g.ConfigDir
	if _, err := os.Stat(at); err != nil {
		at = "."
	}
	repo, err := gittree.Open(at)
	if err != nil {
		return err
	}
	rev, what := opts.base, ""
	var commit *gittree.Commit
	if rev == "" {
		c, w, err := repo.DefaultBase()
		if err != nil {
			return err
		}
		commit, what = c, w
	} else {
		c, err := repo.Resolve(rev)
		if err != nil {
			return err
		}
		commit, what = c, rev
	}
	sha := commit.Hash.String()
	fmt.Fprintf(a.Stderr, "reviewing the working tree against %s (%s)\n", sha[:12], what)

	var rep *review.Report
	if g.apps != nil {
		rep, err = a.reviewApps(g, repo, commit, args)
	} else {
		rep, err = a.reviewApp(g, repo, commit, args)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(a.Stderr, "built %d environment(s) on both sides; %d skipped (inputs identical)%s\n", countBuilt(rep), rep.Skipped, unchangedApps(rep))

	command := "phasegen review --base " + sha[:12]
	switch opts.output {
	case "json":
		err = review.WriteJSON(a.Stdout, rep)
	case "markdown":
		_, err = fmt.Fprint(a.Stdout, review.Markdown(rep, review.MaxCommentChars, review.Chars, command))
	default:
		err = review.WriteTable(a.Stdout, rep)
	}
	if err != nil {
		return err
	}
	if opts.summaryFile != "" {
		md := review.Markdown(rep, review.MaxSummaryBytes, review.Bytes, command)
		if err := atomicfs.WriteFile(opts.summaryFile, []byte(md)); err != nil {
			return err
		}
	}
	if number > 0 {
		if err := a.postReview(ctx, opts, number, review.Markdown(rep, review.MaxCommentChars, review.Chars, command)); err != nil {
			return err
		}
	}
	if opts.failOn == "gate" && rep.Gates() > 0 {
		return &exitError{code: ExitError, msg: fmt.Sprintf("%d gate(s) fire (--fail-on gate)", rep.Gates())}
	}
	return nil
}

// unchangedApps says, for a review of several apps, how many were not
// loaded (their inputs the same files on both sides).
func unchangedApps(r *review.Report) string {
	if r.Apps == nil {
		return ""
	}
	return fmt.Sprintf("; %d of %d apps unchanged (not loaded)", r.NotLoaded(), len(r.Apps))
}

func countBuilt(r *review.Report) int {
	n := 0
	for _, e := range r.Environments {
		if !e.Skipped {
			n++
		}
	}
	return n
}

// reviewApp reviews the app of g's folders: the working tree against commit.
func (a *App) reviewApp(g *globalOptions, repo *gittree.Repo, commit *gittree.Commit, envs []string) (*review.Report, error) {
	to, err := a.loadSide(g)
	if err != nil {
		return nil, err
	}
	from, err := a.loadRevision(g, repo, commit, to.Config)
	if err != nil {
		return nil, err
	}
	defer batchGC(len(to.Config.Environments))()
	return review.Run(review.Input{From: from, To: to, BaseRev: commit.Hash.String(), Envs: envs, Overrides: gateFlags()})
}

// loadSide loads the working tree's configs and base.
func (a *App) loadSide(g *globalOptions) (review.Side, error) {
	cfg, b, err := a.loadAll(g)
	if err != nil {
		return review.Side{}, err
	}
	return review.Side{Config: cfg, Base: b}, nil
}

// loadRevision loads the configs and the base at commit from git objects:
// --config and --templates taken relative to the repository's top. A
// config directory the revision does not have is an empty side (every
// environment added); a revision without the templates base is an error,
// unless --templates names the embedded example.
func (a *App) loadRevision(g *globalOptions, repo *gittree.Repo, commit *gittree.Commit, known *config.Set) (review.Side, error) {
	short := commit.Hash.String()[:12]
	tree, err := repo.FS(commit)
	if err != nil {
		return review.Side{}, err
	}
	cfgDir, err := repo.Rel(g.ConfigDir)
	if err != nil {
		return review.Side{}, err
	}
	var side review.Side
	if _, err := fs.Stat(tree, cfgDir); errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(a.Stderr, "%s has no %s: every environment is new\n", short, cfgDir)
		return side, nil
	} else if err != nil {
		return side, fmt.Errorf("the configs at %s: %w", short, err)
	}
	if side.Config, err = config.LoadFSFrom(tree, cfgDir, known); err != nil {
		return side, fmt.Errorf("the configs at %s: %s", short, indentRest(err.Error()))
	}
	if g.templatesSet && g.TemplatesDir == EmbeddedTemplates {
		side.Base, err = base.Load(templates.FS())
		return side, err
	}
	tplDir, err := repo.Rel(g.TemplatesDir)
	if err != nil {
		return side, err
	}
	var tfs fs.FS
	switch _, err := fs.Stat(tree, path.Join(tplDir, "base", "kustomization.yaml")); {
	case err == nil:
		if tfs, err = fs.Sub(tree, tplDir); err != nil {
			return side, err
		}
	case errors.Is(err, fs.ErrNotExist):
		return side, fmt.Errorf("the templates at %s: %s has no %s", short, short, path.Join(tplDir, "base", "kustomization.yaml"))
	default:
		return side, fmt.Errorf("the templates at %s: %w", short, err)
	}
	if side.Base, err = base.Load(tfs); err != nil {
		return side, fmt.Errorf("the templates at %s: %w", short, err)
	}
	return side, nil
}

// commentNumber returns the pull request --comment names (0: no comment)
// and the positional arguments left. "--comment N" parses as --comment
// alone followed by the argument N (the flag's value is optional), so with
// --comment alone the first argument made of digits only is taken as N;
// without one, N comes from the GitHub Actions event.
func (a *App) commentNumber(opts *reviewOptions, args []string) (int, []string, error) {
	switch opts.comment {
	case "":
		return 0, args, nil
	case commentFromEvent:
		for i, arg := range args {
			if n, err := strconv.Atoi(arg); err == nil && strings.Trim(arg, "0123456789") == "" {
				if n < 1 {
					return 0, nil, usagef("--comment %s: want a pull request number", arg)
				}
				return n, append(append([]string(nil), args[:i]...), args[i+1:]...), nil
			}
		}
		n, err := a.eventPullRequest()
		return n, args, err
	}
	n, err := strconv.Atoi(opts.comment)
	if err != nil || n < 1 {
		return 0, nil, usagef("--comment %q: want a pull request number", opts.comment)
	}
	return n, args, nil
}

// actionsEvent is what review reads of the GitHub Actions event.
type actionsEvent struct {
	PullRequest *struct {
		Number int `json:"number"`
		Head   struct {
			Repo struct {
				FullName string `json:"full_name"`
			} `json:"repo"`
		} `json:"head"`
		Base struct {
			Repo struct {
				FullName string `json:"full_name"`
			} `json:"repo"`
		} `json:"base"`
	} `json:"pull_request"`
	Issue *struct {
		Number int `json:"number"`
		// Set on an issue that is a pull request (issue_comment events).
		PullRequest *json.RawMessage `json:"pull_request"`
	} `json:"issue"`
}

// readEvent reads the GitHub Actions event (GITHUB_EVENT_PATH).
func (a *App) readEvent() (*actionsEvent, string, error) {
	p := a.Getenv("GITHUB_EVENT_PATH")
	if p == "" {
		return nil, "", usagef("--comment without a number reads the pull request from GITHUB_EVENT_PATH, which is not set: give --comment=N")
	}
	data, err := readRegular(p, maxEventSize)
	if err != nil {
		return nil, p, fmt.Errorf("reading the GitHub Actions event: %w", err)
	}
	var ev actionsEvent
	if err := json.Unmarshal(data, &ev); err != nil {
		return nil, p, fmt.Errorf("reading the GitHub Actions event %s: %w", p, err)
	}
	return &ev, p, nil
}

// eventPullRequest reads the pull request number of the GitHub Actions
// event: pull_request.number, or issue.number for a comment on a pull
// request.
func (a *App) eventPullRequest() (int, error) {
	ev, p, err := a.readEvent()
	if err != nil {
		return 0, err
	}
	switch {
	case ev.PullRequest != nil && ev.PullRequest.Number > 0:
		return ev.PullRequest.Number, nil
	case ev.Issue != nil && ev.Issue.Number > 0 && ev.Issue.PullRequest != nil:
		return ev.Issue.Number, nil
	case ev.Issue != nil && ev.Issue.Number > 0:
		return 0, fmt.Errorf("the GitHub Actions event %s is about issue #%d, which is not a pull request: phasegen comments only on pull requests", p, ev.Issue.Number)
	}
	return 0, fmt.Errorf("the GitHub Actions event %s is not about a pull request: give --comment=N", p)
}

// fromFork reports whether the GitHub Actions event is a pull request from
// another repository (a fork), whose workflow token is read-only.
func (a *App) fromFork() bool {
	if a.Getenv("GITHUB_EVENT_PATH") == "" {
		return false
	}
	ev, _, err := a.readEvent()
	if err != nil || ev.PullRequest == nil {
		return false
	}
	head, base := ev.PullRequest.Head.Repo.FullName, ev.PullRequest.Base.Repo.FullName
	return head != "" && base != "" && !strings.EqualFold(head, base)
}

// errPullRequestTarget refuses the event that reviews the wrong code.
var errPullRequestTarget = errors.New("refusing to review on a pull_request_target event: it checks out the base branch, so the review compares the base with itself (\"0 of N environments change\" whatever the pull request does), and checking out the pull request's head there hands a write token to its code; run review on pull_request (for forks: a read-only job writing the job summary, see the GitHub Action docs)")

// maxEventSize bounds the GitHub Actions event file read.
const maxEventSize = 16 << 20

// readRegular reads file p, which must be a regular file of at most max
// bytes: opened without blocking (a FIFO or device in its place is refused,
// not waited on), checked, then read bounded.
func readRegular(p string, max int64) ([]byte, error) {
	f, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file (%s)", p, fi.Mode().Type())
	}
	if fi.Size() > max {
		return nil, fmt.Errorf("%s is %d bytes, over the %d-byte limit", p, fi.Size(), max)
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s grew over the %d-byte limit while read", p, max)
	}
	return data, nil
}

// postReview keeps the review comment on pull request number.
func (a *App) postReview(ctx context.Context, opts *reviewOptions, number int, body string) error {
	repo := opts.repo
	if repo == "" {
		repo = a.Getenv("GITHUB_REPOSITORY")
	}
	if repo == "" {
		return usagef("--comment needs --repo OWNER/NAME (or GITHUB_REPOSITORY)")
	}
	owner, name, ok := strings.Cut(repo, "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		return usagef("--repo %q: want OWNER/NAME", repo)
	}
	o, err := a.githubOptions(owner, name, permsComment())
	if errors.Is(err, errNoGitHubCredentials) {
		return errors.New("no GitHub token: set GITHUB_TOKEN or GH_TOKEN (a token that can comment on pull requests), or GitHub App credentials (GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY), to use --comment")
	}
	if err != nil {
		return err
	}
	o.MaxWait = opts.maxWait
	gh, err := github.New(o)
	if err != nil {
		return err
	}
	res, err := gh.StickyComment(ctx, number, review.Marker, body)
	if errors.Is(err, github.ErrForbidden) && a.fromFork() {
		fmt.Fprintf(a.Stderr, "note: not commenting on #%d: it comes from a fork, whose workflow token GitHub makes read-only (%v); the review is in the job summary\n", number, err)
		return nil
	}
	if err != nil {
		return fmt.Errorf("commenting on github.com/%s pull request #%d: %w", repo, number, err)
	}
	switch {
	case res.Created:
		fmt.Fprintf(a.Stderr, "commented on pull request #%d: %s\n", number, res.URL)
	case res.Updated:
		fmt.Fprintf(a.Stderr, "updated the review comment on pull request #%d: %s\n", number, res.URL)
	default:
		fmt.Fprintf(a.Stderr, "the review comment on pull request #%d is up to date: %s\n", number, res.URL)
	}
	if res.Others > 0 {
		fmt.Fprintf(a.Stderr, "warning: %d more comment(s) of ours on #%d carry the review marker; only the oldest is kept up to date\n", res.Others, number)
	}
	if res.Foreign > 0 {
		fmt.Fprintf(a.Stderr, "warning: %d comment(s) on #%d carry the review marker but were written by someone else: left alone, never taken for the review\n", res.Foreign, number)
	}
	return nil
}
