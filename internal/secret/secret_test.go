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

// A server may echo a token inside a longer string and then encode it
// (base64 of "Bearer TOKEN", at any offset), or percent-encode it: every
// such form is masked.
func TestStringMasksEncodedForms(t *testing.T) {
	tok := "ghs_phasegenInstallationTOKEN0123456789"
	for _, prefix := range []string{"Bearer ", "x", "xy", "x-access-token:", ""} {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding} {
			echoed := enc.EncodeToString([]byte(prefix + tok + " trailing"))
			got := String("server says: "+echoed, tok)
			core := enc.EncodeToString([]byte(tok[3:21]))
			if strings.Contains(got, core) || !strings.Contains(got, Mask) {
				t.Errorf("%q + token, %v: %q", prefix, enc == base64.URLEncoding, got)
			}
		}
	}
	sp := "tok/en+with space&more"
	for _, echoed := range []string{url.QueryEscape(sp), url.PathEscape(sp)} {
		if got := String("echo "+echoed, sp); strings.Contains(got, echoed) {
			t.Errorf("percent-encoded: %q", got)
		}
	}
}

// Credentials in a value phasegen echoes back: a HOST:PORT with userinfo
// and no scheme, a query parameter named like a credential.
func TestStringMasksURLishValues(t *testing.T) {
	for in, want := range map[string]string{
		`argo cd server "admin:pw@argocd.example:8080": want HOST[:PORT]`: `argo cd server "` + Mask + `@argocd.example:8080": want HOST[:PORT]`,
		"github api url admin:hunter2@ghe.example/api/v3: not absolute":   "github api url " + Mask + "@ghe.example/api/v3: not absolute",
		"https://prom/api?auth_token=abc123&q=up":                         "https://prom/api?auth_token=" + Mask + "&q=up",
		"GET /x?X-Amz-Signature=deadbeef;session=s1&page=2":               "GET /x?X-Amz-Signature=" + Mask + ";session=" + Mask + "&page=2",
		"mail phasegen@users.noreply.github.com and git@github.com:o/r":   "mail phasegen@users.noreply.github.com and git@github.com:o/r",
	} {
		if got := String(in); got != want {
			t.Errorf("String(%q)\n = %q\nwant %q", in, got, want)
		}
	}
}
