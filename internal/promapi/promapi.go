// Package promapi is a small typed client of the Prometheus HTTP API's
// instant queries (POST /api/v1/query), which is all phasegen reads: every
// figure is one instant query, with a subquery over the window where it needs
// history. It bounds what it reads (a body over MaxBody is refused, a query
// over Timeout is cancelled), parses the API's NaN and ±Inf sample strings
// explicitly, retries what is transient (503, 429, 502, 504, the API's
// "timeout" and "unavailable" errors, dropped connections, timeouts) with
// backoff through an injected Sleep, sends the optional bearer token only in
// the Authorization header and never shows it or the URL's credentials.
package promapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"mime"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/coditect/phasegen/internal/httpbody"
	"github.com/coditect/phasegen/internal/retry"
	"github.com/coditect/phasegen/internal/secret"
)

// Defaults of Options.
const (
	DefaultTimeout     = 30 * time.Second
	DefaultMaxBody     = 8 << 20
	DefaultMaxAttempts = 4
	DefaultMaxWait     = time.Minute
)

// ErrNoURL is returned by New without a URL.
var ErrNoURL = errors.New("no Prometheus URL")

// promFloat is a sample value as Prometheus writes it.
var promFloat = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$`)

// ErrAuth is a 401 or 403 from the server: the token is missing or refused.
var ErrAuth = errors.New("authentication failed")

// Options configure a Client.
type Options struct {
	URL         string // the server's base URL, e.g. http://prometheus:9090 or a managed service's query root
	Token       string // sent as "Authorization: Bearer TOKEN" when not empty
	HTTPClient  *http.Client
	Timeout     time.Duration // per query attempt, also sent as the API's timeout parameter
	MaxBody     int64         // bytes of a response body read at most
	MaxAttempts int
	MaxWait     time.Duration // longest Retry-After honoured
	Sleep       func(ctx context.Context, d time.Duration) error
	Now         func() time.Time                 // the clock a Retry-After date is read against
	Logf        func(format string, args ...any) // retries and the API's warnings
	Rand        func() float64                   // jitter; tests make it constant
}

// Client queries one Prometheus server.
type Client struct {
	o       Options
	base    *url.URL // userinfo kept for basic auth, never printed
	display string
	queries atomic.Int64
}

// New checks the URL and returns a client.
func New(o Options) (*Client, error) {
	raw := strings.TrimSpace(o.URL)
	if raw == "" {
		return nil, ErrNoURL
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("prometheus URL %q is not an http(s) URL with a host", secret.URL(Display(raw), o.Token))
	}
	// Redirects stay on the server's origin: the bearer token or basic
	// auth goes nowhere else, and https never becomes http.
	o.HTTPClient = secret.Client(o.HTTPClient)
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxBody <= 0 {
		o.MaxBody = DefaultMaxBody
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.MaxWait <= 0 {
		o.MaxWait = DefaultMaxWait
	}
	if o.Sleep == nil {
		o.Sleep = retry.Sleep
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	if o.Rand == nil {
		o.Rand = rand.Float64
	}
	return &Client{o: o, base: u, display: Display(raw)}, nil
}

// Display is u without credentials: no userinfo, query or fragment.
func Display(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return "(an unparsable URL)"
	}
	u.User, u.RawQuery, u.Fragment, u.RawFragment, u.ForceQuery = nil, "", "", "", false
	return u.String()
}

// URL is the server's URL as it may be printed.
func (c *Client) URL() string { return c.display }

// Queries is the number of queries run (not attempts).
func (c *Client) Queries() int { return int(c.queries.Load()) }

// Sample is one element of an instant vector.
type Sample struct {
	Metric map[string]string
	Value  float64
}

// Result is the answer to an instant query.
type Result struct {
	Type   string   // "vector" or "scalar"
	Vector []Sample // a vector's elements
	Scalar float64
}

// QueryError is an error answer of the API, or a failure to get one.
type QueryError struct {
	URL, Query string
	Status     int    // HTTP status, 0 when none came
	ErrorType  string // the API's errorType
	Msg        string
	err        error
}

func (e *QueryError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "prometheus %s: ", e.URL)
	switch {
	case e.ErrorType != "":
		fmt.Fprintf(&b, "%s: %s", e.ErrorType, e.Msg)
	default:
		b.WriteString(e.Msg)
	}
	if e.Query != "" {
		fmt.Fprintf(&b, " (query: %s)", e.Query)
	}
	return b.String()
}

func (e *QueryError) Unwrap() error { return e.err }

// Query runs the instant query expr at time at.
func (c *Client) Query(ctx context.Context, expr string, at time.Time) (Result, error) {
	c.queries.Add(1)
	var res Result
	loop := retry.Loop{Attempts: c.o.MaxAttempts, Sleep: c.o.Sleep, OnRetry: func(n int, wait time.Duration, err error) {
		c.o.Logf("prometheus %s: %s; retrying in %s (attempt %d of %d)", c.display, oneLine(err, c), wait.Round(time.Millisecond), n+1, c.o.MaxAttempts)
	}}
	err := loop.Run(ctx, func(n int) (time.Duration, error) {
		var wait time.Duration
		var err error
		res, wait, err = c.attempt(ctx, expr, at, n)
		if err != nil && ctx.Err() != nil {
			return retry.Final, c.fail(expr, 0, fmt.Sprintf("cancelled: %v", ctx.Err()), ctx.Err())
		}
		return wait, err
	})
	var ex *retry.ExhaustedError
	var we *retry.WaitError
	var qe *QueryError
	switch {
	case errors.As(err, &we):
		return Result{}, c.fail(expr, 0, fmt.Sprintf("waiting to retry: %v", we.Err), we.Err)
	case errors.As(err, &ex) && errors.As(ex.Err, &qe):
		qe.Msg = fmt.Sprintf("giving up after %d attempts: %s", ex.Attempts, qe.Msg)
		return Result{}, qe
	case errors.As(err, &ex):
		return Result{}, ex.Err
	case err != nil:
		return Result{}, err
	}
	return res, nil
}

func oneLine(err error, c *Client) string {
	var qe *QueryError
	if errors.As(err, &qe) {
		if qe.ErrorType != "" {
			return qe.ErrorType + ": " + qe.Msg
		}
		return qe.Msg
	}
	return c.redact(err.Error())
}

func (c *Client) fail(expr string, status int, msg string, err error) *QueryError {
	return &QueryError{URL: c.display, Query: expr, Status: status, Msg: c.redact(msg), err: err}
}

// redact removes the token and the URL's credentials (in every form a
// server may echo them: as given, base64, a Basic header) from s, and
// escapes its control characters: s may be what the server wrote.
func (c *Client) redact(s string) string {
	if c.base.User != nil {
		s = strings.ReplaceAll(s, c.base.User.String()+"@", "")
	}
	return secret.Untrusted(s, c.secrets()...)
}

func (c *Client) secrets() []string {
	return append([]string{c.o.Token, c.base.RawQuery}, secret.OfURL(c.base)...)
}

// attempt runs one request. wait >= 0 means the failure is worth retrying
// after wait; wait < 0 means it is final.
func (c *Client) attempt(ctx context.Context, expr string, at time.Time, n int) (Result, time.Duration, error) {
	actx, cancel := context.WithTimeout(ctx, c.o.Timeout)
	defer cancel()
	form := url.Values{}
	form.Set("query", expr)
	form.Set("time", strconv.FormatFloat(float64(at.UnixMilli())/1000, 'f', -1, 64))
	form.Set("timeout", strconv.FormatInt(max(c.o.Timeout.Milliseconds(), 1), 10)+"ms")
	u := *c.base
	u.User = nil
	u.Path = strings.TrimSuffix(u.Path, "/") + "/api/v1/query"
	req, err := http.NewRequestWithContext(actx, http.MethodPost, u.String(), strings.NewReader(form.Encode()))
	if err != nil {
		return Result{}, -1, c.fail(expr, 0, err.Error(), err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "phasegen")
	if c.o.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.o.Token)
	} else if c.base.User != nil {
		p, _ := c.base.User.Password()
		req.SetBasicAuth(c.base.User.Username(), p)
	}
	resp, err := c.o.HTTPClient.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return Result{}, -1, c.fail(expr, 0, ctx.Err().Error(), err)
		}
		if actx.Err() != nil {
			return Result{}, c.backoff(n), c.fail(expr, 0, fmt.Sprintf("no answer within the %s query timeout", c.o.Timeout), err)
		}
		msg := "unreachable: " + transportCause(err)
		if transient(err) && !secret.IsRedirect(err) {
			return Result{}, c.backoff(n), c.fail(expr, 0, msg, err)
		}
		return Result{}, -1, c.fail(expr, 0, msg, err)
	}
	defer resp.Body.Close()
	body, err := httpbody.Read(resp.Body, c.o.MaxBody)
	if errors.Is(err, httpbody.ErrTooLarge) {
		return Result{}, -1, c.fail(expr, resp.StatusCode, fmt.Sprintf("%v (HTTP %d)", err, resp.StatusCode), nil)
	}
	if err != nil {
		if actx.Err() != nil && ctx.Err() == nil {
			return Result{}, c.backoff(n), c.fail(expr, resp.StatusCode, fmt.Sprintf("the answer did not arrive within the %s query timeout", c.o.Timeout), err)
		}
		return Result{}, c.backoff(n), c.fail(expr, resp.StatusCode, "reading the answer: "+transportCause(err), err)
	}
	return c.decode(expr, resp, body, n)
}

// apiResponse is the API's envelope.
type apiResponse struct {
	Status    string          `json:"status"`
	Data      json.RawMessage `json:"data"`
	ErrorType string          `json:"errorType"`
	Error     string          `json:"error"`
	Warnings  []string        `json:"warnings"`
}

func (c *Client) decode(expr string, resp *http.Response, body []byte, n int) (Result, time.Duration, error) {
	status := resp.StatusCode
	if status == http.StatusUnauthorized || status == http.StatusForbidden {
		return Result{}, -1, c.fail(expr, status, fmt.Sprintf("%v (HTTP %d): check PROMETHEUS_TOKEN", ErrAuth, status), ErrAuth)
	}
	retryable := status == http.StatusServiceUnavailable || status == http.StatusTooManyRequests ||
		status == http.StatusBadGateway || status == http.StatusGatewayTimeout
	var env apiResponse
	jerr := json.Unmarshal(body, &env)
	if jerr != nil || env.Status == "" {
		what := "an answer that is not the Prometheus API's JSON"
		if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt == "text/html" || looksHTML(body) {
			what = "an HTML page, not the Prometheus API's JSON (is the URL the server's query root?)"
		} else if jerr != nil {
			what += " (" + jerr.Error() + ")"
		}
		err := c.fail(expr, status, fmt.Sprintf("HTTP %d with %s", status, what), jerr)
		if retryable {
			return Result{}, c.waitOrSay(resp, n, err), err
		}
		return Result{}, -1, err
	}
	for _, w := range env.Warnings {
		c.o.Logf("prometheus %s: warning: %s", c.display, c.redact(w))
	}
	if env.Status != "success" {
		err := &QueryError{URL: c.display, Query: expr, Status: status, ErrorType: c.redact(env.ErrorType), Msg: c.redact(env.Error)}
		if err.ErrorType == "" {
			err.ErrorType = "error"
		}
		if retryable || env.ErrorType == "timeout" || env.ErrorType == "unavailable" {
			return Result{}, c.waitOrSay(resp, n, err), err
		}
		return Result{}, -1, err
	}
	if status != http.StatusOK {
		return Result{}, -1, c.fail(expr, status, fmt.Sprintf("HTTP %d with a success answer", status), nil)
	}
	res, err := parseData(env.Data, c.redact)
	if err != nil {
		return Result{}, -1, c.fail(expr, status, err.Error(), err)
	}
	return res, 0, nil
}

func looksHTML(b []byte) bool {
	s := strings.ToLower(strings.TrimSpace(string(b[:min(len(b), 512)])))
	return strings.HasPrefix(s, "<!doctype html") || strings.HasPrefix(s, "<html")
}

func parseData(raw json.RawMessage, redact func(string) string) (Result, error) {
	var d struct {
		ResultType string          `json:"resultType"`
		Result     json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		return Result{}, fmt.Errorf("the answer's data is not an object with resultType and result: %v", err)
	}
	switch d.ResultType {
	case "vector":
		var elems []struct {
			Metric map[string]string `json:"metric"`
			Value  json.RawMessage   `json:"value"`
		}
		if err := json.Unmarshal(d.Result, &elems); err != nil {
			return Result{}, fmt.Errorf("the vector answer is malformed: %v", err)
		}
		res := Result{Type: "vector", Vector: make([]Sample, 0, len(elems))}
		for _, e := range elems {
			v, err := parsePoint(e.Value)
			if err != nil {
				return Result{}, err
			}
			for k, lv := range e.Metric {
				e.Metric[k] = redact(lv) // label values are printed (pod names): credentials masked, escaped
			}
			res.Vector = append(res.Vector, Sample{Metric: e.Metric, Value: v})
		}
		return res, nil
	case "scalar":
		v, err := parsePoint(d.Result)
		if err != nil {
			return Result{}, err
		}
		return Result{Type: "scalar", Scalar: v}, nil
	case "":
		return Result{}, errors.New("the answer has no resultType")
	}
	return Result{}, fmt.Errorf("the answer is a %q where an instant vector or scalar was expected", d.ResultType)
}

// parsePoint reads [unix seconds, "value"]. Prometheus writes NaN, +Inf and
// -Inf as those strings.
func parsePoint(raw json.RawMessage) (float64, error) {
	var p []json.RawMessage
	if err := json.Unmarshal(raw, &p); err != nil || len(p) != 2 {
		return 0, fmt.Errorf("a sample is not [time, \"value\"]: %s", truncate(string(raw), 60))
	}
	var s string
	if err := json.Unmarshal(p[1], &s); err != nil {
		return 0, fmt.Errorf("a sample value is not a string: %s", truncate(string(p[1]), 60))
	}
	switch s {
	case "NaN":
		return math.NaN(), nil
	case "+Inf":
		return math.Inf(1), nil
	case "-Inf":
		return math.Inf(-1), nil
	}
	// Only the forms Prometheus writes (strconv's 'f', or 'e' for the very
	// small and large): Go would also read 1_000 and 0x1p4.
	if !promFloat.MatchString(s) {
		return 0, fmt.Errorf("a sample value %q is not a number as Prometheus writes one", truncate(s, 60))
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, fmt.Errorf("a sample value %q is not a number", truncate(s, 60))
	}
	return v, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// waitOrSay is retryAfter; when the wait asked for is too long, err says so.
func (c *Client) waitOrSay(resp *http.Response, n int, err *QueryError) time.Duration {
	w := c.retryAfter(resp, n)
	if w < 0 {
		err.Msg += fmt.Sprintf(" (Retry-After %s is longer than the %s phasegen waits)", resp.Header.Get("Retry-After"), c.o.MaxWait)
	}
	return w
}

// retryAfter is the wait the response asks for, or backoff; over MaxWait it
// is final.
func (c *Client) retryAfter(resp *http.Response, attempt int) time.Duration {
	wait, ok := retry.After(resp.Header.Get("Retry-After"), c.o.Now())
	if !ok {
		return c.backoff(attempt)
	}
	if wait > c.o.MaxWait {
		return retry.Final
	}
	return max(wait, 0) + retry.Backoff{Rand: c.o.Rand}.Jitter(250*time.Millisecond)
}

// backoff is from 1s, doubling to 16s, with jitter over its upper half;
// attempts are few and the per-query timeout bounds each.
func (c *Client) backoff(attempt int) time.Duration {
	return retry.Backoff{Base: time.Second, Max: 16 * time.Second, Rand: c.o.Rand}.Delay(attempt)
}

func transportCause(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return err.Error()
}

// transient reports whether a transport error is worth retrying.
func transient(err error) bool {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
