package github

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/google/go-github/v62/github"

	"github.com/coditect/phasegen/internal/gitops"
	"github.com/coditect/phasegen/internal/retry"
)

// Headers the transport moves the rate-limit timing headers to. go-github
// remembers Retry-After and X-RateLimit-Reset and then refuses requests
// locally until that moment on the wall clock; this package does its own
// waiting through Options.Sleep and Options.Now, so it keeps the values out
// of go-github's sight and reads them back from these headers.
const (
	hdrRetryAfter = "X-Phasegen-Retry-After"
	hdrReset      = "X-Phasegen-Ratelimit-Reset"
)

type rateHeaderTransport struct{ next http.RoundTripper }

func (rt rateHeaderTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := rt.next.RoundTrip(req)
	if err != nil || resp == nil {
		return resp, err
	}
	for from, to := range map[string]string{"Retry-After": hdrRetryAfter, "X-Ratelimit-Reset": hdrReset} {
		if v := resp.Header.Get(from); v != "" {
			resp.Header.Del(from)
			resp.Header.Set(to, v)
		}
	}
	return resp, nil
}

// call runs fn until it succeeds, fails for good, or runs out of attempts,
// waiting between attempts as the failure asks. op names the step for errors
// and log lines ("creating tree").
func (t *Repo) call(ctx context.Context, op string, fn func() (*github.Response, error)) error {
	var reason string
	loop := retry.Loop{Attempts: t.maxAttempts, Sleep: t.sleep, OnRetry: func(n int, wait time.Duration, _ error) {
		t.logf("github: %s: %s; retrying in %s (attempt %d of %d)", op, reason, wait.Round(time.Millisecond), n+1, t.maxAttempts)
	}}
	err := loop.Run(ctx, func(n int) (time.Duration, error) {
		resp, err := fn()
		if err == nil {
			return 0, nil
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			return retry.Final, fmt.Errorf("%s: %w", op, ctxErr)
		}
		wait, why, ferr := t.classify(resp, err, n)
		if ferr != nil {
			return retry.Final, fmt.Errorf("%s: %w", op, ferr)
		}
		reason = why
		return wait, err
	})
	var ex *retry.ExhaustedError
	var we *retry.WaitError
	switch {
	case errors.As(err, &ex):
		return fmt.Errorf("%s: giving up after %d attempts: %w", op, ex.Attempts, ex.Err)
	case errors.As(err, &we):
		return fmt.Errorf("%s: waiting to retry: %w", op, we.Err)
	}
	return err
}

// classify decides what a failed call means: retry after wait (reason says
// why), or fail with ferr.
func (t *Repo) classify(resp *github.Response, err error, attempt int) (wait time.Duration, reason string, ferr error) {
	status := 0
	var h http.Header
	if resp != nil && resp.Response != nil {
		status, h = resp.StatusCode, resp.Header
	}
	var er *github.ErrorResponse
	switch {
	case status == http.StatusUnauthorized:
		return 0, "", fmt.Errorf("%w (%s): %w", ErrAuth, t.credentials(), err)
	case status == http.StatusNotFound && strings.Contains(apiMessage(err), "No commit found for the ref"):
		// The contents API names a missing branch this way.
		return 0, "", fmt.Errorf("%w: %w", gitops.ErrNoBranch, err)
	case status == http.StatusNotFound:
		return 0, "", fmt.Errorf("%w: %w", gitops.ErrNotFound, err)
	case status == http.StatusForbidden && h.Get("X-Ratelimit-Remaining") == "0":
		reset, ok := unixHeader(h.Get(hdrReset))
		if !ok {
			var rl *github.RateLimitError
			if errors.As(err, &rl) && !rl.Rate.Reset.IsZero() {
				reset, ok = rl.Rate.Reset.Time, true
			}
		}
		if !ok {
			return 0, "", fmt.Errorf("%w (no reset time given): %w", ErrRateLimited, plainError(resp, err))
		}
		until := reset.Sub(t.now())
		if until > t.maxWait {
			return 0, "", fmt.Errorf("%w until %s (in %s, longer than the %s max wait): %w",
				ErrRateLimited, reset.UTC().Format(time.RFC3339), until.Round(time.Second), t.maxWait, plainError(resp, err))
		}
		// One second past the reset: GitHub's reset is rounded to seconds.
		return max(until, 0) + time.Second, "primary rate limit exhausted until " + reset.UTC().Format(time.RFC3339), nil
	case status == http.StatusForbidden && isSecondary(h, err):
		return t.retryAfter(h, err, "secondary rate limit", time.Minute)
	case status == http.StatusTooManyRequests:
		return t.retryAfter(h, err, "429 too many requests", t.backoff(attempt))
	case status >= 500:
		return t.backoff(attempt), fmt.Sprintf("%d %s", status, http.StatusText(status)), nil
	case status == 0 && transient(err):
		return t.backoff(attempt), "connection failed: " + err.Error(), nil
	case errors.As(err, &er) && status == http.StatusForbidden:
		return 0, "", fmt.Errorf("%w (does the token have contents and pull-requests write access?): %w", ErrForbidden, err)
	}
	return 0, "", err
}

// retryAfter waits as the Retry-After header asks (def when absent), up to
// max(MaxWait, 1m).
func (t *Repo) retryAfter(h http.Header, err error, what string, def time.Duration) (time.Duration, string, error) {
	wait := def
	if v := h.Get(hdrRetryAfter); v != "" {
		if d, ok := retry.After(v, t.now()); ok {
			wait = d
		}
	} else if reset, ok := unixHeader(h.Get(hdrReset)); ok {
		wait = reset.Sub(t.now())
	}
	limit := max(t.maxWait, time.Minute)
	if wait > limit {
		return 0, "", fmt.Errorf("%w: %s asks to retry after %s, longer than %s: %w",
			ErrRateLimited, what, wait.Round(time.Second), limit, err)
	}
	wait = max(wait, 0) + t.jitter(time.Second)
	return wait, what, nil
}

func isSecondary(h http.Header, err error) bool {
	var ab *github.AbuseRateLimitError
	if errors.As(err, &ab) {
		return true
	}
	var er *github.ErrorResponse
	if errors.As(err, &er) && strings.Contains(strings.ToLower(er.Message), "secondary rate limit") {
		return true
	}
	return h.Get(hdrRetryAfter) != ""
}

func unixHeader(v string) (time.Time, bool) {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n <= 0 {
		return time.Time{}, false
	}
	return time.Unix(n, 0), true
}

// backoff is exponential from 500ms, capped at 30s, with jitter over its
// upper half.
func (t *Repo) backoff(attempt int) time.Duration {
	return retry.Backoff{Base: 500 * time.Millisecond, Max: 30 * time.Second, Rand: t.rand}.Delay(attempt)
}

func (t *Repo) jitter(d time.Duration) time.Duration {
	return retry.Backoff{Rand: t.rand}.Jitter(d)
}

// transient reports whether a transport error is worth retrying: the
// connection dropped, was reset or refused, or timed out.
func transient(err error) bool {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.EPIPE) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	msg := err.Error()
	for _, s := range []string{"connection reset", "broken pipe", "EOF", "server closed", "connection refused"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// apiMessage returns the message of a GitHub error and of its detailed
// errors ("Validation Failed: A pull request already exists for o:b.").
func apiMessage(err error) string {
	var er *github.ErrorResponse
	if !errors.As(err, &er) {
		return ""
	}
	parts := []string{er.Message}
	for _, e := range er.Errors {
		parts = append(parts, e.Message)
	}
	return strings.Join(parts, ": ")
}

// unprocessable reports whether err is a 422 whose message contains text.
func unprocessable(err error, text string) bool {
	var er *github.ErrorResponse
	return errors.As(err, &er) && er.Response != nil &&
		er.Response.StatusCode == http.StatusUnprocessableEntity &&
		strings.Contains(strings.ToLower(apiMessage(err)), strings.ToLower(text))
}

// textError gives err another text, keeping it in the chain.
type textError struct {
	text string
	err  error
}

func (e *textError) Error() string { return e.text }
func (e *textError) Unwrap() error { return e.err }

// plainError states a rate-limit answer as "METHOD URL: status message".
// go-github's own text adds the time to the reset measured on the wall
// clock from a header this package hides from it (see rateHeaderTransport).
func plainError(resp *github.Response, err error) error {
	if resp == nil || resp.Response == nil || resp.Request == nil {
		return err
	}
	msg := http.StatusText(resp.StatusCode)
	var rl *github.RateLimitError
	if errors.As(err, &rl) && rl.Message != "" {
		msg = rl.Message
	}
	return &textError{text: fmt.Sprintf("%s %s: %d %s", resp.Request.Method, resp.Request.URL.Redacted(), resp.StatusCode, msg), err: err}
}

// credentials says which credentials a 401 refused.
func (t *Repo) credentials() string {
	switch {
	case t.app != nil:
		return "the App's installation token was refused: revoked, or this machine's clock is off"
	case t.secrets[0] == "":
		return "no token was given: set GITHUB_TOKEN or GH_TOKEN"
	}
	return "bad or expired GITHUB_TOKEN/GH_TOKEN"
}
