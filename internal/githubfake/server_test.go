package githubfake_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v62/github"

	"github.com/coditect/phasegen/internal/githubfake"
)

const token = "ghp_testtoken0123456789"

func setup(t *testing.T, prefix string) (*githubfake.Server, *github.Client) {
	t.Helper()
	fake, err := githubfake.New(githubfake.Options{Owner: "o", Repo: "r", Token: token})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	if _, err := fake.Seed(map[string][]byte{
		"README.md":           []byte("hello\n"),
		"apps/x/a.yaml":       []byte("a: 1\n"),
		"apps/x/sub/b.yaml":   []byte("b: 2\n"),
		"apps/other/keep.txt": []byte("keep\n"),
	}); err != nil {
		t.Fatal(err)
	}
	c, err := github.NewClient(srv.Client()).WithAuthToken(token).WithEnterpriseURLs(srv.URL+prefix, srv.URL+prefix)
	if err != nil {
		t.Fatal(err)
	}
	return fake, c
}

func status(err error) int {
	var er *github.ErrorResponse
	if errors.As(err, &er) {
		return er.Response.StatusCode
	}
	return 0
}

func TestGitFlow(t *testing.T) {
	ctx := context.Background()
	fake, c := setup(t, "/api/v3/")
	ref, _, err := c.Git.GetRef(ctx, "o", "r", "heads/main")
	if err != nil {
		t.Fatal(err)
	}
	main := ref.GetObject().GetSHA()
	if _, _, err := c.Git.GetRef(ctx, "o", "r", "heads/nope/x"); status(err) != http.StatusNotFound {
		t.Fatalf("missing ref: got %v, want 404", err)
	}
	base, _, err := c.Git.GetCommit(ctx, "o", "r", main)
	if err != nil {
		t.Fatal(err)
	}
	tree, _, err := c.Git.GetTree(ctx, "o", "r", base.GetTree().GetSHA(), true)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, e := range tree.Entries {
		if e.GetType() == "blob" {
			paths = append(paths, e.GetPath())
		}
	}
	if got := strings.Join(paths, ","); got != "README.md,apps/other/keep.txt,apps/x/a.yaml,apps/x/sub/b.yaml" {
		t.Fatalf("recursive tree: %s", got)
	}
	// Delete a nested file and add one, on base_tree.
	nt, _, err := c.Git.CreateTree(ctx, "o", "r", base.GetTree().GetSHA(), []*github.TreeEntry{
		{Path: github.String("apps/x/sub/b.yaml"), Mode: github.String("100644"), Type: github.String("blob")},
		{Path: github.String("apps/x/c.yaml"), Mode: github.String("100644"), Type: github.String("blob"), Content: github.String("c: 3\n")},
	})
	if err != nil {
		t.Fatal(err)
	}
	commit, _, err := c.Git.CreateCommit(ctx, "o", "r", &github.Commit{
		Message: github.String("change"), Tree: &github.Tree{SHA: nt.SHA}, Parents: []*github.Commit{{SHA: &main}},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	newRef := &github.Reference{Ref: github.String("refs/heads/phasegen/prod"), Object: &github.GitObject{SHA: commit.SHA}}
	if _, _, err := c.Git.CreateRef(ctx, "o", "r", newRef); err != nil {
		t.Fatal(err)
	}
	_, _, err = c.Git.CreateRef(ctx, "o", "r", newRef)
	if status(err) != http.StatusUnprocessableEntity || !strings.Contains(err.Error(), "Reference already exists") {
		t.Fatalf("second create: %v", err)
	}
	files, err := fake.Files("phasegen/prod")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := files["apps/x/sub/b.yaml"]; ok || string(files["apps/x/c.yaml"]) != "c: 3\n" || string(files["apps/other/keep.txt"]) != "keep\n" || len(files) != 4 {
		t.Fatalf("files after change: %v", files)
	}
	// main → the new commit is a fast-forward; back is not.
	if _, _, err := c.Git.UpdateRef(ctx, "o", "r", &github.Reference{Ref: github.String("refs/heads/main"), Object: &github.GitObject{SHA: commit.SHA}}, false); err != nil {
		t.Fatal(err)
	}
	_, _, err = c.Git.UpdateRef(ctx, "o", "r", &github.Reference{Ref: github.String("refs/heads/main"), Object: &github.GitObject{SHA: &main}}, false)
	if status(err) != http.StatusUnprocessableEntity {
		t.Fatalf("non fast-forward: %v", err)
	}
	fc, _, _, err := c.Repositories.GetContents(ctx, "o", "r", "apps/x/c.yaml", &github.RepositoryContentGetOptions{Ref: "phasegen/prod"})
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := fc.GetContent(); s != "c: 3\n" {
		t.Fatalf("contents: %q", s)
	}
	if _, _, _, err := c.Repositories.GetContents(ctx, "o", "r", "apps/x/sub/b.yaml", &github.RepositoryContentGetOptions{Ref: "phasegen/prod"}); status(err) != http.StatusNotFound {
		t.Fatalf("deleted file: %v", err)
	}
	if got := fake.Count("POST git/refs"); got != 2 {
		t.Fatalf("POST git/refs count = %d", got)
	}
}

func TestPullsAndAuth(t *testing.T) {
	ctx := context.Background()
	fake, c := setup(t, "")
	// feature is a root commit unrelated to main: a PR with commits to merge.
	if _, err := fake.CommitFiles("feature", "x", map[string][]byte{"x": []byte("x")}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.PullRequests.Create(ctx, "o", "r", &github.NewPullRequest{Title: github.String("t"), Head: github.String("main"), Base: github.String("main")}); status(err) != http.StatusUnprocessableEntity {
		t.Fatalf("PR without commits: %v", err)
	}
	pr, _, err := c.PullRequests.Create(ctx, "o", "r", &github.NewPullRequest{Title: github.String("t"), Head: github.String("o:feature"), Base: github.String("main"), Body: github.String("b")})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = c.PullRequests.Create(ctx, "o", "r", &github.NewPullRequest{Title: github.String("t"), Head: github.String("feature"), Base: github.String("main")})
	var er *github.ErrorResponse
	if !errors.As(err, &er) || len(er.Errors) != 1 || er.Errors[0].Message != "A pull request already exists for o:feature." {
		t.Fatalf("duplicate PR: %v", err)
	}
	if _, _, err := c.Issues.AddLabelsToIssue(ctx, "o", "r", pr.GetNumber(), []string{"phasegen", "phase/beta"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.PullRequests.RequestReviewers(ctx, "o", "r", pr.GetNumber(), github.ReviewersRequest{Reviewers: []string{"alice"}}); err != nil {
		t.Fatal(err)
	}
	list, _, err := c.PullRequests.List(ctx, "o", "r", &github.PullRequestListOptions{Head: "o:feature", State: "open"})
	if err != nil || len(list) != 1 || len(list[0].Labels) != 2 || list[0].RequestedReviewers[0].GetLogin() != "alice" {
		t.Fatalf("list: %v %v", list, err)
	}
	if err := fake.MergePR(pr.GetNumber()); err != nil {
		t.Fatal(err)
	}
	if tip, _ := fake.Branch("main"); tip != list[0].GetHead().GetSHA() {
		t.Fatalf("merge did not move main")
	}
	if list, _, _ := c.PullRequests.List(ctx, "o", "r", &github.PullRequestListOptions{Head: "o:feature", State: "open"}); len(list) != 0 {
		t.Fatalf("merged PR still listed as open")
	}

	bad := github.NewClient(nil).WithAuthToken("wrong")
	bad.BaseURL = c.BaseURL
	_, _, err = bad.Git.GetRef(ctx, "o", "r", "heads/main")
	if status(err) != http.StatusUnauthorized || !strings.Contains(err.Error(), "Bad credentials") {
		t.Fatalf("bad token: %v", err)
	}
}

func TestFaults(t *testing.T) {
	ctx := context.Background()
	fake, c := setup(t, "")
	reset := time.Unix(2000000000, 0)
	fake.Inject(githubfake.Fault{Route: "GET git/ref/heads/{branch...}", Kind: githubfake.Status, Status: 503})
	fake.Inject(githubfake.Fault{Route: "GET git/ref/heads/{branch...}", Nth: 2, Kind: githubfake.PrimaryRateLimit, Reset: reset})
	_, _, err := c.Git.GetRef(ctx, "o", "r", "heads/main")
	if status(err) != http.StatusServiceUnavailable {
		t.Fatalf("first: %v", err)
	}
	_, _, err = c.Git.GetRef(ctx, "o", "r", "heads/main")
	var rl *github.RateLimitError
	if !errors.As(err, &rl) || !rl.Rate.Reset.Time.Equal(reset) {
		t.Fatalf("second: %v", err)
	}
	if n := len(fake.Unfired()); n != 0 {
		t.Fatalf("%d faults unfired", n)
	}

	// A dropped connection after the write: the ref exists, the client saw nothing.
	fake2, c2 := setup(t, "")
	tip, _ := fake2.Branch("main")
	fake2.Inject(githubfake.Fault{Route: "POST git/refs", Kind: githubfake.Drop, AfterWrite: true})
	_, _, err = c2.Git.CreateRef(ctx, "o", "r", &github.Reference{Ref: github.String("refs/heads/b"), Object: &github.GitObject{SHA: &tip}})
	if err == nil {
		t.Fatal("dropped connection: no error")
	}
	if got, ok := fake2.Branch("b"); !ok || got != tip {
		t.Fatalf("write after drop did not happen")
	}
	fake2.Inject(githubfake.Fault{Route: "POST pulls", Kind: githubfake.SecondaryRateLimit, RetryAfter: 3 * time.Second})
	fake2.Inject(githubfake.Fault{Route: "GET pulls", Kind: githubfake.TooManyRequests})
	_, resp, err := c2.PullRequests.Create(ctx, "o", "r", &github.NewPullRequest{Title: github.String("t"), Head: github.String("b"), Base: github.String("main")})
	var ab *github.AbuseRateLimitError
	if !errors.As(err, &ab) || resp.Header.Get("Retry-After") != "3" || !strings.Contains(err.Error(), "secondary rate limit") {
		t.Fatalf("secondary: %v", err)
	}
	// A fresh client: c2 now refuses requests locally until the Retry-After passes.
	c3 := github.NewClient(nil).WithAuthToken(token)
	c3.BaseURL = c2.BaseURL
	_, resp, err = c3.PullRequests.List(ctx, "o", "r", nil)
	if resp == nil || resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "1" {
		t.Fatalf("429: %v", err)
	}
	if n := len(fake2.Unfired()); n != 0 {
		t.Fatalf("%d faults unfired", n)
	}
}
