package argocdfake_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/coditect/phasegen/internal/argocdfake"
)

// TestAnswersAreArgoCDs: every field the fake answers with, in every state
// of every scenario, is a field the real Argo CD answered with in
// test/argocd's scenarios (testdata/real-shapes.txt, recorded there with
// -update): the fake invents no shape.
func TestAnswersAreArgoCDs(t *testing.T) {
	data, err := os.ReadFile("testdata/real-shapes.txt")
	if err != nil {
		t.Fatal(err)
	}
	real := map[string]bool{}
	for _, l := range strings.Split(string(data), "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			real[l] = true
		}
	}
	got := map[string]bool{}
	scenarios := []argocdfake.Scenario{
		{End: argocdfake.Healthy, FlapAt: 5 * time.Second, FlapFor: 5 * time.Second, MetricsLag: 5 * time.Second},
		{End: argocdfake.Degraded, Message: "boom"},
		{End: argocdfake.SyncRetried, Message: "refused", Retries: 2, RetryEvery: 5 * time.Second},
		{End: argocdfake.Healthy, Lagging: 10 * time.Second, LaggingReplicas: 3},
	}
	for _, sc := range scenarios {
		sc.Notice, sc.OutOfSync, sc.Sync, sc.Stale, sc.Progress = 5*time.Second, 5*time.Second, 5*time.Second, 5*time.Second, 5*time.Second
		clock := argocdfake.NewClock(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
		fake := argocdfake.New(argocdfake.Options{Token: "t", Now: clock.Now})
		fake.Add(argocdfake.App{Name: "app", Scenario: sc, Head: func() (string, error) { return "b2c3d4e5f60718293a4b5c6d7e8f901234567890", nil }},
			"a1b2c3d4e5f60718293a4b5c6d7e8f9012345678")
		srv := httptest.NewServer(fake)
		for range 14 {
			for _, ep := range []struct{ kind, path string }{{"application", "/api/v1/applications/app"}, {"managed-resources", "/api/v1/applications/app/managed-resources?group=apps"}} {
				req, _ := http.NewRequest(http.MethodGet, srv.URL+ep.path, nil)
				req.Header.Set("Authorization", "Bearer t")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				var v any
				if err := json.Unmarshal(body, &v); err != nil {
					t.Fatalf("%s: %v", ep.path, err)
				}
				addPaths(got, ep.kind+":", v)
			}
			clock.Advance(5 * time.Second)
		}
		srv.Close()
	}
	var invented []string
	for p := range got {
		if !real[p] {
			invented = append(invented, p)
		}
	}
	sort.Strings(invented)
	if len(invented) > 0 {
		t.Errorf("the fake answers with %d field(s) the real Argo CD never gave:\n%s", len(invented), strings.Join(invented, "\n"))
	}
}

// addPaths adds the field paths of v under prefix, as test/argocd records
// the real answers' (a module of its own, so the walk is written there
// too): arrays as [], a liveState string holding JSON as {} and its paths.
func addPaths(out map[string]bool, prefix string, v any) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			p := prefix + "." + k
			if strings.HasSuffix(prefix, ":") {
				p = prefix + k
			}
			out[p] = true
			if s, ok := e.(string); ok && k == "liveState" && strings.HasPrefix(s, "{") {
				var live any
				if json.Unmarshal([]byte(s), &live) == nil {
					addPaths(out, p+"{}", live)
				}
				continue
			}
			addPaths(out, p, e)
		}
	case []any:
		for _, e := range x {
			addPaths(out, prefix+"[]", e)
		}
	}
}
