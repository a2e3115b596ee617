package github

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/google/go-github/v62/github"

	"github.com/coditect/phasegen/internal/secret"
)

// MaxCommentChars is GitHub's limit on an issue or pull request comment, in
// characters.
const MaxCommentChars = 65536

// CommentResult reports what StickyComment did.
type CommentResult struct {
	ID      int64
	URL     string // the comment's web address
	Created bool   // a new comment was posted
	Updated bool   // the existing comment was edited
	// Others counts further comments of ours carrying the marker (left
	// alone).
	Others int
	// Foreign counts comments carrying the marker written by someone
	// else: never adopted, never edited.
	Foreign int
}

// StickyComment keeps one comment on pull request (or issue) number whose
// body starts with marker and whose author is this Repo's Identity (anyone
// else's comment with the marker, planted by a pull request's author, is
// left alone): it creates it when there is none, edits it in
// place when its body differs from body, and writes nothing when it is the
// same. body must start with marker. It costs one call per 100 comments on
// the pull request to find it, one to learn the identity, plus at most
// one write. A creation whose
// answer was lost (a 5xx after GitHub stored it) is found again before it
// is retried, so a retry never posts a second comment.
func (t *Repo) StickyComment(ctx context.Context, number int, marker, body string) (CommentResult, error) {
	res, err := t.stickyComment(ctx, number, marker, body)
	return res, t.redact(err)
}

func (t *Repo) stickyComment(ctx context.Context, number int, marker, body string) (CommentResult, error) {
	switch {
	case number < 1:
		return CommentResult{}, fmt.Errorf("commenting: pull request number %d is not valid", number)
	case marker == "" || !strings.HasPrefix(body, marker):
		return CommentResult{}, fmt.Errorf("commenting on #%d: the body must start with its marker", number)
	case utf8.RuneCountInString(body) > MaxCommentChars:
		return CommentResult{}, fmt.Errorf("commenting on #%d: body has %d characters, more than GitHub's %d", number, utf8.RuneCountInString(body), MaxCommentChars)
	}
	var res CommentResult
	login, err := t.Identity(ctx)
	if err != nil {
		return res, fmt.Errorf("commenting on #%d: %w", number, err)
	}
	f := finder{number: number, marker: marker, login: login}
	cur, err := t.findComment(ctx, &f)
	if err != nil {
		return res, err
	}
	res.Others, res.Foreign = f.others, f.foreign
	if cur == nil {
		if cur, err = t.createComment(ctx, &f, body); err != nil {
			return res, err
		}
		res.Created = cur.GetBody() == body
	}
	res.ID, res.URL = cur.GetID(), secret.Untrusted(cur.GetHTMLURL())
	if cur.GetBody() == body {
		return res, nil
	}
	op := fmt.Sprintf("editing comment %d on #%d", cur.GetID(), number)
	err = t.call(ctx, op, func() (*github.Response, error) {
		_, resp, err := t.gh.Issues.EditComment(ctx, t.owner, t.repo, cur.GetID(), &github.IssueComment{Body: github.String(body)})
		return resp, err
	})
	if err != nil {
		return res, err
	}
	res.Updated = !res.Created
	return res, nil
}

// finder names the comment findComment looks for and counts the others.
type finder struct {
	number        int
	marker, login string
	others        int // ours, with the marker, after the oldest
	foreign       int // with the marker, someone else's
}

// findComment returns the oldest comment on f.number by f.login whose body
// starts with f.marker, counting the others in f.
func (t *Repo) findComment(ctx context.Context, f *finder) (*github.IssueComment, error) {
	var found *github.IssueComment
	f.others, f.foreign = 0, 0
	opts := &github.IssueListCommentsOptions{ListOptions: github.ListOptions{PerPage: 100}}
	for {
		var page []*github.IssueComment
		var next int
		err := t.call(ctx, fmt.Sprintf("listing comments on #%d", f.number), func() (*github.Response, error) {
			var resp *github.Response
			var err error
			page, resp, err = t.gh.Issues.ListComments(ctx, t.owner, t.repo, f.number, opts)
			if resp != nil {
				next = resp.NextPage
			}
			return resp, err
		})
		if err != nil {
			return nil, err
		}
		for _, c := range page {
			switch {
			case !strings.HasPrefix(c.GetBody(), f.marker):
			case !strings.EqualFold(c.GetUser().GetLogin(), f.login):
				f.foreign++
			case found == nil:
				found = c
			default:
				f.others++
			}
		}
		if next == 0 {
			return found, nil
		}
		opts.Page = next
	}
}

// createComment posts body on number. Before a retry it looks for the
// marker again: the failed attempt may have been stored.
func (t *Repo) createComment(ctx context.Context, f *finder, body string) (*github.IssueComment, error) {
	var created *github.IssueComment
	attempt := 0
	number := f.number
	err := t.call(ctx, fmt.Sprintf("commenting on #%d", number), func() (*github.Response, error) {
		attempt++
		if attempt > 1 {
			c, err := t.findComment(ctx, f)
			if err != nil {
				return nil, err
			}
			if c != nil {
				t.logf("github: the comment on #%d was stored by the attempt that failed: using it", number)
				created = c
				return nil, nil
			}
		}
		var resp *github.Response
		var err error
		created, resp, err = t.gh.Issues.CreateComment(ctx, t.owner, t.repo, number, &github.IssueComment{Body: github.String(body)})
		return resp, err
	})
	return created, err
}
