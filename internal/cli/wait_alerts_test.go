package cli_test

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/coditect/phasegen/internal/alerts"
	"github.com/coditect/phasegen/internal/argocdfake"
	"github.com/coditect/phasegen/internal/cli"
	"github.com/coditect/phasegen/internal/config"
	"github.com/coditect/phasegen/internal/history"
)

// alertsRigStart puts the wait rig's clock where, after its two promotions
// (25 hours) and the rollout, wait asks about the alerts about an hour
// before the end of the history, inside the span of firingAlerts.
var alertsRigStart = historyEnd.Add(-26*time.Hour - 5*time.Minute)

type waitAlertsJSON struct {
	Ready  bool
	Alerts *struct {
		Prometheus, Namespace, Phase, Query string
		At                                  time.Time
		Firing                              []struct {
			Alert, Severity string
			Labels          map[string]string
		}
	}
}

// expectedFiring is what the history says fires at t for production at
// phase: the ALERTS series in state firing, namespace coditect-app, named
// by the phase's rules, with a sample in the 5 minutes before t; as
// "name pod severity" strings, sorted.
func expectedFiring(t *testing.T, h *history.History, phase *config.Phase, at time.Time) []string {
	t.Helper()
	var out []string
	for _, s := range h.Select("ALERTS", history.Label{Name: "alertstate", Value: "firing"}, history.Label{Name: "namespace", Value: "coditect-app"}) {
		// The example's StatefulSet has volume claims and a session metric.
		seed := alerts.Workload{Claims: []string{"workspace", "config"}, SessionMetric: "coditect_active_sessions",
			Declared: alerts.Declared{CPURequest: true, CPULimit: true, MemoryRequest: true, MemoryLimit: true}}
		if !slices.Contains(alerts.Names(phase, seed), s.Label("alertname")) {
			continue
		}
		if _, ok := valueAt(s, at.UnixMilli()); ok {
			out = append(out, s.Label("alertname")+" "+s.Label("pod")+" "+s.Label("severity"))
		}
	}
	sort.Strings(out)
	return out
}

// TestWaitReportsFiringAlerts: once production's Application is synced and
// healthy, wait asks the real Prometheus once which of beta's alerts fire
// in its namespace and reports exactly those the history has firing there
// (not another namespace's, a pending one, another rule's or a resolved
// one); --no-alerts then exits 1 naming them; without a Prometheus URL
// nothing is asked and --no-alerts is a usage error.
func TestWaitReportsFiringAlerts(t *testing.T) {
	srv, h := promServer.Get(t)
	proxy, n := countingProxy(t, srv.URL)
	r := newWaitRigAt(t, rolloutCLI, alertsRigStart)
	r.env["PROMETHEUS_URL"] = proxy.URL
	code, out := r.run("wait", "production", "--git-dir", r.gitDir, "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	stdout, stderr, _ := strings.Cut(out, "--- stderr\n")
	var res waitAlertsJSON
	if err := json.Unmarshal([]byte(stdout), &res); err != nil || res.Alerts == nil {
		t.Fatalf("no alerts in the result (%v):\n%s", err, stdout)
	}
	if got := n.Load(); got != 1 {
		t.Errorf("%d queries, want 1", got)
	}
	cfg, err := config.Load("environments")
	if err != nil {
		t.Fatal(err)
	}
	beta, _ := cfg.Phase("beta")
	want := expectedFiring(t, h, beta, res.Alerts.At)
	if len(want) != 3 || !slices.Contains(want, "WorkloadSessionsOverCapacity  critical") {
		t.Fatalf("the history has %q firing for production at %s: not the shape this test needs", want, res.Alerts.At)
	}
	var got []string
	for _, a := range res.Alerts.Firing {
		got = append(got, a.Alert+" "+a.Labels["pod"]+" "+a.Severity)
		if a.Labels["namespace"] != "coditect-app" {
			t.Errorf("alert %+v outside the namespace", a)
		}
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("firing:\n%s\nwant (from the history):\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !res.Ready || res.Alerts.Phase != "beta" || res.Alerts.Namespace != "coditect-app" || res.Alerts.Prometheus != proxy.URL ||
		!strings.Contains(res.Alerts.Query, `ALERTS{alertstate="firing", namespace="coditect-app", alertname=~"WorkloadCPUHigh|WorkloadMemoryHigh|WorkloadHPAAtMax|WorkloadPVCAlmostFull|WorkloadSessionsOverCapacity|WorkloadReplicasUnavailable|WorkloadPodRestarting|WorkloadHPAMetricUnavailable"}`) {
		t.Errorf("result %+v", res.Alerts)
	}
	line := "prometheus " + proxy.URL + ": 3 alerts of phase beta firing in namespace coditect-app: " +
		"WorkloadCPUHigh (warning, pod=coditect-combined-1); WorkloadCPUHigh (warning, pod=coditect-combined-3); WorkloadSessionsOverCapacity (critical)\n"
	if !strings.Contains(stderr, line) {
		t.Errorf("stderr lacks\n%s\n%s", line, stderr)
	}

	// The table, and --no-alerts: exit 1 naming them, after the same one query.
	n.Store(0)
	head := r.head(t)
	code, out = r.run("wait", "production", "--revision", head, "--healthy-for", "0s")
	if code != 0 || !strings.Contains(out, "alerts       3 alerts of phase beta firing in namespace coditect-app: WorkloadCPUHigh (warning, pod=coditect-combined-1);") {
		t.Errorf("table: exit %d\n%s", code, out)
	}
	code, out = r.run("wait", "production", "--revision", head, "--healthy-for", "0s", "--no-alerts")
	if code != cli.ExitError || !strings.Contains(out, "phasegen wait: --no-alerts: 3 alerts of phase beta firing in namespace coditect-app: WorkloadCPUHigh (warning, pod=coditect-combined-1)") {
		t.Errorf("--no-alerts: exit %d\n%s", code, out)
	}
	if got := n.Load(); got != 2 {
		t.Errorf("%d queries for two waits, want 2", got)
	}

	// Without a Prometheus URL: no alerts, and --no-alerts has nothing to ask.
	delete(r.env, "PROMETHEUS_URL")
	code, out = r.run("wait", "production", "--revision", head, "--healthy-for", "0s", "-o", "json")
	if code != 0 || strings.Contains(out, `"alerts"`) || strings.Contains(out, "prometheus") {
		t.Errorf("without PROMETHEUS_URL: exit %d\n%s", code, out)
	}
	if code, out := r.run("wait", "production", "--revision", head, "--no-alerts"); code != cli.ExitUsage || !strings.Contains(out, "--no-alerts needs a Prometheus") {
		t.Errorf("--no-alerts without a URL: exit %d\n%s", code, out)
	}
	// --prometheus instead of the variable.
	code, out = r.run("wait", "production", "--revision", head, "--healthy-for", "0s", "--prometheus", proxy.URL, "--no-alerts")
	if code != cli.ExitError || !strings.Contains(out, "--no-alerts: 3 alerts") {
		t.Errorf("--prometheus: exit %d\n%s", code, out)
	}
}

// TestWaitFailedAsksNoAlerts: a wait that times out asks Prometheus nothing.
func TestWaitFailedAsksNoAlerts(t *testing.T) {
	srv, _ := promServer.Get(t)
	proxy, n := countingProxy(t, srv.URL)
	never := rolloutCLI
	never.End = argocdfake.Never
	r2 := newWaitRigAt(t, never, alertsRigStart)
	r2.env["PROMETHEUS_URL"] = proxy.URL
	if code, out := r2.run("wait", "production", "--git-dir", r2.gitDir, "--timeout", "1m", "--no-alerts"); code != cli.ExitError || !strings.Contains(out, "timed out") || strings.Contains(out, "alerts") {
		t.Errorf("timeout: exit %d\n%s", code, out)
	}
	if got := n.Load(); got != 0 {
		t.Errorf("a failed wait made %d queries", got)
	}
}

// TestWaitAlertsPrometheusFails: a Prometheus that cannot be read ends a
// wait that succeeded with exit 1 and a one-line cause naming its URL
// without credentials; the result is printed; the token never shows.
func TestWaitAlertsPrometheusFails(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	hostile := func(h http.HandlerFunc) string {
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		return srv.URL
	}
	cases := []struct {
		name, url string
		want      []string
	}{
		{"unreachable", "http://alice:s3cretpass@" + closed + "/prom?token=" + promCanary,
			[]string{"prometheus http://" + closed + "/prom: ", "unreachable", "giving up after 4 attempts"}},
		{"HTML page", hostile(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, "<!DOCTYPE html><html><body>Sign in</body></html>")
		}), []string{"HTTP 200 with an HTML page", "query: ALERTS{"}},
		{"401", hostile(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusUnauthorized) }),
			[]string{"authentication failed (HTTP 401): check PROMETHEUS_TOKEN"}},
		{"error echoing the token", hostile(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"status":"error","errorType":"bad_data","error":"invalid parameter (header was %s)"}`, r.Header.Get("Authorization"))
		}), []string{"bad_data: invalid parameter", "[REDACTED]"}},
		{"a matrix", hostile(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, `{"status":"success","data":{"resultType":"matrix","result":[]}}`)
		}), []string{`the answer is a "matrix"`}},
		{"a series the query does not select", hostile(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"ALERTS","alertname":"Watchdog","alertstate":"firing"},"value":[1,"1"]}]}}`)
		}), []string{`a series the query does not select (alertname "Watchdog"`}},
	}
	r := newWaitRigAt(t, rolloutCLI, alertsRigStart)
	r.env["PROMETHEUS_TOKEN"] = promCanary
	head := r.head(t)
	for _, c := range cases {
		r.env["PROMETHEUS_URL"] = c.url
		code, out := r.run("wait", "production", "--revision", head, "--healthy-for", "0s")
		stdout, stderr, _ := strings.Cut(out, "--- stderr\n")
		lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
		cause := lines[len(lines)-1]
		if code != cli.ExitError || !strings.HasPrefix(cause, "phasegen wait: coditect-production is synced and healthy, but its alerts could not be read: prometheus ") ||
			!strings.Contains(stdout, "ready        yes\n") {
			t.Errorf("%s: exit %d\n%s", c.name, code, out)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(cause, w) {
				t.Errorf("%s: the cause lacks %q:\n%s", c.name, w, cause)
			}
		}
		for _, secret := range []string{"s3cretpass", "alice", promCanary, promCanary[5:20]} {
			if strings.Contains(out, secret) {
				t.Errorf("%s: the output shows %q:\n%s", c.name, secret, out)
			}
		}
	}
	// A URL that is not http(s) is refused before waiting.
	r.env["PROMETHEUS_URL"] = "ftp://prometheus"
	if code, out := r.run("wait", "production", "--revision", head); code != cli.ExitError || !strings.Contains(out, "is not an http(s) URL") || strings.Contains(out, "waiting up to") {
		t.Errorf("ftp URL: exit %d\n%s", code, out)
	}
}
