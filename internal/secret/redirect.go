package secret

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// MaxRedirects is how many redirects within one origin a client follows.
const MaxRedirects = 10

// RedirectError is a redirect a client refused to follow because it led to
// another origin (scheme, host or port) than the request it answered, or
// one too many of a loop.
type RedirectError struct {
	From, To string // without credentials
	// Loop: the redirects went on past MaxRedirects (retrying would loop
	// again).
	Loop bool
}

func (e *RedirectError) Error() string {
	if e.Loop {
		return fmt.Sprintf("stopped after %d redirects from %s (last to %s): a redirect loop", MaxRedirects, e.From, e.To)
	}
	return fmt.Sprintf("refusing a redirect from %s to %s: another scheme, host or port would receive the credentials (use that address directly if it is the right one)", e.From, e.To)
}

// Client returns a copy of hc (a new client when nil) that follows a
// redirect only within the origin of the request it answers: one to another
// scheme, host or port is refused with a RedirectError, so no credential
// the client sends (a bearer token, basic auth, whatever a transport adds
// per request) reaches another origin, and https never downgrades to http.
func Client(hc *http.Client) *http.Client {
	c := &http.Client{}
	if hc != nil {
		*c = *hc
	}
	prev := c.CheckRedirect
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		from := via[len(via)-1].URL
		if !SameOrigin(via[0].URL, req.URL) {
			return &RedirectError{From: URL(from.String()), To: URL(req.URL.String())}
		}
		if prev != nil {
			return prev(req, via)
		}
		if len(via) >= MaxRedirects {
			return &RedirectError{From: URL(via[0].URL.String()), To: URL(req.URL.String()), Loop: true}
		}
		return nil
	}
	return c
}

// IsRedirect reports whether err is a refused redirect (never worth
// retrying).
func IsRedirect(err error) bool {
	var re *RedirectError
	return errors.As(err, &re)
}

// SameOrigin reports whether a and b have one scheme, host and port (the
// scheme's default port when none is written).
func SameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) &&
		strings.EqualFold(a.Hostname(), b.Hostname()) &&
		port(a) == port(b)
}

func port(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	switch strings.ToLower(u.Scheme) {
	case "http":
		return "80"
	case "https":
		return "443"
	}
	_, p, _ := net.SplitHostPort(u.Host)
	return p
}
