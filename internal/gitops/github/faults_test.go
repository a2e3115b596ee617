package github_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coditect/phasegen/internal/githubfake"
	"github.com/coditect/phasegen/internal/gitops"
	"github.com/coditect/phasegen/internal/gitops/github"
	"github.com/coditect/phasegen/internal/httpbody"
)

// promote runs one Write and one OpenPR, as the CLI does.
func promote(t *testing.T, tg *github.Repo) error {
	t.Helper()
	ctx := context.Background()
	if _, err := tg.Write(ctx, change(rendered(3, "beta"))); err != nil {
		return err
	}
	_, err := tg.OpenPR(ctx, pr())
	return err
}

// assertOnePROneCommit checks the end state every fault scenario must reach.
func (e *env) assertOnePROneCommit() {
	e.t.Helper()
	prs := e.fake.PullRequests()
	if len(prs) != 1 || prs[0].State != "open" || strings.Join(prs[0].Labels, ",") != "phasegen,phase/beta" {
		e.t.Fatalf("want exactly one open, labelled PR, got %+v", prs)
	}
	ahead := e.commitsAhead("phasegen/production")
	if len(ahead) != 1 {
		e.t.Fatalf("want exactly one commit on the head branch, got %d", len(ahead))
	}
	if got := e.branchFiles("phasegen/production"); !sameMap(got, wantTree(rendered(3, "beta"))) {
		e.t.Fatalf("head tree wrong")
	}
	if f := e.fake.Unfired(); len(f) != 0 {
		e.t.Fatalf("faults never fired: %+v", f)
	}
}

func TestRetriesBadGatewayAndSecondaryRateLimit(t *testing.T) {
	for _, after := range []bool{false, true} {
		t.Run(map[bool]string{false: "before write", true: "after write"}[after], func(t *testing.T) {
			e := newEnv(t)
			e.fake.Inject(githubfake.Fault{Route: "POST git/commits", Kind: githubfake.Status, Status: 502, AfterWrite: after})
			e.fake.Inject(githubfake.Fault{Route: "POST pulls", Kind: githubfake.SecondaryRateLimit, RetryAfter: 30 * time.Second, AfterWrite: after})
			if err := promote(t, e.target()); err != nil {
				t.Fatal(err)
			}
			e.assertOnePROneCommit()
			if n := e.fake.Count("POST git/commits"); n != 2 {
				t.Fatalf("%d commit creations, want 2", n)
			}
			// Retry-After honoured (plus under a second of jitter), through the injected sleep.
			var honoured bool
			for _, d := range e.clock.Sleeps() {
				if d >= 30*time.Second && d < 31*time.Second {
					honoured = true
				}
			}
			if !honoured {
				t.Fatalf("sleeps %v do not honour Retry-After 30s", e.clock.Sleeps())
			}
			if log := e.log.String(); !strings.Contains(log, "creating commit: 502") || !strings.Contains(log, "secondary rate limit") {
				t.Fatalf("log:\n%s", log)
			}
		})
	}
}

func TestTooManyRequestsAndDroppedReads(t *testing.T) {
	e := newEnv(t)
	e.fake.Inject(githubfake.Fault{Route: "GET git/trees/{sha}", Kind: githubfake.Drop})
	e.fake.Inject(githubfake.Fault{Route: "POST git/trees", Kind: githubfake.TooManyRequests, RetryAfter: 7 * time.Second})
	e.fake.Inject(githubfake.Fault{Route: "POST issues/{number}/labels", Kind: githubfake.Status, Status: 500})
	if err := promote(t, e.target()); err != nil {
		t.Fatal(err)
	}
	e.assertOnePROneCommit()
	var seven bool
	for _, d := range e.clock.Sleeps() {
		seven = seven || (d >= 7*time.Second && d < 8*time.Second)
	}
	if !seven {
		t.Fatalf("sleeps %v do not honour the 429's Retry-After", e.clock.Sleeps())
	}
}

func TestDroppedConnectionAfterRefCreation(t *testing.T) {
	t.Run("retried in the same run", func(t *testing.T) {
		e := newEnv(t)
		e.fake.Inject(githubfake.Fault{Route: "POST git/refs", Kind: githubfake.Drop, AfterWrite: true})
		if err := promote(t, e.target()); err != nil {
			t.Fatal(err)
		}
		e.assertOnePROneCommit()
		// The retried creation met "Reference already exists" and updated instead.
		if e.fake.Count("POST git/refs") != 2 || e.fake.Count("PATCH git/refs/heads/{branch...}") != 1 {
			t.Fatalf("calls: %v", e.keys())
		}
	})
	t.Run("completed by a rerun", func(t *testing.T) {
		e := newEnv(t)
		e.fake.Inject(githubfake.Fault{Route: "POST git/refs", Kind: githubfake.Drop, AfterWrite: true})
		once := e.target(func(o *github.Options) { o.MaxAttempts = 1 })
		if err := promote(t, once); err == nil {
			t.Fatal("a dropped connection with no retries left did not fail")
		}
		if len(e.fake.PullRequests()) != 0 {
			t.Fatal("PR opened after a failed write")
		}
		e.fake.ResetCalls()
		tg := e.target()
		res, err := tg.Write(context.Background(), change(rendered(3, "beta")))
		if err != nil || res.Changed {
			t.Fatalf("rerun write: %+v %v", res, err)
		}
		if w := e.writes(); len(w) != 0 {
			t.Fatalf("rerun rewrote the branch: %v", w)
		}
		if _, err := tg.OpenPR(context.Background(), pr()); err != nil {
			t.Fatal(err)
		}
		e.assertOnePROneCommit()
	})
	t.Run("lost PR creation completed by a rerun", func(t *testing.T) {
		e := newEnv(t)
		e.fake.Inject(githubfake.Fault{Route: "POST pulls", Kind: githubfake.Drop, AfterWrite: true})
		once := e.target(func(o *github.Options) { o.MaxAttempts = 1 })
		if err := promote(t, once); err == nil {
			t.Fatal("no error")
		}
		if err := promote(t, e.target()); err != nil {
			t.Fatal(err)
		}
		e.assertOnePROneCommit()
	})
	t.Run("lost PR creation retried: already exists", func(t *testing.T) {
		e := newEnv(t)
		e.fake.Inject(githubfake.Fault{Route: "POST pulls", Kind: githubfake.Drop, AfterWrite: true})
		if err := promote(t, e.target()); err != nil {
			t.Fatal(err)
		}
		e.assertOnePROneCommit()
		if n := e.fake.Count("POST pulls"); n != 2 {
			t.Fatalf("%d PR creations", n)
		}
	})
}

func TestGivesUpAfterMaxAttempts(t *testing.T) {
	e := newEnv(t)
	for i := 0; i < 3; i++ {
		e.fake.Inject(githubfake.Fault{Route: "POST git/trees", Nth: 1, Kind: githubfake.Status, Status: 503})
	}
	tg := e.target(func(o *github.Options) { o.MaxAttempts = 3 })
	_, err := tg.Write(context.Background(), change(rendered(3, "beta")))
	if err == nil || !strings.Contains(err.Error(), "creating tree: giving up after 3 attempts") {
		t.Fatalf("error: %v", err)
	}
	sl := e.clock.Sleeps()
	if len(sl) != 2 || sl[1] <= sl[0] {
		t.Fatalf("backoff sleeps %v: want 2 growing waits", sl)
	}
	if _, ok := e.fake.Branch("phasegen/production"); ok {
		t.Fatal("branch created although the tree never was")
	}
}

func TestPrimaryRateLimit(t *testing.T) {
	t.Run("within max wait", func(t *testing.T) {
		e := newEnv(t)
		reset := e.clock.Now().Add(90 * time.Second)
		e.fake.Inject(githubfake.Fault{Route: "POST git/commits", Kind: githubfake.PrimaryRateLimit, Reset: reset})
		if err := promote(t, e.target()); err != nil {
			t.Fatal(err)
		}
		e.assertOnePROneCommit()
		if now := e.clock.Now(); now.Before(reset) {
			t.Fatalf("retried at %v, before the reset %v", now, reset)
		}
	})
	t.Run("over max wait", func(t *testing.T) {
		e := newEnv(t)
		reset := e.clock.Now().Add(10 * time.Minute)
		e.fake.Inject(githubfake.Fault{Route: "POST git/commits", Kind: githubfake.PrimaryRateLimit, Reset: reset})
		_, err := e.target().Write(context.Background(), change(rendered(3, "beta")))
		if !errors.Is(err, github.ErrRateLimited) || !strings.Contains(err.Error(), reset.UTC().Format(time.RFC3339)) ||
			!strings.Contains(err.Error(), "403 API rate limit exceeded") || strings.Contains(err.Error(), "was reset") {
			t.Fatalf("error %v: want ErrRateLimited naming the reset %s", err, reset.UTC().Format(time.RFC3339))
		}
		if len(e.clock.Sleeps()) != 0 {
			t.Fatalf("slept %v", e.clock.Sleeps())
		}
	})
	t.Run("zero max wait never waits", func(t *testing.T) {
		e := newEnv(t)
		e.fake.Inject(githubfake.Fault{Route: "GET git/ref/heads/{branch...}", Kind: githubfake.PrimaryRateLimit, Reset: e.clock.Now().Add(5 * time.Second)})
		_, err := e.target(func(o *github.Options) { o.MaxWait = 0 }).Write(context.Background(), change(rendered(3, "beta")))
		if !errors.Is(err, github.ErrRateLimited) {
			t.Fatalf("error %v", err)
		}
	})
}

func TestBadTokenNamesAuthenticationNotToken(t *testing.T) {
	e := newEnv(t)
	const wrong = "ghp_WrongButSecretTokenValue987654321"
	tg := e.target(func(o *github.Options) { o.Token = wrong })
	ctx := context.Background()
	_, werr := tg.Write(ctx, change(rendered(3, "beta")))
	_, rerr := tg.ReadFile(ctx, "main", "README.md")
	_, perr := tg.OpenPR(ctx, pr())
	for _, err := range []error{werr, rerr, perr} {
		if !errors.Is(err, github.ErrAuth) || !strings.Contains(err.Error(), "authentication failed") {
			t.Fatalf("error %v: want one naming authentication", err)
		}
		if strings.Contains(err.Error(), wrong) {
			t.Fatalf("error shows the token: %v", err)
		}
	}
	if len(e.clock.Sleeps()) != 0 {
		t.Fatalf("a 401 was retried: %v", e.clock.Sleeps())
	}
	notoken := e.target(func(o *github.Options) { o.Token = "" })
	if _, err := notoken.ReadFile(ctx, "main", "README.md"); !errors.Is(err, github.ErrAuth) {
		t.Fatalf("missing token: %v", err)
	}
}

func TestTokenNeverAppears(t *testing.T) {
	e := newEnv(t)
	e.fake.Inject(githubfake.Fault{Route: "POST git/commits", Kind: githubfake.Status, Status: 502})
	tg := e.target()
	if err := promote(t, tg); err != nil {
		t.Fatal(err)
	}
	// An error whose raw text holds the token (a branch named like it) is redacted.
	_, err := tg.ReadFile(context.Background(), token, "README.md")
	if err == nil || !errors.Is(err, gitops.ErrNoBranch) {
		t.Fatalf("error %v", err)
	}
	if strings.Contains(err.Error(), token) || !strings.Contains(err.Error(), "[REDACTED]") {
		t.Fatalf("token not redacted: %v", err)
	}
	c := change(rendered(3, "beta"))
	c.Base = token
	if _, err := tg.Write(context.Background(), c); err == nil || strings.Contains(err.Error(), token) {
		t.Fatalf("write error: %v", err)
	}
	if strings.Contains(e.log.String(), token) || e.log.String() == "" {
		t.Fatalf("log shows the token or is empty:\n%s", e.log.String())
	}
	for _, call := range e.fake.Calls() {
		if strings.Contains(string(call.Body), token) {
			t.Fatalf("%s sent the token in its body", call.Key())
		}
		for k, vs := range call.Header {
			for _, v := range vs {
				if k != "Authorization" && strings.Contains(v, token) {
					t.Fatalf("%s sent the token in header %s", call.Key(), k)
				}
			}
		}
	}
}

func TestContextCancelledWhileWaiting(t *testing.T) {
	e := newEnv(t)
	e.fake.Inject(githubfake.Fault{Route: "GET git/ref/heads/{branch...}", Kind: githubfake.Status, Status: 502})
	ctx, cancel := context.WithCancel(context.Background())
	tg := e.target(func(o *github.Options) {
		o.Sleep = func(context.Context, time.Duration) error { cancel(); return context.Canceled }
	})
	if _, err := tg.Write(ctx, change(rendered(3, "beta"))); !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v", err)
	}
}

// A server whose answers run past MaxAnswer, whatever they claim (a
// contents answer saying size 100, a comment page of 60 MiB): refused as
// cut, never read whole, not retried.
func TestAnswersCapped(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/user" {
			io.WriteString(w, `{"login":"phasegen-bot"}`)
			return
		}
		if strings.Contains(r.URL.Path, "/contents/") {
			io.WriteString(w, `{"type":"file","encoding":"base64","size":100,"name":"a.yaml","path":"a.yaml","sha":"0123","content":"`)
		} else {
			io.WriteString(w, `[{"id":1,"body":"`)
		}
		chunk := strings.Repeat("A", 1<<20)
		for range 60 {
			if _, err := io.WriteString(w, chunk); err != nil {
				return
			}
		}
		io.WriteString(w, `"}]`)
	}))
	defer srv.Close()
	tg, err := github.New(github.Options{BaseURL: srv.URL, Token: token, Owner: "coditect", Repo: "argocd-apps",
		HTTPClient: srv.Client(), Sleep: func(context.Context, time.Duration) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	_, err = tg.ReadFile(ctx, "main", "a.yaml")
	if !errors.Is(err, httpbody.ErrTooLarge) || !strings.Contains(err.Error(), "larger than 48 MiB: cut") {
		t.Errorf("contents: %v", err)
	}
	_, err = tg.StickyComment(ctx, 1, "<!-- m -->", "<!-- m -->\nx\n")
	if !errors.Is(err, httpbody.ErrTooLarge) || !strings.Contains(err.Error(), "listing comments on #1") {
		t.Errorf("comments: %v", err)
	}
}
