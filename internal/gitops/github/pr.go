package github

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/google/go-github/v62/github"

	"github.com/coditect/phasegen/internal/gitops"
	"github.com/coditect/phasegen/internal/secret"
)

// MaxBodyChars is GitHub's limit on a pull request body, in characters.
const MaxBodyChars = gitops.MaxBodyChars

// PR and PRResult are gitops's.
type (
	PR       = gitops.PR
	PRResult = gitops.PRResult
)

// OpenPR creates the pull request for pr.Head, or brings the open one up to
// date. A merged or closed PR for the branch is left alone and a new one is
// opened. It costs one call when the open PR is already as asked, and at
// most four otherwise (list, create or edit, labels, reviewers).
func (t *Repo) OpenPR(ctx context.Context, pr PR) (PRResult, error) {
	res, err := t.openPR(ctx, pr)
	return res, t.redact(err)
}

func (t *Repo) openPR(ctx context.Context, pr PR) (PRResult, error) {
	switch {
	case pr.Base == "" || pr.Head == "" || pr.Title == "":
		return PRResult{}, fmt.Errorf("opening pull request: base, head and title are required")
	case utf8.RuneCountInString(pr.Body) > MaxBodyChars:
		return PRResult{}, fmt.Errorf("opening pull request: body has %d characters, more than GitHub's %d", utf8.RuneCountInString(pr.Body), MaxBodyChars)
	}
	var res PRResult
	cur, err := t.findOpenPR(ctx, pr)
	if err != nil {
		return res, err
	}
	if cur == nil {
		cur, err = t.createPR(ctx, pr)
		switch {
		case unprocessable(err, "already exists"):
			// Our own creation whose answer was lost, or a concurrent run.
			if cur, err = t.findOpenPR(ctx, pr); err == nil && cur == nil {
				err = fmt.Errorf("opening pull request for %s: github says one exists but lists none open", pr.Head)
			}
			if err == nil {
				t.logf("github: a pull request for %s already exists (#%d), opened by a concurrent run or by this run's lost request: using it",
					pr.Head, cur.GetNumber())
			}
		case err == nil:
			res.Created = true
		}
		if err != nil {
			return res, err
		}
	}
	res.Number, res.URL = cur.GetNumber(), secret.Untrusted(cur.GetHTMLURL())
	if !res.Created {
		edited, err := t.editPR(ctx, cur, pr)
		if err != nil {
			return res, err
		}
		res.Updated = edited
	}
	added, err := t.addLabels(ctx, cur, pr.Labels)
	if err != nil {
		return res, err
	}
	requested, err := t.requestReviewers(ctx, cur, pr.Reviewers)
	if err != nil {
		return res, err
	}
	res.Updated = res.Updated || (!res.Created && (added || requested))
	return res, nil
}

// findOpenPR returns the open PR whose head is pr.Head, preferring one on
// pr.Base, or nil.
func (t *Repo) findOpenPR(ctx context.Context, pr PR) (*github.PullRequest, error) {
	var list []*github.PullRequest
	err := t.call(ctx, "listing pull requests for "+pr.Head, func() (*github.Response, error) {
		var resp *github.Response
		var err error
		list, resp, err = t.gh.PullRequests.List(ctx, t.owner, t.repo, &github.PullRequestListOptions{
			State: "open", Head: t.owner + ":" + pr.Head, ListOptions: github.ListOptions{PerPage: 100},
		})
		return resp, err
	})
	if err != nil {
		return nil, err
	}
	var found *github.PullRequest
	for _, p := range list {
		if p.GetState() != "open" || p.GetHead().GetRef() != pr.Head {
			continue
		}
		if found == nil || p.GetBase().GetRef() == pr.Base {
			found = p
		}
	}
	return found, nil
}

func (t *Repo) createPR(ctx context.Context, pr PR) (*github.PullRequest, error) {
	var created *github.PullRequest
	err := t.call(ctx, "creating pull request for "+pr.Head, func() (*github.Response, error) {
		var resp *github.Response
		var err error
		created, resp, err = t.gh.PullRequests.Create(ctx, t.owner, t.repo, &github.NewPullRequest{
			Title: github.String(pr.Title), Head: github.String(pr.Head), Base: github.String(pr.Base),
			Body: github.String(pr.Body), Draft: github.Bool(pr.Draft),
		})
		return resp, err
	})
	return created, err
}

// editPR changes the title, body and base of cur where they differ from pr.
func (t *Repo) editPR(ctx context.Context, cur *github.PullRequest, pr PR) (bool, error) {
	edit := &github.PullRequest{}
	changed := false
	if cur.GetTitle() != pr.Title {
		edit.Title, changed = github.String(pr.Title), true
	}
	if cur.GetBody() != pr.Body {
		edit.Body, changed = github.String(pr.Body), true
	}
	if cur.GetBase().GetRef() != pr.Base {
		edit.Base, changed = &github.PullRequestBranch{Ref: github.String(pr.Base)}, true
	}
	if !changed {
		return false, nil
	}
	err := t.call(ctx, fmt.Sprintf("editing pull request #%d", cur.GetNumber()), func() (*github.Response, error) {
		_, resp, err := t.gh.PullRequests.Edit(ctx, t.owner, t.repo, cur.GetNumber(), edit)
		return resp, err
	})
	return err == nil, err
}

func (t *Repo) addLabels(ctx context.Context, cur *github.PullRequest, want []string) (bool, error) {
	var missing []string
	for _, l := range want {
		has := slices.ContainsFunc(cur.Labels, func(x *github.Label) bool { return strings.EqualFold(x.GetName(), l) })
		if l != "" && !has && !slices.Contains(missing, l) {
			missing = append(missing, l)
		}
	}
	if len(missing) == 0 {
		return false, nil
	}
	err := t.call(ctx, fmt.Sprintf("labelling pull request #%d", cur.GetNumber()), func() (*github.Response, error) {
		_, resp, err := t.gh.Issues.AddLabelsToIssue(ctx, t.owner, t.repo, cur.GetNumber(), missing)
		return resp, err
	})
	return err == nil, err
}

// requestReviewers asks for the reviews not already requested. GitHub
// refuses some requests (the PR's author, a non-collaborator); that is
// logged, not fatal: the PR itself is in place.
func (t *Repo) requestReviewers(ctx context.Context, cur *github.PullRequest, want []string) (bool, error) {
	var req github.ReviewersRequest
	for _, r := range want {
		if org, team, ok := strings.Cut(r, "/"); ok && org != "" && team != "" {
			has := slices.ContainsFunc(cur.RequestedTeams, func(x *github.Team) bool { return strings.EqualFold(x.GetSlug(), team) })
			if !has && !slices.Contains(req.TeamReviewers, team) {
				req.TeamReviewers = append(req.TeamReviewers, team)
			}
			continue
		}
		has := slices.ContainsFunc(cur.RequestedReviewers, func(x *github.User) bool { return strings.EqualFold(x.GetLogin(), r) })
		if r != "" && !has && !slices.Contains(req.Reviewers, r) {
			req.Reviewers = append(req.Reviewers, r)
		}
	}
	if len(req.Reviewers) == 0 && len(req.TeamReviewers) == 0 {
		return false, nil
	}
	op := fmt.Sprintf("requesting reviewers on pull request #%d", cur.GetNumber())
	err := t.call(ctx, op, func() (*github.Response, error) {
		_, resp, err := t.gh.PullRequests.RequestReviewers(ctx, t.owner, t.repo, cur.GetNumber(), req)
		return resp, err
	})
	if unprocessable(err, "") {
		t.logf("warning: %s: %s", op, apiMessage(err))
		return false, nil
	}
	return err == nil, err
}
