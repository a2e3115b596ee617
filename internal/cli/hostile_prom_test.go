package cli_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coditect/phasegen/internal/cli"
)

const promCanary = "prom_phasegenTOKENcanary0123456789"

// TestPrometheusHostileAnswers is acceptance 3: each hostile answer of a
// fake Prometheus ends status and tune --write with exit 1 and a one-line
// cause, writes nothing, keeps the token out of every output, and takes
// bounded time (a hung connection is cut by --query-timeout; waits are
// injected, so nothing sleeps).
func TestPrometheusHostileAnswers(t *testing.T) {
	release := make(chan struct{})
	vector := func(v string) string {
		return `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1764460800,"` + v + `"]}]}}`
	}
	cases := []struct {
		name    string
		handler http.HandlerFunc
		want    []string // in the cause
		retried bool
	}{
		{"invalid JSON", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"status":"success","data":{"resultType":"vector","result":[`)
		}, []string{"not the Prometheus API's JSON", "query: "}, false},
		{"HTML error page", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, "<!DOCTYPE html>\n<html><head><title>Sign in</title></head>\n<body><form>…</form></body></html>\n")
		}, []string{"HTTP 200 with an HTML page"}, false},
		{"NaN", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, vector("NaN")) }, []string{"the answer is NaN, not a number", "query: "}, false},
		{"+Inf", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, vector("+Inf")) }, []string{"the answer is +Inf, not a number"}, false},
		{"10 MB body", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"pad":"`)
			chunk := bytes.Repeat([]byte("x"), 1<<20)
			for i := 0; i < 10; i++ {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
			fmt.Fprint(w, `"},"value":[1,"1"]}]}}`)
		}, []string{"larger than 8 MiB"}, false},
		{"hung connection", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-release:
			}
		}, []string{"no answer within the 100ms query timeout", "giving up after 4 attempts"}, true},
		{"503 with Retry-After", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "7")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(w, `{"status":"error","errorType":"unavailable","error":"too many concurrent queries"}`)
		}, []string{"unavailable: giving up after 4 attempts: too many concurrent queries"}, true},
		{"wrong resultType", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"1"]]}]}}`)
		}, []string{`the answer is a "matrix" where an instant vector or scalar was expected`}, false},
		{"error echoing the token", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"status":"error","errorType":"bad_data","error":"invalid parameter (header was %s)"}`, r.Header.Get("Authorization"))
		}, []string{"bad_data: invalid parameter", "[REDACTED]", "query: min_over_time("}, false},
		{"401", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, "unauthorized\n")
		}, []string{"authentication failed (HTTP 401): check PROMETHEUS_TOKEN"}, false},
	}
	defer close(release)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var mu sync.Mutex
			var auth []string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				auth = append(auth, r.Header.Get("Authorization"))
				mu.Unlock()
				// Read the query as Prometheus does; the server notices a
				// client that gives up only once the body is read.
				if err := r.ParseForm(); err != nil || r.PostForm.Get("query") == "" {
					http.Error(w, "no query", http.StatusBadRequest)
					return
				}
				c.handler(w, r)
			}))
			defer srv.Close()
			for _, cmd := range []string{"status", "tune"} {
				// Only the hung connection is meant to meet the query
				// timeout; the others get one no loaded machine reaches
				// (writing 10 MB under the race detector can take longer
				// than 100ms, which would turn the size cap into a timeout).
				timeout := "30s"
				if c.name == "hung connection" {
					timeout = "100ms"
				}
				sleeps := hostileRun(t, cmd, srv.URL, timeout, c.want)
				if c.retried != (len(sleeps) == 3) {
					t.Errorf("%s: waited %v; retried should be %v", cmd, sleeps, c.retried)
				}
				if c.name == "503 with Retry-After" {
					for _, d := range sleeps {
						if d < 7*time.Second || d > 8*time.Second {
							t.Errorf("%s: waited %s, want the 7s Retry-After asks", cmd, d)
						}
					}
				}
			}
			mu.Lock()
			defer mu.Unlock()
			for _, a := range auth {
				if a != "Bearer "+promCanary {
					t.Errorf("Authorization %q, want the bearer token", a)
				}
			}
		})
	}
}

// hostileRun runs cmd (status, or tune --write) against url, expects exit
// 1 with a one-line cause holding want, nothing written and no token in the
// output, and returns the waits it asked for.
func hostileRun(t *testing.T, cmd, url, timeout string, want []string) []time.Duration {
	t.Helper()
	dir := promRepo(t, nil)
	before := snapshot(t, dir)
	var sleeps []time.Duration
	a := cli.NewTestApp(t, map[string]string{"PROMETHEUS_TOKEN": promCanary})
	a.HTTPClient, a.Now = &http.Client{Timeout: 30 * time.Second}, func() time.Time { return historyEnd }
	a.Sleep = func(ctx context.Context, d time.Duration) error { sleeps = append(sleeps, d); return ctx.Err() }
	out, errb := a.Out, a.Err
	args := []string{cmd, "production", "--prometheus", url, "--query-timeout", timeout, "--at", at(),
		"--config", filepath.Join(dir, "environments"), "--templates", filepath.Join(dir, "templates"), "--overlays", filepath.Join(dir, "overlays")}
	if cmd == "tune" {
		args = append(args, "--write")
	}
	start := time.Now()
	code := a.Run(args...)
	if el := time.Since(start); el > time.Minute { // a hang guard, not a speed target
		t.Errorf("%s took %s", cmd, el)
	}
	stderr := errb.String()
	lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
	cause := lines[len(lines)-1]
	if code != cli.ExitError || out.Len() != 0 || !strings.HasPrefix(cause, "phasegen "+cmd+": prometheus ") {
		t.Fatalf("%s: exit %d, want 1 with a cause on the last line\nstdout: %.300s\nstderr: %s", cmd, code, out.String(), stderr)
	}
	for _, w := range want {
		if !strings.Contains(cause, w) {
			t.Errorf("%s: the cause lacks %q:\n%s", cmd, w, cause)
		}
	}
	if strings.Contains(stderr, promCanary) || strings.Contains(stderr, promCanary[5:20]) {
		t.Errorf("%s: stderr shows the token:\n%s", cmd, stderr)
	}
	sameFiles(t, before, snapshot(t, dir))
	return sleeps
}

// TestPrometheusUnreachable: a closed port is retried, then named without
// the URL's credentials.
func TestPrometheusUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	for _, cmd := range []string{"status", "tune"} {
		dir := promRepo(t, nil)
		code, out, errs := runIn(t, dir, map[string]string{"PROMETHEUS_URL": "http://alice:s3cretpass@" + addr + "/prom?token=" + promCanary},
			cmd, "production", "--at", at())
		last := errs[strings.LastIndex(strings.TrimSuffix(errs, "\n"), "\n")+1:]
		if code != 1 || out != "" || !strings.Contains(last, "prometheus http://"+addr+"/prom: ") || !strings.Contains(last, "unreachable") ||
			!strings.Contains(last, "giving up after 4 attempts") {
			t.Errorf("%s: exit %d\nstderr: %s", cmd, code, errs)
		}
		for _, secret := range []string{"s3cretpass", "alice", promCanary} {
			if strings.Contains(errs, secret) {
				t.Errorf("%s: stderr shows %q:\n%s", cmd, secret, errs)
			}
		}
	}
	// No URL at all is an error saying where to give one.
	code, _, errs := runIn(t, promRepo(t, nil), nil, "status", "production")
	if code != 1 || !strings.Contains(errs, "PROMETHEUS_URL") {
		t.Errorf("no URL: exit %d\n%s", code, errs)
	}
}

// TestPrometheusOutOfRangeAnswers: a figure beyond what a replica count or
// a Kubernetes quantity holds (a memory working set of 1e25 bytes, a CPU
// p95 of 1e17 cores, a sessions p95 that wraps an int32, 1e10 pods) ends
// status and tune --write with exit 1 naming the query and the value, and
// writes nothing. Every other query answers a plausible 2000.
func TestPrometheusOutOfRangeAnswers(t *testing.T) {
	cases := []struct{ name, query, value, want string }{
		{"memory 1e25", "max(max_over_time(max by (pod) (container_memory_working_set_bytes", "1e25", "the answer 1e+25 is beyond any pod's memory in bytes"},
		{"cpu p95 1e17", "max(quantile_over_time(0.95, sum by (pod) (rate(container_cpu_usage_seconds_total", "1e17", "the answer 1e+17 is beyond any pod's CPU in cores"},
		{"sessions p95 over int32", "quantile_over_time(0.95, sum(", "6442450950", "the answer 6.44245095e+09 is beyond what a replica count (int32) holds"},
		{"pods 1e10", "max_over_time(sum(kube_pod_status_ready", "1e10", "the answer 1e+10 is beyond what a replica count (int32) holds"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			hit := false
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if err := r.ParseForm(); err != nil {
					http.Error(w, "no query", http.StatusBadRequest)
					return
				}
				v := "2000"
				if strings.HasPrefix(r.PostForm.Get("query"), c.query) {
					v, hit = c.value, true
				}
				fmt.Fprintf(w, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1764460800,"%s"]}]}}`, v)
			}))
			defer srv.Close()
			for _, cmd := range []string{"status", "tune"} {
				hostileRun(t, cmd, srv.URL, "30s", []string{c.want, "nothing is computed from it", "(query: " + c.query})
			}
			if !hit {
				t.Fatal("no query matched: the test checked nothing")
			}
		})
	}
}
