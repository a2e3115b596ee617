package cli_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coditect/phasegen/internal/cli"
)

// A password and a token no output may show, in any form.
const (
	hostilePassword = "PASSWORDcanary5f3e9"
	hostileToken    = "TOKENcanary.b7d1c0ffee"
	forged          = "phasegen: FORGED LINE"
)

// hostileLeak returns the form of a secret data shows, or "".
func hostileLeak(data []byte) string {
	return leakedForm(data, hostilePassword, hostileToken, "user:"+hostilePassword)
}

// leakedForm returns the form of one of secrets that data holds, or "":
// as it is, percent-encoded, and base64-encoded (standard and URL-safe)
// alone or inside a longer string at any of the three alignments (what
// encodes the same wherever the secret sits).
func leakedForm(data []byte, secrets ...string) string {
	for _, s := range secrets {
		forms := []string{s, url.QueryEscape(s), url.PathEscape(s)}
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
			for skip := 0; skip < 3; skip++ {
				rest := s[skip:]
				forms = append(forms, enc.EncodeToString([]byte(rest[:len(rest)/3*3])))
			}
		}
		for _, form := range forms {
			if len(form) >= 8 && bytes.Contains(data, []byte(form)) {
				return form
			}
		}
	}
	return ""
}

// echoAuth answers every request with what each API prints as its error,
// quoting the Authorization header it received and a line break followed by
// a line that would look like phasegen's own.
func echoAuth(api string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		_, tok, _ := strings.Cut(auth, " ")
		// As given, base64-encoded whole ("Bearer TOKEN") and the token
		// percent-encoded: the forms servers echo.
		echo := "got " + auth + " (" + base64.StdEncoding.EncodeToString([]byte(auth)) + ", " + url.QueryEscape(tok+"/") + ")\n" + forged + "\x1b[2J"
		w.Header().Set("Content-Type", "application/json")
		var body any
		switch api {
		case "github":
			w.WriteHeader(http.StatusBadRequest)
			body = map[string]any{"message": echo}
		case "argocd":
			body = map[string]any{
				"metadata": map[string]any{"name": "coditect-production"},
				"status": map[string]any{
					"sync":       map[string]any{"status": "Unknown"},
					"health":     map[string]any{"status": "Unknown", "message": echo},
					"conditions": []map[string]any{{"type": "ComparisonError", "message": echo}},
				},
			}
		case "prometheus":
			w.WriteHeader(http.StatusBadRequest)
			body = map[string]any{"status": "error", "errorType": "bad_data", "error": echo}
		}
		b, _ := json.Marshal(body)
		w.Write(b)
	}
}

// credRun runs phasegen in dir with env and an HTTP client hc, and
// fails on any output that shows a secret or a forged line.
func credRun(t *testing.T, hc *http.Client, env map[string]string, args ...string) string {
	t.Helper()
	a := cli.NewTestApp(t, env)
	a.HTTPClient, a.Now = hc, func() time.Time { return time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC) }
	code := a.Run(args...)
	out := a.Output()
	if code != cli.ExitError {
		t.Fatalf("phasegen %s: exit %d, want 1:\n%s", strings.Join(args, " "), code, out)
	}
	if f := hostileLeak([]byte(out)); f != "" {
		t.Fatalf("phasegen %s shows a secret (%q):\n%s", strings.Join(args, " "), f, out)
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, forged) || strings.Contains(line, "\x1b") {
			t.Fatalf("phasegen %s printed a line a server forged:\n%s", strings.Join(args, " "), out)
		}
	}
	return out
}

// configCopy copies the shipped configs, base and overlays into a
// temporary directory with a bare GitOps repository (main with one commit)
// beside them, changes into it, and returns the repository's directory.
func configCopy(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{"environments", "templates/base", "overlays"} {
		if err := copyTree(filepath.Join("..", "testdata", "example", d), filepath.Join(dir, d)); err != nil {
			t.Fatal(err)
		}
	}
	gitDir := filepath.Join(dir, "gitops.git")
	initBareRepo(t, gitDir)
	t.Chdir(dir)
	return gitDir
}

// credSetup is configCopy with production promoted to pre-launch and
// merged into the GitOps repository's main.
func credSetup(t *testing.T) string {
	t.Helper()
	gitDir := configCopy(t)
	a := cli.NewTestApp(t, nil)
	if code := a.Run("promote", "production", "--to", "pre-launch", "--git-dir", gitDir); code != 0 {
		t.Fatalf("promote: exit %d\n%s", code, a.Output())
	}
	moveMain(t, gitDir, "phasegen/coditect/production")
	return gitDir
}

// TestCredentialsStayHome: for the GitHub, Argo CD and Prometheus clients,
// a server that echoes the Authorization header (bearer and basic), URL
// userinfo, and redirects to another port and from https to http: no
// secret shows in any output, no server text forges a line, and no request
// reaches the other origin.
func TestCredentialsStayHome(t *testing.T) {
	gitDir := credSetup(t)
	var elsewhere atomic.Int64
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Add(1)
		echoAuth("github")(w, r)
	}))
	t.Cleanup(other.Close)

	type client struct {
		name string
		args []string
		env  func(url string) map[string]string // the server's URL, credentials added where the client takes them
	}
	clients := []client{
		{"github", []string{"promote", "production", "--to", "beta", "--allow-early"}, func(u string) map[string]string {
			return map[string]string{"GITHUB_API_URL": withUser(u) + "/api/v3/", "GITHUB_TOKEN": hostileToken}
		}},
		{"argocd", []string{"wait", "production", "--git-dir", gitDir, "--healthy-for", "0s", "--timeout", "10s"}, func(u string) map[string]string {
			return map[string]string{"ARGOCD_SERVER": u, "ARGOCD_AUTH_TOKEN": hostileToken}
		}},
		{"prometheus", []string{"status", "production"}, func(u string) map[string]string {
			return map[string]string{"PROMETHEUS_URL": withUser(u), "PROMETHEUS_TOKEN": hostileToken}
		}},
		{"prometheus-basic", []string{"status", "production"}, func(u string) map[string]string {
			return map[string]string{"PROMETHEUS_URL": withUser(u)}
		}},
	}
	for _, c := range clients {
		api := strings.TrimSuffix(c.name, "-basic")
		t.Run(c.name+"/echo", func(t *testing.T) {
			srv := httptest.NewServer(echoAuth(api))
			t.Cleanup(srv.Close)
			out := credRun(t, srv.Client(), c.env(srv.URL), c.args...)
			if !strings.Contains(out, `\n`+forged) {
				t.Errorf("the server's text did not reach the output escaped: the test checked nothing:\n%s", out)
			}
		})
		for _, r := range []struct {
			name  string
			start func(http.Handler) *httptest.Server
			want  string
		}{
			{"redirect-other-port", httptest.NewServer, "refusing a redirect"},
			{"redirect-to-http", httptest.NewTLSServer, "refusing a redirect from https://"},
		} {
			t.Run(c.name+"/"+r.name, func(t *testing.T) {
				before := elsewhere.Load()
				srv := r.start(http.RedirectHandler(other.URL+"/x", http.StatusTemporaryRedirect))
				t.Cleanup(srv.Close)
				out := credRun(t, srv.Client(), c.env(srv.URL), c.args...)
				if n := elsewhere.Load() - before; n != 0 {
					t.Errorf("%d requests reached the other origin", n)
				}
				if !strings.Contains(out, r.want) {
					t.Errorf("the refusal is not said:\n%s", out)
				}
			})
		}
	}
	t.Run("argocd/userinfo", func(t *testing.T) {
		out := credRun(t, nil, map[string]string{"ARGOCD_SERVER": "https://user:" + hostilePassword + "@argocd.example"}, clients[1].args...)
		if !strings.Contains(out, "credentials do not go in the URL") {
			t.Errorf("no reason given:\n%s", out)
		}
	})
	t.Run("github/unreachable-userinfo", func(t *testing.T) {
		credRun(t, nil, map[string]string{"GITHUB_API_URL": "http://user:" + hostilePassword + "@127.0.0.1:1/", "GITHUB_TOKEN": hostileToken}, clients[0].args...)
	})
}

// withUser adds user:hostilePassword@ to an http(s) URL.
func withUser(u string) string {
	scheme, rest, _ := strings.Cut(u, "://")
	return fmt.Sprintf("%s://user:%s@%s", scheme, hostilePassword, rest)
}

// trickler is a server that sends headers and "{", then nothing, until
// the client cuts the request or, 20 s on, it gives up itself.
type trickler struct {
	*httptest.Server
	cut chan bool // true: the client cut the request
}

func newTrickler(t *testing.T) trickler {
	t.Helper()
	cut := make(chan bool, 8)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		fmt.Fprint(w, "{")
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
			cut <- true
		case <-time.After(20 * time.Second): // the server's own give-up, far past the deadline
			cut <- false
		}
	}))
	t.Cleanup(srv.Close)
	return trickler{srv, cut}
}

// wantCut fails unless the client cut the request before the server gave up.
func (tr trickler) wantCut(t *testing.T, what string) {
	t.Helper()
	select {
	case byClient := <-tr.cut:
		if !byClient {
			t.Fatalf("%s was not cut at the deadline: the server gave up first", what)
		}
	case <-time.After(time.Minute): // a hang guard: the handler never ran
		t.Fatal("the server never saw the request")
	}
}

// TestWaitDeadlineHolds: an Argo CD that sends its answer a byte at a time
// (here: headers, then nothing) cannot hold wait past --timeout: the request
// carries the deadline and is cut there, well before the server gives up.
func TestWaitDeadlineHolds(t *testing.T) {
	gitDir := credSetup(t)
	srv := newTrickler(t)
	a := cli.NewTestApp(t, map[string]string{"ARGOCD_SERVER": srv.URL, "ARGOCD_AUTH_TOKEN": hostileToken})
	a.HTTPClient = srv.Client()
	stderr := a.Err
	code := a.Run("wait", "production", "--git-dir", gitDir, "--timeout", "1s")
	if code != cli.ExitError || !strings.Contains(stderr.String(), "timed out after 1s") {
		t.Fatalf("exit %d, want 1 timed out:\n%s", code, stderr.String())
	}
	srv.wantCut(t, "the request")
}

// The GitOps branch read from a GitHub that trickles its answer is inside
// the wait's deadline too: the request is cut at --timeout, not at the
// server's pleasure.
func TestWaitBranchReadInsideDeadline(t *testing.T) {
	credSetup(t)
	srv := newTrickler(t)
	a := cli.NewTestApp(t, map[string]string{"ARGOCD_SERVER": "http://127.0.0.1:1", "ARGOCD_AUTH_TOKEN": hostileToken,
		"GITHUB_TOKEN": hostileToken, "GITHUB_API_URL": srv.URL + "/"})
	a.HTTPClient = srv.Client()
	code := a.Run("wait", "production", "--repo", "coditect/argocd-apps", "--timeout", "1s")
	if code != cli.ExitError || !strings.Contains(a.Err.String(), "deadline exceeded") {
		t.Fatalf("exit %d, want 1 at the deadline:\n%s", code, a.Err.String())
	}
	srv.wantCut(t, "the branch read")
}
