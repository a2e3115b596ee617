package githubfake

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// FaultKind is how an injected fault answers.
type FaultKind int

// Fault kinds.
const (
	// Status answers Fault.Status (default 502) with a JSON message.
	Status FaultKind = iota + 1
	// SecondaryRateLimit answers 403 with Retry-After and a message
	// containing "secondary rate limit", as GitHub does.
	SecondaryRateLimit
	// TooManyRequests answers 429 with Retry-After.
	TooManyRequests
	// PrimaryRateLimit answers 403 with X-RateLimit-Remaining: 0 and
	// X-RateLimit-Reset set to Fault.Reset.
	PrimaryRateLimit
	// Drop closes the connection without any answer.
	Drop
)

func (k FaultKind) String() string {
	switch k {
	case Status:
		return "status"
	case SecondaryRateLimit:
		return "secondary rate limit"
	case TooManyRequests:
		return "too many requests"
	case PrimaryRateLimit:
		return "primary rate limit"
	case Drop:
		return "dropped connection"
	}
	return "unknown fault"
}

// Fault makes one call of a route fail once.
type Fault struct {
	Route string    // method and route pattern, e.g. "POST git/commits" (see Call.Key)
	Nth   int       // fail the Nth call of Route counted from when the fault is injected (0 or 1 = the next one)
	Kind  FaultKind // how to fail
	// Status for Kind Status; default 502.
	Status int
	// RetryAfter for SecondaryRateLimit (default 60s) and TooManyRequests
	// (default 1s); sent in whole seconds.
	RetryAfter time.Duration
	// Reset for PrimaryRateLimit; default one hour after the server's clock.
	Reset time.Time
	// AfterWrite performs the request first (its writes happen) and then
	// fails the answer: the case where a write succeeded but its response
	// was lost.
	AfterWrite bool
}

func (f *Fault) describe() string {
	when := "before"
	if f.AfterWrite {
		when = "after"
	}
	return fmt.Sprintf("%s %s the write", f.Kind, when)
}

type faultState struct {
	Fault
	remaining int // calls of Route still to pass before this one fires
	fired     bool
}

// Inject arms f. Several faults may be armed for the same route.
func (s *Server) Inject(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := f.Nth
	if n < 1 {
		n = 1
	}
	s.faults = append(s.faults, &faultState{Fault: f, remaining: n - 1})
}

// Unfired returns the armed faults that have not fired yet, so a test can
// check its faults were really exercised.
func (s *Server) Unfired() []Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Fault
	for _, f := range s.faults {
		if !f.fired {
			out = append(out, f.Fault)
		}
	}
	return out
}

// takeFault counts a call of key and returns the fault that fires on it, if
// any. Called with s.mu held.
func (s *Server) takeFault(key string) *Fault {
	s.seen[key]++
	var fire *Fault
	for _, f := range s.faults {
		if f.fired || f.Route != key {
			continue
		}
		if f.remaining > 0 {
			f.remaining--
			continue
		}
		if fire == nil {
			f.fired = true
			fire = &f.Fault
		}
	}
	return fire
}

// faultResponse builds the answer of f (not for Drop). Called with s.mu held.
func (s *Server) faultResponse(f *Fault) response {
	switch f.Kind {
	case SecondaryRateLimit:
		ra := f.RetryAfter
		if ra <= 0 {
			ra = time.Minute
		}
		resp := jsonResponse(http.StatusForbidden, map[string]string{
			"message":           "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
			"documentation_url": "https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
		})
		resp.header = http.Header{"Retry-After": {seconds(ra)}}
		return resp
	case TooManyRequests:
		ra := f.RetryAfter
		if ra <= 0 {
			ra = time.Second
		}
		resp := errorResponse(http.StatusTooManyRequests, "Too Many Requests")
		resp.header = http.Header{"Retry-After": {seconds(ra)}}
		return resp
	case PrimaryRateLimit:
		reset := f.Reset
		if reset.IsZero() {
			reset = s.opts.Now().Add(time.Hour)
		}
		resp := jsonResponse(http.StatusForbidden, map[string]string{
			"message":           "API rate limit exceeded for user ID 1.",
			"documentation_url": "https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting",
		})
		resp.header = http.Header{
			"X-Ratelimit-Limit":     {"5000"},
			"X-Ratelimit-Remaining": {"0"},
			"X-Ratelimit-Used":      {"5000"},
			"X-Ratelimit-Reset":     {strconv.FormatInt(reset.Unix(), 10)},
			"X-Ratelimit-Resource":  {"core"},
		}
		return resp
	default:
		st := f.Status
		if st == 0 {
			st = http.StatusBadGateway
		}
		return errorResponse(st, http.StatusText(st))
	}
}

func seconds(d time.Duration) string {
	n := int64((d + time.Second - 1) / time.Second)
	return strconv.FormatInt(n, 10)
}
