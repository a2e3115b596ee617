// Package retry runs a network call again when it fails for a reason worth
// retrying: one loop, one exponential backoff with jitter, one reading of
// Retry-After, and one sleep, for the GitHub, Argo CD and Prometheus
// clients. Each client keeps its own notion of what is transient; the time
// it waits always goes through an injected sleep, and the time it reads
// through an injected clock, so tests never wait.
package retry

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Sleep waits for d or until ctx ends: the real clock's sleep, the default
// of every injected one.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Backoff is an exponential backoff with jitter over its upper half:
// attempt n waits between d/2 and d, d = min(Base·2^(n-1), Max).
type Backoff struct {
	Base, Max time.Duration
	// Rand returns a number in [0, 1); math/rand/v2 when nil.
	Rand func() float64
}

// Delay is the wait after failed attempt n (1 for the first).
func (b Backoff) Delay(n int) time.Duration {
	d := b.Base << min(max(n-1, 0), 16)
	if d <= 0 || d > b.Max {
		d = b.Max
	}
	return d/2 + b.Jitter(d/2)
}

// Jitter is a random duration in [0, d).
func (b Backoff) Jitter(d time.Duration) time.Duration {
	r := b.Rand
	if r == nil {
		r = rand.Float64
	}
	return time.Duration(r() * float64(d))
}

// After reads a Retry-After header value at now: seconds, or an HTTP date.
// ok is false when v is empty or neither.
func After(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second, true
	}
	if at, err := http.ParseTime(v); err == nil {
		return at.Sub(now), true
	}
	return 0, false
}

// Final is what an attempt returns as its wait when its failure is not
// worth retrying.
const Final time.Duration = -1

// Loop runs attempts.
type Loop struct {
	// Attempts bounds the tries (at least 1).
	Attempts int
	// Sleep waits between attempts; Sleep (this package's) when nil.
	Sleep func(ctx context.Context, d time.Duration) error
	// OnRetry, when set, is told of each retry before its wait: the
	// attempt that failed, the wait, and its error.
	OnRetry func(attempt int, wait time.Duration, err error)
}

// ExhaustedError is the last failure of a call whose attempts ran out.
type ExhaustedError struct {
	Attempts int
	Err      error
}

func (e *ExhaustedError) Error() string {
	return fmt.Sprintf("giving up after %d attempts: %v", e.Attempts, e.Err)
}

func (e *ExhaustedError) Unwrap() error { return e.Err }

// WaitError is a wait between attempts that ctx ended.
type WaitError struct{ Err, Last error }

func (e *WaitError) Error() string { return "waiting to retry: " + e.Err.Error() }

func (e *WaitError) Unwrap() error { return e.Err }

// Run calls try (with the attempt's number, from 1) until it returns a nil
// error, a Final failure (returned as it is), or the attempts run out (an
// *ExhaustedError wrapping the last failure); try returns how long to wait
// before the next attempt. A ctx that ends stops the loop: during a wait
// with a *WaitError, after an attempt with the attempt's own error.
func (l Loop) Run(ctx context.Context, try func(attempt int) (time.Duration, error)) error {
	sleep := l.Sleep
	if sleep == nil {
		sleep = Sleep
	}
	for n := 1; ; n++ {
		wait, err := try(n)
		switch {
		case err == nil:
			return nil
		case ctx.Err() != nil, wait < 0:
			return err
		case n >= max(l.Attempts, 1):
			return &ExhaustedError{Attempts: n, Err: err}
		}
		if l.OnRetry != nil {
			l.OnRetry(n, wait, err)
		}
		if serr := sleep(ctx, wait); serr != nil {
			return &WaitError{Err: serr, Last: err}
		}
	}
}

// IsFinal reports whether err came from a Final attempt rather than from
// running out of attempts or time.
func IsFinal(err error) bool {
	var ex *ExhaustedError
	var we *WaitError
	return !errors.As(err, &ex) && !errors.As(err, &we)
}
