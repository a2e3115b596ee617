// Package httpbody bounds what phasegen reads of an HTTP answer: a body
// over its cap is refused as cut, never read whole into memory, and an
// answer that is not JSON where JSON was asked for says so, whatever the
// server's Content-Length or a size field inside the answer claims.
package httpbody

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
)

// ErrTooLarge is wrapped by errors of a body over its cap.
var ErrTooLarge = errors.New("the answer is too large")

// TooLargeError is a body that went over Max bytes: what was read is cut.
type TooLargeError struct{ Max int64 }

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("the answer is larger than %s: cut there, refusing to read it", size(e.Max))
}

func (e *TooLargeError) Unwrap() error { return ErrTooLarge }

func size(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// Read reads r to its end, at most max bytes: more is a *TooLargeError.
func Read(r io.Reader, max int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return b, err
	}
	if int64(len(b)) > max {
		return b[:max], &TooLargeError{Max: max}
	}
	return b, nil
}

// NotJSON returns an error when body, answered with contentType, cannot be
// JSON: an HTML page (a proxy's login or error page) or any other text.
// It names the Content-Type and the first characters, escaped.
func NotJSON(body []byte, contentType string) error {
	t := bytes.TrimLeft(body, " \t\r\n\ufeff")
	mt, _, _ := mime.ParseMediaType(contentType)
	if len(t) > 0 && (t[0] == '{' || t[0] == '[') && !strings.HasPrefix(mt, "text/html") {
		return nil
	}
	start := string(t[:min(len(t), 40)])
	if len(t) == 0 {
		return fmt.Errorf("the answer is not JSON: it is empty (Content-Type %q)", contentType)
	}
	return fmt.Errorf("the answer is not JSON (Content-Type %q, beginning %q)", contentType, start)
}

// Transport caps the body of every answer at Max bytes: reading past it
// fails with a *TooLargeError (so a JSON decoder stops there).
type Transport struct {
	Next http.RoundTripper
	Max  int64
}

// RoundTrip implements http.RoundTripper.
func (t Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.Next.RoundTrip(req)
	if err != nil || resp.Body == nil {
		return resp, err
	}
	resp.Body = &capped{rc: resp.Body, left: t.Max, max: t.Max}
	return resp, nil
}

type capped struct {
	rc   io.ReadCloser
	left int64
	max  int64
}

func (c *capped) Read(p []byte) (int, error) {
	if c.left <= 0 {
		// One byte more tells a body of exactly max from a longer one.
		var one [1]byte
		n, err := c.rc.Read(one[:])
		if n > 0 {
			return 0, &TooLargeError{Max: c.max}
		}
		return 0, err
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.rc.Read(p)
	c.left -= int64(n)
	return n, err
}

func (c *capped) Close() error { return c.rc.Close() }
