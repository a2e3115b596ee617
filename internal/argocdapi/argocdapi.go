// Package argocdapi is a small client of Argo CD's REST API (the API server's
// grpc-gateway, /api/v1): it reads one Application with its status. It
// knows the server URL forms the argocd CLI takes, authenticates with a
// bearer token it never shows, and sorts Argo CD's answers into the
// failures a caller must report (a bad token, a missing Application) and
// those worth retrying (5xx, dropped connections, timeouts).
//
// Package argocd, by contrast, renders Application manifests.
package argocdapi

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/coditect/phasegen/internal/httpbody"
	"github.com/coditect/phasegen/internal/secret"
)

// ErrAuth is wrapped by answers 401 and 403: the token is wrong, expired,
// or lacks the applications, get permission, or the Application's namespace
// is not one Argo CD allows (asked without a project, Argo CD also answers
// 403 for an Application that does not exist, so as not to tell who may not
// see it; with one, 404).
var ErrAuth = errors.New("argo cd refused the token")

// ErrNoServer is returned without a server address.
var ErrNoServer = errors.New("no Argo CD server")

// ErrInsecureTransport is returned when skipping TLS verification is asked
// of an HTTP client whose transport is not an *http.Transport.
var ErrInsecureTransport = errors.New("argo cd: skipping TLS verification needs an HTTP client with a standard transport")

// ErrNotFound is wrapped by answers 404.
var ErrNotFound = errors.New("not found")

// Options configures a Client.
type Options struct {
	// Server is the API server: a bare host[:port] means https, as the
	// argocd CLI takes it; a URL with http:// or https:// is used as given
	// (a path prefix, for a server run with --rootpath, is kept).
	Server string
	// Token is sent as "Authorization: Bearer TOKEN" (ARGOCD_AUTH_TOKEN).
	Token string
	// Insecure skips TLS certificate verification.
	Insecure bool
	// HTTPClient sends the requests; default a client with a 30s timeout.
	HTTPClient *http.Client
}

// Client reads Applications from one Argo CD.
type Client struct {
	base  *url.URL
	token string
	hc    *http.Client
}

// New returns a Client for o.Server.
func New(o Options) (*Client, error) {
	base, err := ServerURL(o.Server)
	if err != nil {
		return nil, secret.Error(err, o.Token)
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	// Redirects stay on the server's origin, so the token goes nowhere else.
	hc := secret.Client(o.HTTPClient)
	if o.Insecure {
		var tr *http.Transport
		switch t := hc.Transport.(type) {
		case nil:
			tr = http.DefaultTransport.(*http.Transport).Clone()
		case *http.Transport:
			tr = t.Clone()
		default:
			return nil, ErrInsecureTransport
		}
		if tr.TLSClientConfig == nil {
			tr.TLSClientConfig = &tls.Config{}
		}
		tr.TLSClientConfig.InsecureSkipVerify = true
		hc.Transport = tr
	}
	return &Client{base: base, token: o.Token, hc: hc}, nil
}

// ServerURL turns an --argocd-server / ARGOCD_SERVER value into the API
// server's base URL: "argocd.example.com" and "argocd.example.com:8443" mean
// https; "http://..." and "https://..." are used as given.
func ServerURL(s string) (*url.URL, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, ErrNoServer
	}
	raw := s
	if !strings.HasPrefix(s, "http://") && !strings.HasPrefix(s, "https://") {
		if strings.Contains(s, "://") {
			return nil, fmt.Errorf("argo cd server %q: only http:// and https:// URLs, or a bare HOST[:PORT]", secret.URL(s))
		}
		raw = "https://" + s
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "":
		return nil, fmt.Errorf("argo cd server %q: want HOST[:PORT] or an http(s) URL", secret.URL(s))
	case u.User != nil:
		return nil, fmt.Errorf("argo cd server %q: credentials do not go in the URL (the token goes in ARGOCD_AUTH_TOKEN)", secret.URL(s))
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// String returns the server's base URL (it never holds the token).
func (c *Client) String() string { return c.base.String() }

// Query narrows an Application read.
type Query struct {
	// Refresh asks Argo CD to compare the Application with Git before it
	// answers: "normal" (or "hard"); "" for none.
	Refresh string
	// Project and AppNamespace are sent when not empty (project,
	// appNamespace): Argo CD then answers only for an Application in that
	// project, and looks for it in that namespace rather than its own.
	Project, AppNamespace string
}

// APIError is an answer other than 200, with Argo CD's error body
// ({"error", "code", "message"}, code being the gRPC status code).
type APIError struct {
	Method, URL string // URL without credentials (the token is a header)
	Status      int
	Code        int    // gRPC code from the body, 0 when absent
	Message     string // from the body, else the HTTP status text
	err         error  // ErrAuth, ErrNotFound or nil
}

func (e *APIError) Error() string {
	return fmt.Sprintf("argo cd %s %s: %d %s", e.Method, e.URL, e.Status, e.Message)
}

func (e *APIError) Unwrap() error { return e.err }

// Transient reports whether err is worth retrying: a 5xx, a 429, a dropped
// or refused connection, a timeout.
func Transient(err error) bool {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Status >= 500 || ae.Status == http.StatusTooManyRequests
	}
	if errors.Is(err, context.Canceled) || TLSError(err) || secret.IsRedirect(err) {
		return false
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	var ue *url.Error
	return errors.As(err, &ue)
}

// TLSError reports whether err is a failed TLS handshake: a certificate
// not trusted or not for that host, or an https request to a plain HTTP
// server. Retrying does not help; --insecure or an http:// URL may.
func TLSError(err error) bool {
	var cv *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var he x509.HostnameError
	var rh tls.RecordHeaderError
	return errors.As(err, &cv) || errors.As(err, &ua) || errors.As(err, &he) || errors.As(err, &rh) ||
		strings.Contains(err.Error(), "server gave HTTP response to HTTPS client")
}

// MaxBody is the most bytes of an Argo CD answer read.
const MaxBody = 32 << 20

// Application reads one Application: GET /api/v1/applications/{name}.
func (c *Client) Application(ctx context.Context, name string, q Query) (*Application, error) {
	app, err := c.application(ctx, name, q)
	return app, secret.Error(err, c.token)
}

func (c *Client) application(ctx context.Context, name string, q Query) (*Application, error) {
	v := url.Values{}
	if q.Refresh != "" {
		v.Set("refresh", q.Refresh)
	}
	body, shown, err := c.get(ctx, "/api/v1/applications/"+url.PathEscape(name), q, v)
	if err != nil {
		return nil, err
	}
	var app Application
	if err := json.Unmarshal(body, &app); err != nil {
		return nil, fmt.Errorf("argo cd GET %s: not an Application: %w", shown, err)
	}
	if app.Metadata.Name != name {
		return nil, fmt.Errorf("argo cd GET %s: the answer is Application %q, not %q: refusing to take another app's state for this one's", shown, secret.Untrusted(app.Metadata.Name, c.token), name)
	}
	// Every text of the answer is Argo CD's (or what it echoes): no token,
	// no control character reaches the output.
	secret.UntrustedFields(&app, c.token)
	return &app, nil
}

// get reads path under the server with the query v and q's project and
// appNamespace: the body of a 200 JSON answer, and the URL as shown.
func (c *Client) get(ctx context.Context, path string, q Query, v url.Values) ([]byte, string, error) {
	u := *c.base
	u.Path = c.base.Path + path
	if q.Project != "" {
		v.Set("project", q.Project)
	}
	if q.AppNamespace != "" {
		v.Set("appNamespace", q.AppNamespace)
	}
	u.RawQuery = v.Encode()
	shown := u.Redacted()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, shown, fmt.Errorf("argo cd GET %s: %w", shown, err)
	}
	req.Header.Set("Accept", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, shown, fmt.Errorf("argo cd GET %s: %w", shown, err)
	}
	defer resp.Body.Close()
	body, err := httpbody.Read(resp.Body, MaxBody)
	switch {
	case errors.Is(err, httpbody.ErrTooLarge):
		return nil, shown, fmt.Errorf("argo cd GET %s (HTTP %d): %w", shown, resp.StatusCode, err)
	case err != nil:
		return nil, shown, fmt.Errorf("argo cd GET %s: reading the answer: %w", shown, err)
	}
	if resp.StatusCode != http.StatusOK {
		e := apiError(shown, resp.StatusCode, body)
		e.Message = secret.Untrusted(e.Message, c.token)
		return nil, shown, e
	}
	if err := httpbody.NotJSON(body, resp.Header.Get("Content-Type")); err != nil {
		return nil, shown, fmt.Errorf("argo cd GET %s: %w", shown, secret.Error(err, c.token))
	}
	return body, shown, nil
}

func apiError(shown string, status int, body []byte) *APIError {
	e := &APIError{Method: http.MethodGet, URL: shown, Status: status, Message: http.StatusText(status)}
	var b struct {
		Error   string `json:"error"`
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &b) == nil {
		e.Code = b.Code
		if m := firstNonEmpty(b.Message, b.Error); m != "" {
			e.Message = m
		}
	}
	switch status {
	case http.StatusUnauthorized, http.StatusForbidden:
		e.err = ErrAuth
	case http.StatusNotFound:
		e.err = ErrNotFound
	}
	return e
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if strings.TrimSpace(x) != "" {
			return strings.TrimSpace(x)
		}
	}
	return ""
}
