package github_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coditect/phasegen/internal/gitops/github"
)

// echoToken answers every request with status and a GitHub error whose
// message (and, for 422, detail) quotes the token the request carried, as a
// misbehaving proxy or GitHub Enterprise instance might.
func echoToken(status int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := r.Header.Get("Authorization")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"message":"rejected %s at %s","errors":[{"resource":"PullRequest","code":"custom","message":"already exists for %s"}]}`,
			got, r.URL.Path, got)
	})
}

// TestGitHubErrorsAreRedacted: whatever go-github puts in an error (the
// response's message, its detailed errors, the request URL) and whatever the
// retry log says, the token never shows.
func TestGitHubErrorsAreRedacted(t *testing.T) {
	const canary = "ghp_phasegenTOKENcanary0123456789abcdef"
	leaks := func(s string) bool {
		return strings.Contains(s, canary) || strings.Contains(s, "phasegenTOKENcanary") ||
			strings.Contains(s, base64.StdEncoding.EncodeToString([]byte(canary)))
	}
	cases := []struct {
		name    string
		status  int
		urlPath string // appended to the server's URL as the API base
		want    string // in the error text
		wantErr error
	}{
		{"401 echoing the token", http.StatusUnauthorized, "/", "authentication failed", github.ErrAuth},
		{"500 echoing the token, retried", http.StatusInternalServerError, "/", "giving up after 3 attempts", nil},
		{"403 echoing the token", http.StatusForbidden, "/", "permission denied", nil},
		{"422 echoing the token", http.StatusUnprocessableEntity, "/", "[REDACTED]", nil},
		{"404 with the token in the API URL", http.StatusNotFound, "/" + canary + "/api/v3/", "[REDACTED]", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(echoToken(tc.status))
			t.Cleanup(srv.Close)
			log := &syncBuffer{}
			tg, err := github.New(github.Options{
				BaseURL: srv.URL + tc.urlPath, Token: canary, Owner: "coditect", Repo: "argocd-apps",
				HTTPClient: srv.Client(), Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() },
				Log: log, MaxAttempts: 3, Rand: func() float64 { return 0 },
			})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			_, rerr := tg.ReadFile(ctx, "main", "README.md")
			_, werr := tg.Write(ctx, change(rendered(3, "beta")))
			_, perr := tg.OpenPR(ctx, pr())
			for i, err := range []error{rerr, werr, perr} {
				if err == nil {
					t.Fatalf("call %d succeeded against a failing server", i)
				}
				if leaks(err.Error()) || leaks(fmt.Sprintf("%+v", err)) {
					t.Fatalf("call %d: error shows the token: %v", i, err)
				}
				if !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("call %d: error %q lacks %q", i, err, tc.want)
				}
				if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
					t.Fatalf("call %d: error %v does not wrap %v", i, err, tc.wantErr)
				}
			}
			if leaks(log.String()) {
				t.Fatalf("log shows the token:\n%s", log.String())
			}
		})
	}
}

// TestUnreachableURLWithTokenIsRedacted: a transport error (connection
// refused) quotes the request URL; a token in it is hidden in the error and
// in every retry line, and so is one in an API URL that does not parse.
func TestUnreachableURLWithTokenIsRedacted(t *testing.T) {
	const canary = "ghp_phasegenTOKENcanary0123456789abcdef"
	srv := httptest.NewServer(http.NotFoundHandler())
	base := srv.URL
	srv.Close() // nothing listens there any more
	log := &syncBuffer{}
	for _, u := range []string{base + "/" + canary + "/", "http://x-access-token:" + canary + "@" + strings.TrimPrefix(base, "http://") + "/"} {
		tg, err := github.New(github.Options{
			BaseURL: u, Token: canary, Owner: "coditect", Repo: "argocd-apps",
			Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() },
			Log:   log, MaxAttempts: 2,
		})
		if err != nil {
			t.Fatal(err)
		}
		_, err = tg.ReadFile(context.Background(), "main", "README.md")
		if err == nil || strings.Contains(err.Error(), canary) || !strings.Contains(err.Error(), "giving up after 2 attempts") {
			t.Fatalf("%s: error %v", u, err)
		}
	}
	if strings.Contains(log.String(), canary) || !strings.Contains(log.String(), "connection failed") {
		t.Fatalf("log:\n%s", log.String())
	}
	_, err := github.New(github.Options{BaseURL: canary, Token: canary, Owner: "o", Repo: "r"})
	if err == nil || strings.Contains(err.Error(), canary) {
		t.Fatalf("bad API URL holding the token: %v", err)
	}
}
