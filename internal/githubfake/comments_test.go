package githubfake_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-github/v62/github"
)

func TestIssueComments(t *testing.T) {
	ctx := context.Background()
	fake, c := setup(t, "/api/v3/")
	if _, err := fake.CommitFiles("feature", "work", map[string][]byte{"README.md": []byte("changed\n")}); err != nil {
		t.Fatal(err)
	}
	pr, _, err := c.PullRequests.Create(ctx, "o", "r", &github.NewPullRequest{Title: github.String("t"), Head: github.String("feature"), Base: github.String("main")})
	if err != nil {
		t.Fatal(err)
	}
	n := pr.GetNumber()

	// No such pull request: 404.
	if _, _, err := c.Issues.CreateComment(ctx, "o", "r", 99, &github.IssueComment{Body: github.String("x")}); status(err) != http.StatusNotFound {
		t.Fatalf("comment on #99: %v, want 404", err)
	}
	// Validation: a body is required and at most 65,536 characters.
	var er *github.ErrorResponse
	_, _, err = c.Issues.CreateComment(ctx, "o", "r", n, &github.IssueComment{})
	if !errors.As(err, &er) || er.Response.StatusCode != 422 || len(er.Errors) != 1 || er.Errors[0].Code != "missing_field" || er.Errors[0].Field != "body" {
		t.Fatalf("no body: %v", err)
	}
	_, _, err = c.Issues.CreateComment(ctx, "o", "r", n, &github.IssueComment{Body: github.String(strings.Repeat("x", 65537))})
	if !errors.As(err, &er) || er.Response.StatusCode != 422 || !strings.Contains(er.Errors[0].Message, "body is too long (maximum is 65536 characters)") {
		t.Fatalf("too long: %v", err)
	}
	if _, _, err := c.Issues.CreateComment(ctx, "o", "r", n, &github.IssueComment{Body: github.String(strings.Repeat("é", 65536))}); err != nil {
		t.Fatalf("65,536 characters (more bytes) are allowed: %v", err)
	}

	// Create, list in pages with a Link header, edit.
	var first *github.IssueComment
	for i := range 4 {
		cm, resp, err := c.Issues.CreateComment(ctx, "o", "r", n, &github.IssueComment{Body: github.String("c" + string(rune('0'+i)))})
		if err != nil || resp.StatusCode != http.StatusCreated {
			t.Fatalf("create: %v", err)
		}
		if first == nil {
			first = cm
		}
		if cm.GetUser().GetLogin() != "phasegen-bot" || cm.GetCreatedAt().IsZero() || !strings.Contains(cm.GetHTMLURL(), "/pull/1#issuecomment-") {
			t.Errorf("comment shape: %+v", cm)
		}
	}
	page1, resp, err := c.Issues.ListComments(ctx, "o", "r", n, &github.IssueListCommentsOptions{ListOptions: github.ListOptions{PerPage: 2}})
	if err != nil || len(page1) != 2 || resp.NextPage != 2 || resp.LastPage != 3 {
		t.Fatalf("page 1: %d comments, next %d, last %d, %v", len(page1), resp.NextPage, resp.LastPage, err)
	}
	page3, resp, err := c.Issues.ListComments(ctx, "o", "r", n, &github.IssueListCommentsOptions{ListOptions: github.ListOptions{PerPage: 2, Page: 3}})
	if err != nil || len(page3) != 1 || resp.NextPage != 0 || page3[0].GetBody() != "c3" {
		t.Fatalf("page 3: %v, next %d, %v", page3, resp.NextPage, err)
	}
	edited, _, err := c.Issues.EditComment(ctx, "o", "r", page1[1].GetID(), &github.IssueComment{Body: github.String("edited")})
	if err != nil || edited.GetBody() != "edited" || edited.GetID() != page1[1].GetID() {
		t.Fatalf("edit: %+v, %v", edited, err)
	}
	if _, _, err := c.Issues.EditComment(ctx, "o", "r", 12345, &github.IssueComment{Body: github.String("x")}); status(err) != http.StatusNotFound {
		t.Fatalf("edit of a missing comment: %v, want 404", err)
	}
	cs := fake.Comments(n)
	if len(cs) != 5 || cs[1].Body != "edited" || cs[1].ID != first.GetID() {
		t.Fatalf("stored: %d comments, the second %q (id %d, want %d)", len(cs), cs[1].Body, cs[1].ID, first.GetID())
	}
}
