package argocdapi_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/coditect/phasegen/internal/argocdapi"
)

func TestServerURL(t *testing.T) {
	for in, want := range map[string]string{
		"argocd.example.com":              "https://argocd.example.com",
		"argocd.example.com:8443":         "https://argocd.example.com:8443",
		"http://127.0.0.1:8080":           "http://127.0.0.1:8080",
		"https://example.com/argocd/":     "https://example.com/argocd",
		" https://argocd.example.com ":    "https://argocd.example.com",
		"https://argocd.example.com/api/": "https://argocd.example.com/api",
	} {
		u, err := argocdapi.ServerURL(in)
		if err != nil || u.String() != want {
			t.Errorf("ServerURL(%q) = %v, %v; want %s", in, u, err, want)
		}
	}
	for _, in := range []string{"", "grpc://argocd", "https://user:pw@argocd", "https://", "https://a?x=1"} {
		if u, err := argocdapi.ServerURL(in); err == nil {
			t.Errorf("ServerURL(%q) = %v, want an error", in, u)
		}
	}
}

const tok = "argocd-secret-T0KEN"

func TestApplicationAnswers(t *testing.T) {
	var gotAuth, gotQuery string
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth, gotQuery = r.Header.Get("Authorization"), r.URL.RawQuery
		switch r.URL.Path {
		case "/argocd/api/v1/applications/ok":
			w.Write([]byte(`{"metadata":{"name":"ok","namespace":"argocd"},"spec":{"project":"default"},"status":{"sync":{"status":"Synced","revision":"abc"},"health":{"status":"Healthy"},"reconciledAt":"2026-03-01T12:00:00Z","operationState":{"phase":"Succeeded","finishedAt":"2026-03-01T11:59:00Z","syncResult":{"revision":"abc"}}}}`))
		case "/argocd/api/v1/applications/denied":
			w.WriteHeader(403)
			w.Write([]byte(`{"error":"permission denied","code":7,"message":"permission denied"}`))
		case "/argocd/api/v1/applications/gone":
			w.WriteHeader(404)
			w.Write([]byte(`{"error":"applications.argoproj.io \"gone\" not found","code":5,"message":"applications.argoproj.io \"gone\" not found"}`))
		default:
			w.WriteHeader(503)
			w.Write([]byte("<html>no healthy upstream " + tok + "</html>"))
		}
	}))
	defer srv.Close()
	ctx := context.Background()

	// A self-signed server: refused without --insecure, read with it.
	strict, err := argocdapi.New(argocdapi.Options{Server: srv.URL + "/argocd", Token: tok})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := strict.Application(ctx, "ok", argocdapi.Query{}); err == nil || !strings.Contains(err.Error(), "certificate") || !argocdapi.TLSError(err) || argocdapi.Transient(err) {
		t.Errorf("without --insecure: %v", err)
	}
	c, err := argocdapi.New(argocdapi.Options{Server: srv.URL + "/argocd/", Token: tok, Insecure: true})
	if err != nil {
		t.Fatal(err)
	}
	app, err := c.Application(ctx, "ok", argocdapi.Query{Refresh: "normal", Project: "default", AppNamespace: "argocd"})
	if err != nil {
		t.Fatal(err)
	}
	if gotAuth != "Bearer "+tok || gotQuery != "appNamespace=argocd&project=default&refresh=normal" {
		t.Errorf("auth %q query %q", gotAuth, gotQuery)
	}
	st := app.Status
	if st.Sync.Status != "Synced" || st.Sync.All()[0] != "abc" || st.Health.Status != "Healthy" || st.ReconciledAt == nil ||
		st.OperationState.FinishedAt == nil || st.OperationState.OperationRevisions()[0] != "abc" {
		t.Errorf("status %+v", st)
	}

	_, err = c.Application(ctx, "denied", argocdapi.Query{})
	var ae *argocdapi.APIError
	if !errors.Is(err, argocdapi.ErrAuth) || !errors.As(err, &ae) || ae.Code != 7 || ae.Message != "permission denied" || argocdapi.Transient(err) {
		t.Errorf("403: %v", err)
	}
	if _, err = c.Application(ctx, "gone", argocdapi.Query{}); !errors.Is(err, argocdapi.ErrNotFound) || !strings.Contains(err.Error(), `404 applications.argoproj.io "gone" not found`) {
		t.Errorf("404: %v", err)
	}
	_, err = c.Application(ctx, "busy", argocdapi.Query{})
	if !argocdapi.Transient(err) || !strings.Contains(err.Error(), "503 Service Unavailable") || strings.Contains(err.Error(), tok) {
		t.Errorf("503: %v", err)
	}
	// A dead server is transient, and its error shows no token.
	dead, _ := argocdapi.New(argocdapi.Options{Server: "http://127.0.0.1:1", Token: tok})
	if _, err := dead.Application(ctx, "ok", argocdapi.Query{}); !argocdapi.Transient(err) || strings.Contains(err.Error(), tok) {
		t.Errorf("dead server: %v", err)
	}
	// A token pasted as the server is not echoed.
	if _, err := argocdapi.New(argocdapi.Options{Server: "grpc://" + tok, Token: tok}); err == nil || strings.Contains(err.Error(), tok) {
		t.Errorf("bad server: %v", err)
	}
}

// What an Argo CD (or a proxy before it) may answer besides the
// Application asked for: another app's, an answer past the cap, an HTML
// page, a redirect loop. Each is refused with the cause and the URL, and
// none is worth a retry.
func TestApplicationHostileAnswers(t *testing.T) {
	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		switch r.URL.Path {
		case "/api/v1/applications/shop-production":
			w.Write([]byte(`{"metadata":{"name":"other-team-app"},"status":{"sync":{"status":"Synced"},"health":{"status":"Healthy"}}}`))
		case "/api/v1/applications/huge":
			w.Write([]byte(`{"metadata":{"name":"huge"},"status":{"conditions":[{"message":"`))
			chunk := []byte(strings.Repeat("x", 1<<20))
			for range 35 {
				w.Write(chunk)
			}
		case "/api/v1/applications/html":
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte("<html><body>Sign in to the corporate proxy</body></html>"))
		default:
			http.Redirect(w, r, r.URL.Path, http.StatusFound)
		}
	}))
	defer srv.Close()
	c, err := argocdapi.New(argocdapi.Options{Server: srv.URL, Token: tok})
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		"shop-production": `the answer is Application "other-team-app", not "shop-production"`,
		"huge":            "larger than 32 MiB: cut",
		"html":            `not JSON (Content-Type "text/html", beginning "<html><body>Sign in`,
		"loop":            "stopped after 10 redirects",
	} {
		hits = 0
		_, err := c.Application(context.Background(), name, argocdapi.Query{})
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), srv.URL+"/api/v1/applications/"+name) {
			t.Errorf("%s: %v, want %q with the URL", name, err, want)
			continue
		}
		if argocdapi.Transient(err) {
			t.Errorf("%s: retried: %v", name, err)
		}
		if name == "loop" && hits != 10 {
			t.Errorf("loop: %d requests, want 10", hits)
		}
	}
}
