package promapi

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func client(t *testing.T, url string, o Options) (*Client, *[]time.Duration) {
	t.Helper()
	var sleeps []time.Duration
	o.URL = url
	o.Sleep = func(ctx context.Context, d time.Duration) error { sleeps = append(sleeps, d); return ctx.Err() }
	o.Rand = func() float64 { return 0 }
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return c, &sleeps
}

var at = time.Unix(1764460800, 500_000_000)

// TestQueryRequest: a POST to <base>/api/v1/query with the query, the time
// and the timeout as the API takes them, the token as a bearer header.
func TestQueryRequest(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		if r.Method != http.MethodPost || r.URL.Path != "/prom/api/v1/query" || r.PostForm.Get("query") != "up" ||
			r.PostForm.Get("time") != "1764460800.5" || r.PostForm.Get("timeout") != "2000ms" || r.Header.Get("Authorization") != "Bearer tok" {
			http.Error(w, fmt.Sprintf("bad request %s %s %v %q", r.Method, r.URL.Path, r.PostForm, r.Header.Get("Authorization")), 400)
			return
		}
		fmt.Fprint(w, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"job":"a"},"value":[1,"1.5"]},{"metric":{},"value":[1,"-Inf"]}]},"warnings":["slow"]}`)
	}))
	defer srv.Close()
	var logged []string
	c, _ := client(t, srv.URL+"/prom/", Options{Token: "tok", Timeout: 2 * time.Second, Logf: func(f string, a ...any) { logged = append(logged, fmt.Sprintf(f, a...)) }})
	res, err := c.Query(context.Background(), "up", at)
	if err != nil {
		t.Fatal(err)
	}
	if res.Type != "vector" || len(res.Vector) != 2 || res.Vector[0].Value != 1.5 || res.Vector[0].Metric["job"] != "a" || !math.IsInf(res.Vector[1].Value, -1) {
		t.Errorf("result %+v", res)
	}
	if len(logged) != 1 || !strings.Contains(logged[0], "warning: slow") {
		t.Errorf("warnings logged: %q", logged)
	}
	if c.Queries() != 1 {
		t.Errorf("%d queries", c.Queries())
	}
}

func TestScalarAndBasicAuth(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "alice" || p != "pw" {
			w.WriteHeader(401)
			return
		}
		fmt.Fprint(w, `{"status":"success","data":{"resultType":"scalar","result":[1,"NaN"]}}`)
	}))
	defer srv.Close()
	c, _ := client(t, strings.Replace(srv.URL, "http://", "http://alice:pw@", 1), Options{})
	if strings.Contains(c.URL(), "alice") || strings.Contains(c.URL(), "pw") {
		t.Errorf("URL() = %s shows credentials", c.URL())
	}
	res, err := c.Query(context.Background(), "x", at)
	if err != nil || res.Type != "scalar" || !math.IsNaN(res.Scalar) {
		t.Fatalf("%+v %v", res, err)
	}
}

// TestRetries: 503 and 502 are retried (Retry-After honoured), then the
// answer comes; a Retry-After beyond MaxWait fails at once; 400 never retries.
func TestRetries(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch n.Add(1) {
		case 1:
			w.Header().Set("Retry-After", "3")
			w.WriteHeader(503)
			fmt.Fprint(w, `{"status":"error","errorType":"unavailable","error":"busy"}`)
		case 2:
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(502)
			fmt.Fprint(w, "<html><body>Bad Gateway</body></html>")
		default:
			fmt.Fprint(w, `{"status":"success","data":{"resultType":"vector","result":[]}}`)
		}
	}))
	defer srv.Close()
	c, sleeps := client(t, srv.URL, Options{})
	res, err := c.Query(context.Background(), "up", at)
	if err != nil || res.Type != "vector" || len(res.Vector) != 0 {
		t.Fatalf("%+v %v", res, err)
	}
	if len(*sleeps) != 2 || (*sleeps)[0] != 3*time.Second || (*sleeps)[1] != time.Second {
		t.Errorf("waits %v, want [3s 1s]", *sleeps)
	}

	long := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(429)
	}))
	defer long.Close()
	c, sleeps = client(t, long.URL, Options{})
	if _, err := c.Query(context.Background(), "up", at); err == nil || len(*sleeps) != 0 || !strings.Contains(err.Error(), "HTTP 429") || !strings.Contains(err.Error(), "Retry-After 3600 is longer than the 1m0s phasegen waits") {
		t.Errorf("long Retry-After: %v, waits %v", err, *sleeps)
	}

	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(400)
		fmt.Fprint(w, `{"status":"error","errorType":"bad_data","error":"1:5: parse error: unexpected right parenthesis ')'"}`)
	}))
	defer bad.Close()
	c, sleeps = client(t, bad.URL, Options{})
	_, err = c.Query(context.Background(), "up)", at)
	var qe *QueryError
	if !errors.As(err, &qe) || qe.ErrorType != "bad_data" || qe.Query != "up)" || len(*sleeps) != 0 ||
		err.Error() != "prometheus "+bad.URL+": bad_data: 1:5: parse error: unexpected right parenthesis ')' (query: up))" {
		t.Errorf("bad query: %v, waits %v", err, *sleeps)
	}
}

func TestNewRefuses(t *testing.T) {
	if _, err := New(Options{}); !errors.Is(err, ErrNoURL) {
		t.Errorf("no URL: %v, want ErrNoURL", err)
	}
	for _, u := range []string{"ftp://x", "localhost:9090", "http://"} {
		if _, err := New(Options{URL: u}); err == nil || !strings.Contains(err.Error(), "is not an http(s) URL with a host") {
			t.Errorf("%q: %v", u, err)
		}
	}
	if got := Display("https://u:secret@prom.example/api?token=abc#f"); got != "https://prom.example/api" {
		t.Errorf("Display = %s", got)
	}
}

// Sample values are read only in the forms Prometheus writes ('f', and 'e'
// for the very small and large); Go's other float syntax (1_000, 0x1p4,
// +1, " 1") is refused, so tune can never write "cpu: 1k" from it. A label
// value holding the token is masked.
func TestSampleForms(t *testing.T) {
	for v, ok := range map[string]bool{"1.5": true, "-0.25": true, "1e-07": true, "1e+21": true, "3": true,
		"1_000": false, "0x1p4": false, "+1": false, " 1": false, "1.": false, ".5": false, "Infinity": false, "1e": false} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"pod":"tok-secret-0"},"value":[1,%q]}]}}`, v)
		}))
		c, _ := client(t, srv.URL, Options{Token: "tok-secret", MaxAttempts: 1})
		res, err := c.Query(context.Background(), "up", at)
		srv.Close()
		switch {
		case ok && err != nil:
			t.Errorf("%q refused: %v", v, err)
		case !ok && (err == nil || !strings.Contains(err.Error(), "not a number as Prometheus writes one")):
			t.Errorf("%q: %v %+v", v, err, res)
		case ok && strings.Contains(res.Vector[0].Metric["pod"], "tok-secret"):
			t.Errorf("the token shows in a label value: %q", res.Vector[0].Metric["pod"])
		}
	}
}
