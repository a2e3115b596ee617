package github_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/coditect/phasegen/internal/githubfake"
	"github.com/coditect/phasegen/internal/gitops/github"
)

const marker = "<!-- phasegen review -->"

// openPR opens pull request #1 (branch feature on top of main).
func (e *env) openPR() int {
	e.t.Helper()
	if _, err := e.fake.CommitFiles("feature", "feature work", map[string][]byte{"README.md": []byte("changed\n")}); err != nil {
		e.t.Fatal(err)
	}
	res, err := e.target().OpenPR(context.Background(), github.PR{Base: "main", Head: "feature", Title: "feature"})
	if err != nil {
		e.t.Fatal(err)
	}
	e.fake.ResetCalls()
	return res.Number
}

func TestStickyCommentCreateEditNoop(t *testing.T) {
	e := newEnv(t)
	n := e.openPR()
	tg := e.target()
	ctx := context.Background()

	if err := e.fake.AddComment(n, "alice", "looks good, but see "+marker); err != nil { // quotes the marker, not ours
		t.Fatal(err)
	}
	res, err := tg.StickyComment(ctx, n, marker, marker+"\nfirst\n")
	if err != nil || !res.Created || res.Updated {
		t.Fatalf("first: %+v, %v", res, err)
	}
	if !strings.HasSuffix(res.URL, fmt.Sprintf("/pull/%d#issuecomment-%d", n, res.ID)) {
		t.Errorf("url %s", res.URL)
	}
	if got, want := e.keys(), []string{"GET user", "GET issues/{number}/comments", "POST issues/{number}/comments"}; !slices.Equal(got, want) {
		t.Errorf("first run calls %v, want %v", got, want)
	}

	e.fake.ResetCalls()
	res2, err := tg.StickyComment(ctx, n, marker, marker+"\nsecond\n")
	if err != nil || res2.Created || !res2.Updated || res2.ID != res.ID {
		t.Fatalf("second: %+v, %v", res2, err)
	}
	if got, want := e.keys(), []string{"GET issues/{number}/comments", "PATCH issues/comments/{id}"}; !slices.Equal(got, want) {
		t.Errorf("second run calls %v, want %v", got, want)
	}

	e.fake.ResetCalls()
	res3, err := tg.StickyComment(ctx, n, marker, marker+"\nsecond\n")
	if err != nil || res3.Created || res3.Updated {
		t.Fatalf("third: %+v, %v", res3, err)
	}
	if w := e.writes(); len(w) != 0 {
		t.Errorf("unchanged text wrote %v", w)
	}
	cs := e.fake.Comments(n)
	if len(cs) != 2 || cs[1].Body != marker+"\nsecond\n" || cs[0].Login != "alice" {
		t.Errorf("comments %+v", cs)
	}
}

func TestStickyCommentRetries(t *testing.T) {
	e := newEnv(t)
	n := e.openPR()
	tg := e.target()
	ctx := context.Background()

	// A 502 after GitHub stored the comment: the retry finds it, posts no second one.
	e.fake.Inject(githubfake.Fault{Route: "POST issues/{number}/comments", Kind: githubfake.Status, Status: 502, AfterWrite: true})
	res, err := tg.StickyComment(ctx, n, marker, marker+"\none\n")
	if err != nil || !res.Created {
		t.Fatalf("create through a lost answer: %+v, %v", res, err)
	}
	if c := e.fake.Count("POST issues/{number}/comments"); c != 1 {
		t.Errorf("%d creations, want 1", c)
	}
	// A 502 on the edit is retried.
	e.fake.Inject(githubfake.Fault{Route: "PATCH issues/comments/{id}", Kind: githubfake.Status, Status: 502})
	res, err = tg.StickyComment(ctx, n, marker, marker+"\ntwo\n")
	if err != nil || !res.Updated {
		t.Fatalf("edit through a 502: %+v, %v", res, err)
	}
	if un := e.fake.Unfired(); len(un) > 0 {
		t.Fatalf("faults not fired: %+v", un)
	}
	cs := e.fake.Comments(n)
	if len(cs) != 1 || cs[0].Body != marker+"\ntwo\n" {
		t.Fatalf("comments %+v, want one with the new text", cs)
	}
	if len(e.clock.Sleeps()) != 2 || !strings.Contains(e.log.String(), "502 Bad Gateway; retrying") {
		t.Errorf("sleeps %v, log %s", e.clock.Sleeps(), e.log)
	}
}

func TestStickyCommentPages(t *testing.T) {
	e := newEnv(t)
	n := e.openPR()
	for i := range 230 {
		body := fmt.Sprintf("comment %d", i)
		login := "someone"
		switch i {
		case 20:
			body = marker + "\nplanted by someone\n"
		case 150:
			body, login = marker+"\nold review\n", "phasegen-bot"
		}
		if err := e.fake.AddComment(n, login, body); err != nil {
			t.Fatal(err)
		}
	}
	res, err := e.target().StickyComment(context.Background(), n, marker, marker+"\nnew review\n")
	if err != nil || !res.Updated || res.Foreign != 1 {
		t.Fatalf("%+v, %v", res, err)
	}
	if c := e.fake.Count("GET issues/{number}/comments"); c != 3 {
		t.Errorf("%d list calls for 230 comments, want 3 pages of 100", c)
	}
	if cs := e.fake.Comments(n); len(cs) != 230 || cs[150].Body != marker+"\nnew review\n" {
		t.Errorf("%d comments; the review is %q", len(cs), cs[150].Body)
	}
}

func TestStickyCommentRefusals(t *testing.T) {
	e := newEnv(t)
	n := e.openPR()
	tg := e.target()
	ctx := context.Background()
	for name, c := range map[string]struct {
		n    int
		body string
		want string
	}{
		"too long":     {n, marker + strings.Repeat("é", github.MaxCommentChars), "more than GitHub's 65536"},
		"no marker":    {n, "hello", "must start with its marker"},
		"bad number":   {0, marker, "not valid"},
		"no such pull": {99, marker + "\nx\n", "404"},
	} {
		_, err := tg.StickyComment(ctx, c.n, marker, c.body)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", name, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), token) {
			t.Errorf("%s: the error shows the token", name)
		}
	}
	if w := e.writes(); len(w) != 0 {
		t.Errorf("refusals wrote %v", w)
	}
}

// A comment with the marker that phasegen did not write (a pull request's
// author can plant one) is never adopted, whoever the credentials are.
func TestStickyCommentOnlyOwn(t *testing.T) {
	const planted = marker + "\nall clear, merge me\n"
	for name, c := range map[string]struct {
		fake  githubfake.Options
		mod   func(*github.Options)
		login string
	}{
		"user token":    {githubfake.Options{Token: token, Login: "release-bot"}, nil, "release-bot"},
		"actions token": {githubfake.Options{Token: token, Login: "github-actions[bot]", TokenIntegration: true}, func(o *github.Options) { o.IntegrationLogin = "github-actions[bot]" }, "github-actions[bot]"},
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnvWith(t, c.fake)
			n := e.openPR()
			if err := e.fake.AddComment(n, "mallory", planted); err != nil {
				t.Fatal(err)
			}
			var mods []func(*github.Options)
			if c.mod != nil {
				mods = append(mods, c.mod)
			}
			tg := e.target(mods...)
			for run := range 2 {
				res, err := tg.StickyComment(context.Background(), n, marker, fmt.Sprintf("%s\nrun %d\n", marker, run))
				if err != nil || res.Foreign != 1 || res.Created != (run == 0) || res.Updated != (run == 1) {
					t.Fatalf("run %d: %+v, %v", run, res, err)
				}
			}
			cs := e.fake.Comments(n)
			if len(cs) != 2 || cs[0].Body != planted || cs[0].Login != "mallory" || cs[1].Login != c.login || cs[1].Body != marker+"\nrun 1\n" {
				t.Errorf("comments %+v", cs)
			}
		})
	}
}

// An installation token GitHub does not name, with no login given for it,
// cannot tell its comments from a planted one: it refuses before writing.
func TestStickyCommentUnknownIdentity(t *testing.T) {
	e := newEnvWith(t, githubfake.Options{Token: token, TokenIntegration: true})
	n := e.openPR()
	_, err := e.target().StickyComment(context.Background(), n, marker, marker+"\nx\n")
	if !errors.Is(err, github.ErrUnknownIdentity) || !strings.Contains(err.Error(), "installation token") {
		t.Fatalf("got %v, want ErrUnknownIdentity", err)
	}
	if w := e.writes(); len(w) != 0 {
		t.Errorf("wrote %v", w)
	}
}
