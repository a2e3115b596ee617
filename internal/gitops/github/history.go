package github

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/go-github/v62/github"

	"github.com/coditect/phasegen/internal/gitops"
)

var _ gitops.Historian = (*Repo)(nil)

// MaxHistory is the most commits one History call lists (one page).
const MaxHistory = 100

// Head returns the commit branch points at, with one API call.
func (t *Repo) Head(ctx context.Context, branch string) (string, error) {
	sha, err := t.refSHA(ctx, branch)
	if errors.Is(err, gitops.ErrNotFound) {
		err = fmt.Errorf("branch %s: %w (%w)", branch, gitops.ErrNoBranch, err)
	}
	return sha, t.redact(err)
}

// History lists the commits of branch that changed p with one call to
// GitHub's commits API (GET /repos/{o}/{r}/commits?sha=BRANCH&path=P, one
// page of at most max commits, newest first) and reads p at each visited
// commit with one contents call: at most 1 + max calls. GitHub lists the
// commits git log shows for the path, dated by their committer date; for a
// pull request merged with a merge commit that is the date of the commit on
// the pull request's branch, not of the merge: Landed gives that.
func (t *Repo) History(ctx context.Context, branch, p string, max int, visit func(gitops.Revision) bool) error {
	return t.redact(t.history(ctx, branch, p, max, visit))
}

func (t *Repo) history(ctx context.Context, branch, p string, max int, visit func(gitops.Revision) bool) error {
	max = min(max, MaxHistory)
	if max < 1 {
		return nil
	}
	var list []*github.RepositoryCommit
	op := fmt.Sprintf("listing the commits of %s on branch %s", p, branch)
	err := t.call(ctx, op, func() (*github.Response, error) {
		var resp *github.Response
		var err error
		list, resp, err = t.gh.Repositories.ListCommits(ctx, t.owner, t.repo, &github.CommitsListOptions{
			SHA: branch, Path: p, ListOptions: github.ListOptions{PerPage: max},
		})
		return resp, err
	})
	if err != nil {
		return err
	}
	for i, c := range list {
		if i == max {
			break
		}
		rev := gitops.Revision{Commit: c.GetSHA(), Date: c.GetCommit().GetCommitter().GetDate().Time}
		if rev.Commit == "" {
			return fmt.Errorf("%s: a commit without a sha", op)
		}
		b, err := t.readFile(ctx, rev.Commit, p)
		switch {
		case errors.Is(err, gitops.ErrNotFound):
		case err != nil:
			return err
		default:
			rev.Content = b
		}
		if !visit(rev) {
			return nil
		}
	}
	return nil
}

var _ gitops.Lander = (*Repo)(nil)

// Landed lists the pull requests associated with commit (GET
// /repos/{o}/{r}/commits/{sha}/pulls, one call) and returns the earliest
// merged_at of those merged into branch.
func (t *Repo) Landed(ctx context.Context, branch, commit string) (time.Time, bool, error) {
	var prs []*github.PullRequest
	err := t.call(ctx, "listing the pull requests of commit "+short(commit), func() (*github.Response, error) {
		var resp *github.Response
		var err error
		prs, resp, err = t.gh.PullRequests.ListPullRequestsWithCommit(ctx, t.owner, t.repo, commit, &github.ListOptions{PerPage: 100})
		return resp, err
	})
	if err != nil {
		return time.Time{}, false, t.redact(err)
	}
	var at time.Time
	for _, p := range prs {
		if p.MergedAt == nil || p.GetBase().GetRef() != branch {
			continue
		}
		if m := p.GetMergedAt().Time; at.IsZero() || m.Before(at) {
			at = m
		}
	}
	return at, !at.IsZero(), nil
}
