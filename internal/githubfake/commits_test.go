package githubfake_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/google/go-github/v62/github"
)

// TestListCommits: GET commits?sha=&path= lists what git log lists for the
// path: a merge commit that took the file from one parent is left out, the
// commit on the merged branch that changed it is listed.
func TestListCommits(t *testing.T) {
	ctx := context.Background()
	fake, c := setup(t, "/api/v3/")
	seed, _ := fake.Branch("main")
	unrelated, err := fake.CommitFiles("main", "unrelated", map[string][]byte{"README.md": []byte("changed\n")})
	if err != nil {
		t.Fatal(err)
	}
	// A side branch from the seed that changes apps/x/a.yaml.
	if _, _, err := c.Git.CreateRef(ctx, "o", "r", &github.Reference{Ref: github.String("refs/heads/side"), Object: &github.GitObject{SHA: github.String(seed)}}); err != nil {
		t.Fatal(err)
	}
	side, err := fake.CommitFiles("side", "change a", map[string][]byte{"apps/x/a.yaml": []byte("a: 2\n")})
	if err != nil {
		t.Fatal(err)
	}
	// Merged into main with a merge commit.
	u, _, err := c.Git.GetCommit(ctx, "o", "r", unrelated)
	if err != nil {
		t.Fatal(err)
	}
	tree, _, err := c.Git.CreateTree(ctx, "o", "r", u.GetTree().GetSHA(), []*github.TreeEntry{
		{Path: github.String("apps/x/a.yaml"), Mode: github.String("100644"), Type: github.String("blob"), Content: github.String("a: 2\n")}})
	if err != nil {
		t.Fatal(err)
	}
	merge, _, err := c.Git.CreateCommit(ctx, "o", "r", &github.Commit{Message: github.String("Merge side"), Tree: &github.Tree{SHA: tree.SHA},
		Parents: []*github.Commit{{SHA: github.String(unrelated)}, {SHA: github.String(side)}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Git.UpdateRef(ctx, "o", "r", &github.Reference{Ref: github.String("refs/heads/main"), Object: &github.GitObject{SHA: merge.SHA}}, false); err != nil {
		t.Fatal(err)
	}

	list, _, err := c.Repositories.ListCommits(ctx, "o", "r", &github.CommitsListOptions{SHA: "main", Path: "apps/x/a.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, rc := range list {
		got[rc.GetSHA()] = true
		if rc.GetCommit().GetCommitter().GetDate().IsZero() || rc.GetHTMLURL() == "" {
			t.Errorf("commit %s lacks its date or html_url", rc.GetSHA())
		}
	}
	if len(list) != 2 || !got[side] || !got[seed] {
		t.Errorf("main's commits of apps/x/a.yaml: %d, want the side commit and the seed (not the merge %s, not %s)", len(list), merge.GetSHA(), unrelated)
	}
	all, _, err := c.Repositories.ListCommits(ctx, "o", "r", &github.CommitsListOptions{SHA: "main"})
	if err != nil || len(all) != 4 {
		t.Fatalf("main's commits: %v, %d, want 4", err, len(all))
	}
	one, _, err := c.Repositories.ListCommits(ctx, "o", "r", &github.CommitsListOptions{SHA: "main", ListOptions: github.ListOptions{PerPage: 1}})
	if err != nil || len(one) != 1 {
		t.Errorf("per_page 1: %v, %d", err, len(one))
	}
	if _, _, err := c.Repositories.ListCommits(ctx, "o", "r", &github.CommitsListOptions{SHA: "nope"}); status(err) != http.StatusNotFound {
		t.Errorf("unknown sha: %v", err)
	}
}
