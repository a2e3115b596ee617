package secret

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestError(t *testing.T) {
	base := fmt.Errorf("GET https://x/?token=tok123: %w", context.DeadlineExceeded)
	err := Error(base, "", "tok123")
	if got := err.Error(); got != "GET https://x/?token="+Mask+": context deadline exceeded" {
		t.Errorf("Error() = %q", got)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Error("errors.Is lost the wrapped error")
	}
	if Error(nil, "tok123") != nil {
		t.Error("a nil error became non-nil")
	}
	if got := String("a tok b tok", "tok", ""); got != "a "+Mask+" b "+Mask {
		t.Errorf("String() = %q", got)
	}
}

func TestStringMasksURLUserinfoAndBasicForm(t *testing.T) {
	err := errors.New(`GET http://user:PASSWORD@host:9/repos/o/r: 404 Not Found []`)
	if got := Error(err).Error(); got != `GET http://`+Mask+`@host:9/repos/o/r: 404 Not Found []` {
		t.Errorf("userinfo: %q", got)
	}
	u, _ := url.Parse("https://alice:s3cret@prom:9090/")
	basic := base64.StdEncoding.EncodeToString([]byte("alice:s3cret"))
	got := String("echo: Authorization: Basic "+basic+" and s3cret", OfURL(u)...)
	if strings.Contains(got, basic) || strings.Contains(got, "s3cret") || strings.Count(got, Mask) != 2 {
		t.Errorf("basic form: %q", got)
	}
	if got := URL("https://alice:s3cret@prom:9090/x?q=1"); got != "https://"+Mask+"@prom:9090/x?q=1" {
		t.Errorf("URL() = %q", got)
	}
}

func TestUntrustedEscapesControlCharacters(t *testing.T) {
	in := "ok\nphasegen: forged line\r\x1b[31mred\x1b[0m \xff tok"
	got := Untrusted(in, "tok")
	want := `ok\nphasegen: forged line\r\x1b[31mred\x1b[0m \xff ` + Mask
	if got != want {
		t.Errorf("Untrusted() = %q, want %q", got, want)
	}
	if s := "plain text, ünïcode ✓"; Untrusted(s) != s {
		t.Errorf("printable text changed: %q", Untrusted(s))
	}
}

func TestClientRefusesCrossOriginRedirects(t *testing.T) {
	var leaked []string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaked = append(leaked, r.Header.Get("Authorization"))
	}))
	defer other.Close()
	same := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/away":
			http.Redirect(w, r, other.URL+"/x", http.StatusTemporaryRedirect)
		case "/here":
			http.Redirect(w, r, "/final", http.StatusTemporaryRedirect)
		default:
			fmt.Fprint(w, r.Header.Get("Authorization"))
		}
	}))
	defer same.Close()
	c := Client(nil)
	get := func(p string) (*http.Response, error) {
		req, _ := http.NewRequest(http.MethodGet, same.URL+p, nil)
		req.Header.Set("Authorization", "Bearer tok")
		return c.Do(req)
	}
	_, err := get("/away")
	if !IsRedirect(err) || !strings.Contains(err.Error(), "refusing a redirect") {
		t.Fatalf("cross-port redirect: err = %v", err)
	}
	if len(leaked) != 0 {
		t.Fatalf("the other port received %d requests", len(leaked))
	}
	resp, err := get("/here")
	if err != nil {
		t.Fatalf("same-origin redirect: %v", err)
	}
	resp.Body.Close()
	if resp.Request.URL.Path != "/final" {
		t.Errorf("same-origin redirect ended at %s", resp.Request.URL)
	}
	a, _ := url.Parse("https://h/")
	b, _ := url.Parse("http://h:443/")
	if SameOrigin(a, b) {
		t.Error("https and http on one port are not one origin")
	}
	d, _ := url.Parse("https://H:443/x")
	if !SameOrigin(a, d) {
		t.Error("default port and case should not matter")
	}
}
