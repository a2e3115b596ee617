package promote_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/coditect/phasegen/internal/base"
	"github.com/coditect/phasegen/internal/fileset"
	"github.com/coditect/phasegen/internal/githubfake"
	"github.com/coditect/phasegen/internal/gitops/github"
	"github.com/coditect/phasegen/internal/promote"
)

const token = "ghp_s3cr3tT0kenValue"

type ghEnv struct {
	fake  *githubfake.Server
	url   string
	slept []time.Duration
}

// newGitHub serves a fake GitHub whose main holds README.md and, unless
// empty, production at pre-launch rendered with b.
func newGitHub(t *testing.T, f fixture, b *base.Base, empty bool) *ghEnv {
	t.Helper()
	fake, err := githubfake.New(githubfake.Options{Owner: "coditect", Repo: "argocd-apps", Token: token, Now: func() time.Time { return fixedNow }})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	files := map[string][]byte{"README.md": []byte("# Argo CD apps\n")}
	if !empty {
		for p, data := range f.tree(t, b, "production", "pre-launch").Prefix(root) {
			files[p] = data
		}
	}
	if _, err := fake.Seed(files); err != nil {
		t.Fatal(err)
	}
	return &ghEnv{fake: fake, url: srv.URL + "/"}
}

func (g *ghEnv) target(t *testing.T, tok string) *github.Repo {
	t.Helper()
	tg, err := github.New(github.Options{
		BaseURL: g.url, Token: tok, Owner: "coditect", Repo: "argocd-apps",
		Sleep: func(ctx context.Context, d time.Duration) error {
			g.slept = append(g.slept, d)
			return ctx.Err()
		},
		Now: func() time.Time { return fixedNow }, MaxWait: 2 * time.Minute,
		Rand: func() float64 { return 0.5 },
	})
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

func (f fixture) ghOpts(tg *github.Repo, to string) promote.Options {
	o := f.opts(tg, to)
	o.PR = tg
	o.Labels = []string{"team/platform"}
	o.Reviewers = []string{"octocat"}
	return o
}

// calls summarises the fake's call log as "KEY×N" sorted.
func calls(fake *githubfake.Server) (int, string) {
	n := map[string]int{}
	all := fake.Calls()
	for _, c := range all {
		n[c.Key()]++
	}
	var out []string
	for k, v := range n {
		out = append(out, fmt.Sprintf("%s×%d", k, v))
	}
	sort.Strings(out)
	return len(all), strings.Join(out, ", ")
}

func TestPromoteGitHub(t *testing.T) {
	f := shipped(t)
	g := newGitHub(t, f, f.b, false)
	out, err := promote.Promote(ctx, f.ghOpts(g.target(t, token), "beta"))
	if err != nil {
		t.Fatal(err)
	}
	prs := g.fake.PullRequests()
	if len(prs) != 1 {
		t.Fatalf("%d pull requests", len(prs))
	}
	pr := prs[0]
	if pr.Title != "coditect/production: pre-launch → beta" || pr.Head != "phasegen/coditect/production" || pr.Base != "main" || pr.State != "open" {
		t.Errorf("pull request %+v", pr)
	}
	if pr.Body != out.Body {
		t.Errorf("PR body differs from the composed one")
	}
	mustContain(t, "PR body", pr.Body, "| Replicas | 10 | 10 |", "- [ ] Onboard 10-15 users", "_No change in the built manifests._", "<details>")
	if got := strings.Join(pr.Labels, ","); got != "phasegen,phase/beta,team/platform" {
		t.Errorf("labels %s", got)
	}
	if got := strings.Join(pr.Reviewers, ","); got != "octocat" {
		t.Errorf("reviewers %s", got)
	}
	if out.PR == nil || !out.PR.Created || out.PR.Number != pr.Number || out.PR.URL == "" {
		t.Errorf("outcome PR %+v", out.PR)
	}
	files, err := g.fake.Files("phasegen/coditect/production")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fileset.Set(files).Under(root), f.tree(t, f.b, "production", "beta"); !fileset.Equal(got, want) {
		t.Errorf("files under %s differ from the render", root)
	}
	if n := commitsOnBranch(t, g.fake); n != 1 {
		t.Errorf("%d commits on phasegen/coditect/production, want 1", n)
	}
	if strings.Contains(pr.Body, token) {
		t.Errorf("the token is in the body")
	}

	// A rerun writes nothing and edits nothing.
	g.fake.ResetCalls()
	again, err := promote.Promote(ctx, f.ghOpts(g.target(t, token), "beta"))
	if err != nil {
		t.Fatal(err)
	}
	if w := g.fake.Writes(); len(w) != 0 {
		t.Errorf("rerun wrote: %v", w)
	}
	if again.PR == nil || again.PR.Created || again.PR.Updated || len(g.fake.PullRequests()) != 1 {
		t.Errorf("rerun PR %+v", again.PR)
	}
}

func TestPromoteGitHubSurvivesFaults(t *testing.T) {
	f := shipped(t)
	g := newGitHub(t, f, f.b, false)
	g.fake.Inject(githubfake.Fault{Route: "POST git/commits", Kind: githubfake.Status, Status: 502})
	g.fake.Inject(githubfake.Fault{Route: "POST pulls", Kind: githubfake.SecondaryRateLimit, RetryAfter: 30 * time.Second})
	if _, err := promote.Promote(ctx, f.ghOpts(g.target(t, token), "beta")); err != nil {
		t.Fatal(err)
	}
	if un := g.fake.Unfired(); len(un) != 0 {
		t.Fatalf("faults not exercised: %+v", un)
	}
	if n := len(g.fake.PullRequests()); n != 1 {
		t.Errorf("%d pull requests, want 1", n)
	}
	if n := commitsOnBranch(t, g.fake); n != 1 {
		t.Errorf("%d commits, want 1", n)
	}
	if !sleptAtLeast(g.slept, 30*time.Second) {
		t.Errorf("Retry-After not honoured: slept %v", g.slept)
	}

	// The same faults after the write (the answer lost) end the same way.
	g2 := newGitHub(t, f, f.b, false)
	g2.fake.Inject(githubfake.Fault{Route: "POST git/commits", Kind: githubfake.Status, Status: 502, AfterWrite: true})
	g2.fake.Inject(githubfake.Fault{Route: "POST pulls", Kind: githubfake.SecondaryRateLimit, AfterWrite: true})
	if _, err := promote.Promote(ctx, f.ghOpts(g2.target(t, token), "beta")); err != nil {
		t.Fatal(err)
	}
	if n := len(g2.fake.PullRequests()); n != 1 {
		t.Errorf("after-write faults: %d pull requests, want 1", n)
	}
	if n := commitsOnBranch(t, g2.fake); n != 1 {
		t.Errorf("after-write faults: %d commits, want 1", n)
	}
}

func sleptAtLeast(ds []time.Duration, d time.Duration) bool {
	for _, x := range ds {
		if x >= d {
			return true
		}
	}
	return false
}

// commitsOnBranch counts the commits phasegen/coditect/production has on top of main.
func commitsOnBranch(t *testing.T, fake *githubfake.Server) int {
	t.Helper()
	mainTip, _ := fake.Branch("main")
	log, err := fake.Log("phasegen/coditect/production", mainTip)
	if err != nil {
		t.Fatal(err)
	}
	return len(log)
}

func TestPromoteGitHubBadToken(t *testing.T) {
	f := shipped(t)
	g := newGitHub(t, f, f.b, false)
	bad := "ghp_wrongWrongWrong"
	_, err := promote.Promote(ctx, f.ghOpts(g.target(t, bad), "beta"))
	if !errors.Is(err, github.ErrAuth) {
		t.Fatalf("want an authentication error, got %v", err)
	}
	if strings.Contains(err.Error(), bad) {
		t.Errorf("the error shows the token: %v", err)
	}
	if len(g.fake.Writes()) != 0 {
		t.Errorf("wrote with a bad token")
	}
}

// The API calls of a promotion are pinned, and do not grow with the number
// of files: a base with 40 more files costs the same.
func TestPromoteGitHubCallCount(t *testing.T) {
	f := shipped(t)
	more := f.withBaseFiles(t, func(files map[string][]byte) {
		for i := 0; i < 40; i++ {
			files[fmt.Sprintf("docs/note-%02d.md", i)] = []byte(fmt.Sprintf("note %d\n", i))
		}
	})
	const (
		// The listing of the whole branch (its ref, its recursive tree),
		// which tells what the environment's tree holds without reading it
		// (its files are as local, so none is read); 3 contents reads: the
		// owner record, kustomization.yaml, the Application (whose
		// namespace and name the move gate compares); the soak: one commits
		// list, one contents read per listed revision (here one: main got
		// production's tree in one commit) and the pull requests of the
		// commit that brought the phase; Write: base ref, base tree, head
		// ref (404), tree, commit, ref creation; OpenPR: list, create,
		// labels, reviewers.
		wantFirst = "GET commits/{sha}/pulls×1, GET commits×1, GET contents/{path...}×4, GET git/ref/heads/{branch...}×3, GET git/trees/{sha}×2, GET pulls×1, " +
			"POST git/commits×1, POST git/refs×1, POST git/trees×1, POST issues/{number}/labels×1, POST pulls/{number}/requested_reviewers×1, POST pulls×1"
		wantFirstN = 18
		// Rerun: the listing's 2, 3 reads, the soak's 3, base ref, base
		// tree, head ref, head commit, PR list.
		wantRerun  = "GET commits/{sha}/pulls×1, GET commits×1, GET contents/{path...}×4, GET git/commits/{sha}×1, GET git/ref/heads/{branch...}×3, GET git/trees/{sha}×2, GET pulls×1"
		wantRerunN = 13
	)
	for _, tc := range []struct {
		name string
		b    *base.Base
	}{{"shipped base", f.b}, {"40 more files", more}} {
		t.Run(tc.name, func(t *testing.T) {
			g := newGitHub(t, f, tc.b, false)
			o := f.ghOpts(g.target(t, token), "beta")
			o.Base = tc.b
			if _, err := promote.Promote(ctx, o); err != nil {
				t.Fatal(err)
			}
			if n, got := calls(g.fake); n != wantFirstN || got != wantFirst {
				t.Errorf("first run: %d calls: %s\nwant %d: %s", n, got, wantFirstN, wantFirst)
			}
			g.fake.ResetCalls()
			if _, err := promote.Promote(ctx, o); err != nil {
				t.Fatal(err)
			}
			if n, got := calls(g.fake); n != wantRerunN || got != wantRerun {
				t.Errorf("rerun: %d calls: %s\nwant %d: %s", n, got, wantRerunN, wantRerun)
			}
		})
	}
}
