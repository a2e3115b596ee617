package github_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/coditect/phasegen/internal/githubfake"
	"github.com/coditect/phasegen/internal/gitops"
	"github.com/coditect/phasegen/internal/gitops/github"
)

const appID, installationID = 4242, 777

// appEnv is a fake GitHub that knows one App (key appKey) installed on the
// repository with contents and pull requests write, tokens lasting an hour.
func appEnv(t *testing.T, mod func(*githubfake.App)) (*env, *rsa.PrivateKey) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	app := &githubfake.App{ID: appID, Key: &key.PublicKey, InstallationID: installationID,
		Permissions: map[string]string{"contents": "write", "pull_requests": "write"}, TokenLife: time.Hour}
	if mod != nil {
		mod(app)
	}
	return newEnvWith(t, githubfake.Options{App: app}), key
}

func asApp(key *rsa.PrivateKey, perms map[string]string) func(*github.Options) {
	return func(o *github.Options) {
		o.Token = ""
		o.App = &github.App{ID: appID, Key: key, Permissions: perms}
	}
}

var writePerms = map[string]string{"contents": "write", "pull_requests": "write"}

// A promotion as an App: one commit and one pull request, with the token
// path's calls plus two (the installation lookup and the token).
func TestPromoteAsApp(t *testing.T) {
	tokenEnv := newEnv(t)
	if err := promote(t, tokenEnv.target()); err != nil {
		t.Fatal(err)
	}
	e, key := appEnv(t, nil)
	if err := promote(t, e.target(asApp(key, writePerms))); err != nil {
		t.Fatal(err)
	}
	want := append([]string{"GET installation", "POST app/installations/{id}/access_tokens"}, tokenEnv.keys()...)
	if got := e.keys(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("calls:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if prs := e.fake.PullRequests(); len(prs) != 1 {
		t.Fatalf("%d pull requests, want 1", len(prs))
	}
	if n := e.fake.Count("POST git/commits"); n != 1 {
		t.Errorf("%d commits, want 1", n)
	}
}

// A token nearing its end is bought again before a call: once per life.
func TestAppTokenRenewed(t *testing.T) {
	e, key := appEnv(t, nil)
	tg := e.target(asApp(key, map[string]string{"contents": "read"}))
	ctx := context.Background()
	for _, after := range []time.Duration{0, 30 * time.Minute, 26 * time.Minute, time.Minute} {
		_ = e.clock.Sleep(ctx, after)
		if _, err := tg.ReadFile(ctx, "main", "README.md"); err != nil {
			t.Fatalf("read after %s: %v", after, err)
		}
	}
	// 0 and 30m on the first token; at 56m it has less than 5m left: one
	// renewal, which serves 57m too.
	if n := e.fake.Count("POST app/installations/{id}/access_tokens"); n != 2 {
		t.Errorf("%d tokens bought, want 2 (one renewal)", n)
	}
	if n := e.fake.Count("GET installation"); n != 1 {
		t.Errorf("%d installation lookups, want 1 (a renewal reuses it)", n)
	}
}

// Each App failure is its own error, saying what to fix, and shows no JWT
// or token.
func TestAppRefusals(t *testing.T) {
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		fake  func(*githubfake.App)
		opts  func(e *env, key *rsa.PrivateKey) func(*github.Options)
		want  error
		words string
	}{
		{"wrong key", nil, func(e *env, _ *rsa.PrivateKey) func(*github.Options) { return asApp(other, writePerms) }, github.ErrAppRefused, "the App ID or the private key is wrong"},
		{"wrong App ID", nil, func(e *env, key *rsa.PrivateKey) func(*github.Options) {
			return func(o *github.Options) { asApp(key, writePerms)(o); o.App.ID = 1 }
		}, github.ErrAppRefused, "Integration not found"},
		{"not installed", func(a *githubfake.App) { a.InstallationID = 0 }, func(e *env, key *rsa.PrivateKey) func(*github.Options) { return asApp(key, writePerms) },
			github.ErrAppNotInstalled, "install it there"},
		{"permission", func(a *githubfake.App) { a.Permissions = map[string]string{"contents": "read"} }, func(e *env, key *rsa.PrivateKey) func(*github.Options) { return asApp(key, writePerms) },
			github.ErrAppPermission, "lacks a permission the command needs"},
		{"clock skew", nil, func(e *env, key *rsa.PrivateKey) func(*github.Options) {
			return func(o *github.Options) {
				asApp(key, writePerms)(o)
				o.Now = func() time.Time { return e.clock.Now().Add(-time.Hour) }
			}
		}, github.ErrAppClock, "this machine's clock is off"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, key := appEnv(t, c.fake)
			_, err := e.target(c.opts(e, key)).ReadFile(context.Background(), "main", "README.md")
			if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.words) {
				t.Fatalf("err = %v, want %v saying %q", err, c.want, c.words)
			}
			if errors.Is(err, gitops.ErrNotFound) {
				t.Error("an App failure reads as a missing file")
			}
			if strings.Contains(err.Error(), "eyJ") || strings.Contains(err.Error(), "ghs_") {
				t.Errorf("the error shows a JWT or token: %v", err)
			}
		})
	}
}

// What GitHub sells is checked: an empty token is never sent as a bearer,
// one already expired by this machine's clock says so once instead of
// buying again before every call, and a 401 on the App path blames the
// App's token, not variables that are not set.
func TestAppTokenChecks(t *testing.T) {
	ctx := context.Background()
	for name, c := range map[string]struct {
		fake   func(*githubfake.App)
		inject bool
		want   string
		is     error
	}{
		"empty token":   {func(a *githubfake.App) { a.EmptyToken = true }, false, "empty installation token", nil},
		"expired token": {func(a *githubfake.App) { a.Expired = true }, false, "this machine's clock", github.ErrAppClock},
		"401":           {nil, true, "the App's installation token was refused", github.ErrAuth},
	} {
		t.Run(name, func(t *testing.T) {
			e, key := appEnv(t, c.fake)
			if c.inject {
				for nth := range 2 {
					e.fake.Inject(githubfake.Fault{Route: "GET contents/{path...}", Nth: nth + 1, Kind: githubfake.Status, Status: 401})
				}
			}
			tg := e.target(asApp(key, map[string]string{"contents": "read"}))
			for range 2 {
				_, err := tg.ReadFile(ctx, "main", "README.md")
				if err == nil || !strings.Contains(err.Error(), c.want) || (c.is != nil && !errors.Is(err, c.is)) {
					t.Fatalf("err = %v, want one saying %q", err, c.want)
				}
				if strings.Contains(err.Error(), "GITHUB_TOKEN") || strings.Contains(err.Error(), "GH_TOKEN") {
					t.Errorf("an App failure blames the token variables: %v", err)
				}
			}
			for _, call := range e.fake.Calls() {
				if h := call.Header.Get("Authorization"); strings.TrimSpace(h) == "Bearer" || strings.TrimSpace(h) == "token" {
					t.Errorf("%s sent an empty bearer", call.Key())
				}
			}
			if n, max := e.fake.Count("POST app/installations/{id}/access_tokens"), 2; n > max {
				t.Errorf("%d tokens bought for two reads", n)
			}
		})
	}
}

// A short-lived token is renewed at half its life, not before every call.
func TestAppShortTokenNoRebuyLoop(t *testing.T) {
	e, key := appEnv(t, func(a *githubfake.App) { a.TokenLife = 4 * time.Minute })
	tg := e.target(asApp(key, map[string]string{"contents": "read"}))
	ctx := context.Background()
	for range 5 {
		if _, err := tg.ReadFile(ctx, "main", "README.md"); err != nil {
			t.Fatal(err)
		}
		_ = e.clock.Sleep(ctx, 30*time.Second)
	}
	// 0s..2m on the first token (renewed at 2m of its 4m): 2 bought.
	if n := e.fake.Count("POST app/installations/{id}/access_tokens"); n != 2 {
		t.Errorf("%d tokens bought for 5 calls over 2.5 min, want 2", n)
	}
}

// The App's comments are its bot's: a planted marker comment is left alone
// and the App's own is found again.
func TestAppStickyComment(t *testing.T) {
	e, key := appEnv(t, func(a *githubfake.App) { a.Slug = "phasegen-review" })
	if _, err := e.fake.CommitFiles("feature", "feature work", map[string][]byte{"README.md": []byte("changed\n")}); err != nil {
		t.Fatal(err)
	}
	pr, err := e.target(asApp(key, writePerms)).OpenPR(context.Background(), github.PR{Base: "main", Head: "feature", Title: "feature"})
	if err != nil {
		t.Fatal(err)
	}
	n := pr.Number
	if err := e.fake.AddComment(n, "phasegen-review", marker+"\nplanted by a user named like the App\n"); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for run := range 2 {
		tg := e.target(asApp(key, writePerms))
		res, err := tg.StickyComment(ctx, n, marker, marker+"\nreview\n"+strings.Repeat("!", run))
		if err != nil || res.Foreign != 1 || res.Created != (run == 0) {
			t.Fatalf("run %d: %+v, %v", run, res, err)
		}
	}
	cs := e.fake.Comments(n)
	if len(cs) != 2 || cs[1].Login != "phasegen-review[bot]" || cs[1].Body != marker+"\nreview\n!" {
		t.Errorf("comments %+v", cs)
	}
}
