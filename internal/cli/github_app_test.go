package cli_test

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coditect/phasegen/internal/argocdfake"
	"github.com/coditect/phasegen/internal/cli"
	"github.com/coditect/phasegen/internal/githubfake"
)

// appFake is a fake GitHub with production's GitOps repository and one App
// installed on it; the key is returned as the PEM GitHub hands out.
func appFake(t *testing.T, mod func(*githubfake.App)) (*githubfake.Server, string, string) {
	t.Helper()
	return appFakeAt(t, mod, time.Now)
}

// appFakeAt is appFake on the clock now.
func appFakeAt(t *testing.T, mod func(*githubfake.App), now func() time.Time) (*githubfake.Server, string, string) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	app := &githubfake.App{ID: 4242, Key: &key.PublicKey, InstallationID: 77,
		Permissions: map[string]string{"contents": "write", "pull_requests": "write"}}
	if mod != nil {
		mod(app)
	}
	fake, err := githubfake.New(githubfake.Options{Owner: "coditect", Repo: "argocd-apps", App: app, Token: canaryToken, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fake.Seed(map[string][]byte{"README.md": []byte("# Argo CD apps\n")}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	pemKey := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
	return fake, srv.URL + "/api/v3/", pemKey
}

// appSecrets are the forms of the App's secrets no output may hold: the
// key (a line of its body), any JWT (their header is RS256's), the
// installation tokens the fake issues.
func appLeak(data []byte, pemKey string) string {
	lines := strings.Split(pemKey, "\n")
	for _, s := range []string{lines[5], "eyJhbGciOiJSUzI1NiIs", "ghs_fake"} {
		if bytes.Contains(data, []byte(s)) {
			return s
		}
	}
	return ""
}

// TestPromoteAsGitHubApp: with App credentials (and a token, which they
// win over) a promotion makes one commit and one pull request with the
// token path's calls plus two, says which credentials it used, and no
// output, file, request or pull request holds the key, a JWT or a token.
func TestPromoteAsGitHubApp(t *testing.T) {
	configCopy(t)
	envFile := filepath.Join("environments", "production.yaml")
	before := readFile(t, envFile)
	tokenFake, tokenURL, _ := appFake(t, nil)
	a := cli.NewTestApp(t, map[string]string{"GITHUB_API_URL": tokenURL, "GITHUB_TOKEN": canaryToken})
	if code := a.Run("promote", "production", "--to", "pre-launch"); code != 0 {
		t.Fatalf("with a token: exit %d\n%s", code, a.Output())
	}
	if err := os.WriteFile(envFile, before, 0o644); err != nil {
		t.Fatal(err)
	}

	fake, url, pemKey := appFake(t, nil)
	keyFile := filepath.Join(t.TempDir(), "app.pem")
	if err := os.WriteFile(keyFile, []byte(pemKey), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"GITHUB_API_URL": url, "GITHUB_TOKEN": canaryToken, "GITHUB_APP_ID": "4242", "GITHUB_APP_PRIVATE_KEY_PATH": keyFile}
	a = cli.NewTestApp(t, env)
	if code := a.Run("promote", "production", "--to", "pre-launch"); code != 0 {
		t.Fatalf("as an App: exit %d\n%s", code, a.Output())
	}
	if !strings.Contains(a.Err.String(), "github: authenticating as GitHub App 4242 (they win over GITHUB_TOKEN/GH_TOKEN, also set)") {
		t.Errorf("which credentials is not said:\n%s", a.Err.String())
	}
	tokenCalls, appCalls := len(tokenFake.Calls()), len(fake.Calls())
	t.Logf("calls: token %d, App %d", tokenCalls, appCalls)
	if appCalls != tokenCalls+2 || fake.Count("GET installation") != 1 || fake.Count("POST app/installations/{id}/access_tokens") != 1 {
		t.Errorf("App path: %d calls, token path %d: want two more (the installation and the token)", appCalls, tokenCalls)
	}
	if prs := fake.PullRequests(); len(prs) != 1 || fake.Count("POST git/commits") != 1 {
		t.Fatalf("%d pull requests, %d commits; want 1 and 1", len(prs), fake.Count("POST git/commits"))
	}
	for _, c := range fake.Calls() {
		if f := appLeak(append(append(c.Body, c.Path...), c.Query...), pemKey); f != "" {
			t.Errorf("%s: the request holds %q", c.Key(), f)
		}
		for k, vs := range c.Header {
			if k != "Authorization" && appLeak([]byte(strings.Join(vs, ",")), pemKey) != "" {
				t.Errorf("%s: header %s holds a secret", c.Key(), k)
			}
		}
	}
	for _, p := range fake.PullRequests() {
		if f := appLeak([]byte(p.Title+p.Body), pemKey); f != "" {
			t.Errorf("pull request #%d holds %q", p.Number, f)
		}
	}
	if f := appLeak([]byte(a.Output()), pemKey); f != "" {
		t.Errorf("output holds %q:\n%s", f, a.Output())
	}
	for p, data := range snapshot(t, ".") {
		if f := appLeak(data, pemKey); f != "" {
			t.Errorf("%s holds %q", p, f)
		}
	}
	checkObjectsFor(t, "fake GitHub", fake.Storage(), func(b []byte) string { return appLeak(b, pemKey) })
}

// TestGitHubAppRefusals: each App failure exits 1 with a sentence saying
// which and what to do, and shows no secret.
func TestGitHubAppRefusals(t *testing.T) {
	configCopy(t)
	_, _, otherPEM := appFake(t, nil)
	cases := []struct {
		name  string
		fake  func(*githubfake.App)
		env   func(url, pemKey string) map[string]string
		clock time.Duration
		want  string
	}{
		{"malformed key", nil, func(url, _ string) map[string]string {
			return map[string]string{"GITHUB_API_URL": url, "GITHUB_APP_ID": "4242", "GITHUB_APP_PRIVATE_KEY": "-----BEGIN RSA PRIVATE KEY-----\nnot a key\n-----END RSA PRIVATE KEY-----\n"}
		}, 0, "GITHUB_APP_PRIVATE_KEY is not the App's private key"},
		{"wrong App ID", nil, func(url, pemKey string) map[string]string {
			return map[string]string{"GITHUB_API_URL": url, "GITHUB_APP_ID": "99", "GITHUB_APP_PRIVATE_KEY": pemKey}
		}, 0, "github refused the App's JWT: the App ID or the private key is wrong"},
		{"another App's key", nil, func(url, _ string) map[string]string {
			return map[string]string{"GITHUB_API_URL": url, "GITHUB_APP_ID": "4242", "GITHUB_APP_PRIVATE_KEY": otherPEM}
		}, 0, "the App ID or the private key is wrong"},
		{"not installed", func(a *githubfake.App) { a.InstallationID = 0 }, func(url, pemKey string) map[string]string {
			return map[string]string{"GITHUB_API_URL": url, "GITHUB_APP_ID": "4242", "GITHUB_APP_PRIVATE_KEY": pemKey}
		}, 0, "the App is not installed on the repository: install it there"},
		{"permission", func(a *githubfake.App) {
			a.Permissions = map[string]string{"contents": "read", "pull_requests": "write"}
		}, func(url, pemKey string) map[string]string {
			return map[string]string{"GITHUB_API_URL": url, "GITHUB_APP_ID": "4242", "GITHUB_APP_PRIVATE_KEY": pemKey}
		}, 0, "the App's installation lacks a permission the command needs"},
		{"clock skew", nil, func(url, pemKey string) map[string]string {
			return map[string]string{"GITHUB_API_URL": url, "GITHUB_APP_ID": "4242", "GITHUB_APP_PRIVATE_KEY": pemKey}
		}, -2 * time.Hour, "this machine's clock is off"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fake, url, pemKey := appFake(t, c.fake)
			a := cli.NewTestApp(t, c.env(url, pemKey))
			a.Now = func() time.Time { return time.Now().Add(c.clock) }
			code := a.Run("promote", "production", "--to", "pre-launch")
			if code != cli.ExitError || !strings.Contains(a.Err.String(), c.want) {
				t.Fatalf("exit %d, want 1 saying %q:\n%s", code, c.want, a.Output())
			}
			if f := appLeak([]byte(a.Output()), pemKey); f != "" {
				t.Errorf("output holds %q", f)
			}
			for _, w := range fake.Writes() {
				if !strings.HasPrefix(w.Route, "app/") {
					t.Errorf("a refused promotion wrote: %s", w.Key())
				}
			}
		})
	}
}

// TestWaitAsAppRenewsToken: a wait longer than an installation token's
// life (10 minutes here, on the virtual clock) buys a second token for its
// last read of the branch, and finishes.
func TestWaitAsAppRenewsToken(t *testing.T) {
	configCopy(t)
	clock := argocdfake.NewClock(time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC))
	gh, ghURL, pemKey := appFakeAt(t, func(a *githubfake.App) {
		a.TokenLife, a.Permissions = 10*time.Minute, map[string]string{"contents": "read", "pull_requests": "read"}
	}, clock.Now)
	argo := argocdfake.New(argocdfake.Options{Token: argoToken, Now: clock.Now})
	argo.Add(argocdfake.App{Name: "coditect-production", Project: "default",
		Scenario: argocdfake.Scenario{Notice: time.Minute, Sync: time.Minute, Progress: 20 * time.Minute},
		Head:     func() (string, error) { h, _ := gh.Branch("main"); return h, nil }}, "")
	argoSrv := httptest.NewServer(argo)
	t.Cleanup(argoSrv.Close)
	a := cli.NewTestApp(t, map[string]string{"GITHUB_API_URL": ghURL, "GITHUB_APP_ID": "4242", "GITHUB_APP_PRIVATE_KEY": pemKey,
		"ARGOCD_SERVER": argoSrv.URL, "ARGOCD_AUTH_TOKEN": argoToken})
	a.Now, a.Sleep = clock.Now, clock.Sleep
	if code := a.Run("wait", "production", "--timeout", "1h", "--healthy-for", "0s"); code != 0 {
		t.Fatalf("wait: exit %d\n%s", code, a.Output())
	}
	if n := gh.Count("POST app/installations/{id}/access_tokens"); n != 2 {
		t.Errorf("%d tokens bought, want 2 (the first, and one renewal)", n)
	}
	if n := gh.Count("GET git/ref/heads/{branch...}"); n != 2 {
		t.Errorf("%d reads of the branch, want 2 (before and after the wait)", n)
	}
	if f := appLeak([]byte(a.Output()), pemKey); f != "" {
		t.Errorf("output holds %q", f)
	}
}
