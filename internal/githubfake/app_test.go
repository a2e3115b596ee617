package githubfake_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-github/v62/github"

	"github.com/coditect/phasegen/internal/githubfake"
)

// The App endpoints verify the JWT as GitHub does, and the tokens they
// issue expire on the fake's clock and are held to their permissions.
func TestAppTokens(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	fake, err := githubfake.New(githubfake.Options{Owner: "o", Repo: "r", Now: clock, App: &githubfake.App{
		ID: 7, Key: &key.PublicKey, InstallationID: 9, TokenLife: time.Hour,
		Permissions: map[string]string{"contents": "read", "pull_requests": "write"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fake.Seed(map[string][]byte{"README.md": []byte("hi\n")}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	ctx := context.Background()
	client := func(auth string) *github.Client {
		c, err := github.NewClient(srv.Client()).WithAuthToken(auth).WithEnterpriseURLs(srv.URL, srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	sign := func(k *rsa.PrivateKey, iss string, iat, exp time.Duration) string {
		s, err := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.RegisteredClaims{Issuer: iss,
			IssuedAt: jwt.NewNumericDate(clock().Add(iat)), ExpiresAt: jwt.NewNumericDate(clock().Add(exp))}).SignedString(k)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	status := func(err error) int {
		var er *github.ErrorResponse
		if errors.As(err, &er) {
			return er.Response.StatusCode
		}
		return 0
	}
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	for name, c := range map[string]struct {
		jwt  string
		want int
	}{
		"another key":     {sign(other, "7", -time.Minute, 9*time.Minute), http.StatusUnauthorized},
		"another App":     {sign(key, "8", -time.Minute, 9*time.Minute), http.StatusUnauthorized},
		"expired":         {sign(key, "7", -20*time.Minute, -10*time.Minute), http.StatusUnauthorized},
		"issued later":    {sign(key, "7", 5*time.Minute, 9*time.Minute), http.StatusUnauthorized},
		"over ten minute": {sign(key, "7", -time.Minute, 11*time.Minute), http.StatusUnauthorized},
		"valid":           {sign(key, "7", -time.Minute, 9*time.Minute), http.StatusOK},
	} {
		_, _, err := client(c.jwt).Apps.FindRepositoryInstallation(ctx, "o", "r")
		if got := map[bool]int{true: http.StatusOK, false: status(err)}[err == nil]; got != c.want {
			t.Errorf("%s: %v, want %d", name, err, c.want)
		}
	}
	app := client(sign(key, "7", -time.Minute, 9*time.Minute))
	if _, _, err := app.Apps.CreateInstallationToken(ctx, 9, &github.InstallationTokenOptions{
		Permissions: &github.InstallationPermissions{Contents: github.String("write")}}); status(err) != http.StatusUnprocessableEntity {
		t.Errorf("a permission not granted: %v, want 422", err)
	}
	tok, _, err := app.Apps.CreateInstallationToken(ctx, 9, &github.InstallationTokenOptions{Repositories: []string{"r"},
		Permissions: &github.InstallationPermissions{Contents: github.String("read"), PullRequests: github.String("write")}})
	if err != nil {
		t.Fatal(err)
	}
	inst := client(tok.GetToken())
	if _, _, _, err := inst.Repositories.GetContents(ctx, "o", "r", "README.md", nil); err != nil {
		t.Errorf("a read with contents read: %v", err)
	}
	if _, _, err := inst.Git.CreateBlob(ctx, "o", "r", &github.Blob{Content: github.String("x"), Encoding: github.String("utf-8")}); status(err) != http.StatusForbidden {
		t.Errorf("a write with contents read: %v, want 403", err)
	}
	mu.Lock()
	now = now.Add(61 * time.Minute)
	mu.Unlock()
	if _, _, _, err := inst.Repositories.GetContents(ctx, "o", "r", "README.md", nil); status(err) != http.StatusUnauthorized {
		t.Errorf("an expired token: %v, want 401", err)
	}
}
