package argocdfake_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/coditect/phasegen/internal/argocdfake"
	"github.com/coditect/phasegen/internal/golden"
)

// TestAnswersFollowTheCRD: every state of every end, and the error bodies,
// have Argo CD's shapes. Each distinct Application the fake serves is kept
// in testdata/answers.yaml (-update rewrites it), which the kube-apiserver
// test module (test/kube) creates, status included, with strict field
// validation on a real API server serving Argo CD's Application CRD;
// errors are {"error","code","message"}.
func TestAnswersFollowTheCRD(t *testing.T) {
	var corpus bytes.Buffer
	kept := map[string]bool{}
	for _, end := range []argocdfake.End{argocdfake.Healthy, argocdfake.Degraded, argocdfake.SyncFailed, argocdfake.ComparisonError, argocdfake.Never} {
		clock := argocdfake.NewClock(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
		fake := argocdfake.New(argocdfake.Options{Token: "t", Now: clock.Now})
		fake.Add(argocdfake.App{Name: "coditect-combined-production", Head: func() (string, error) { return "b2c3d4e5f60718293a4b5c6d7e8f901234567890", nil },
			Scenario: argocdfake.Scenario{Notice: 5 * time.Second, OutOfSync: 5 * time.Second, Sync: 5 * time.Second, Stale: 5 * time.Second,
				Progress: 5 * time.Second, End: end, Message: "boom", FlapAt: 5 * time.Second, FlapFor: 5 * time.Second}},
			"a1b2c3d4e5f60718293a4b5c6d7e8f9012345678")
		srv := httptest.NewServer(fake)
		seen := map[string]bool{}
		for i := 0; i < 12; i++ {
			req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/v1/applications/coditect-combined-production?project=default", nil)
			req.Header.Set("Authorization", "Bearer t")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("end %d: %d %s", end, resp.StatusCode, body)
			}
			dec := json.NewDecoder(bytes.NewReader(body))
			dec.UseNumber()
			var obj map[string]any
			if err := dec.Decode(&obj); err != nil {
				t.Fatal(err)
			}
			obj["apiVersion"], obj["kind"] = "argoproj.io/v1alpha1", "Application"
			doc, err := yaml.Marshal(obj)
			if err != nil {
				t.Fatal(err)
			}
			if !kept[string(doc)] {
				kept[string(doc)] = true
				corpus.WriteString("---\n")
				corpus.Write(doc)
			}
			st := obj["status"].(map[string]any)
			seen[st["sync"].(map[string]any)["status"].(string)+"/"+st["health"].(map[string]any)["status"].(string)] = true
			clock.Advance(5 * time.Second)
		}
		srv.Close()
		want := map[argocdfake.End][]string{
			argocdfake.Healthy:         {"Synced/Healthy", "OutOfSync/Healthy", "OutOfSync/Progressing", "Synced/Progressing"},
			argocdfake.Degraded:        {"Synced/Degraded"},
			argocdfake.SyncFailed:      {"OutOfSync/Progressing", "OutOfSync/Healthy"},
			argocdfake.ComparisonError: {"Unknown/Healthy"},
			argocdfake.Never:           {"Synced/Healthy"},
		}[end]
		for _, w := range want {
			if !seen[w] {
				t.Errorf("end %d never showed %s (saw %v)", end, w, seen)
			}
		}
	}

	golden.Assert(t, "testdata/answers.yaml", corpus.Bytes())

	fake := argocdfake.New(argocdfake.Options{Token: "t"})
	srv := httptest.NewServer(fake)
	defer srv.Close()
	for _, tc := range []struct {
		auth, path string
		status     int
		code       float64
		msg        string
	}{
		{"", "/api/v1/applications/x", 401, 16, "no session information"},
		{"Bearer wrong", "/api/v1/applications/x", 401, 16, "invalid session: token signature is invalid"},
		{"Bearer t", "/api/v1/applications/x", 403, 7, "permission denied"},
	} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+tc.path, nil)
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var e struct {
			Error   string  `json:"error"`
			Code    float64 `json:"code"`
			Message string  `json:"message"`
		}
		err = json.NewDecoder(resp.Body).Decode(&e)
		resp.Body.Close()
		if err != nil || resp.StatusCode != tc.status || e.Code != tc.code || e.Message != tc.msg || e.Error != tc.msg {
			t.Errorf("%q %s: %d %+v %v", tc.auth, tc.path, resp.StatusCode, e, err)
		}
	}
}

// TestLookupAsArgoCD: the fake answers a Get as Argo CD's API server does
// (server/application/application.go getAppEnforceRBAC): the Application is
// looked up in appNamespace or the server's namespace; a namespace not
// allowed is 403; with a project, missing, hidden or in another project is
// 404 and a denied project 403; without one, all are 403.
func TestLookupAsArgoCD(t *testing.T) {
	fake := argocdfake.New(argocdfake.Options{Token: "t", AppNamespaces: []string{"team-*"},
		Allow: func(obj string) bool { return obj != "locked/team-a/hidden" && !strings.HasPrefix(obj, "nobody/") }})
	head := func() (string, error) { return "b2c3d4e5f60718293a4b5c6d7e8f901234567890", nil }
	fake.Add(argocdfake.App{Name: "app", Namespace: "team-a", Project: "p", Head: head}, "")
	fake.Add(argocdfake.App{Name: "home", Head: head}, "")
	fake.Add(argocdfake.App{Name: "hidden", Namespace: "team-a", Project: "locked", Head: head}, "")
	fake.Add(argocdfake.App{Name: "stray", Namespace: "elsewhere", Head: head}, "")
	srv := httptest.NewServer(fake)
	defer srv.Close()
	for _, tc := range []struct {
		query  string
		status int
		ns     string
	}{
		{"app?appNamespace=team-a", 200, "team-a"},
		{"app?appNamespace=team-a&project=p", 200, "team-a"},
		{"app?project=p", 404, ""},
		{"app", 403, ""},
		{"app?appNamespace=team-b&project=p", 404, ""},
		{"app?appNamespace=team-a&project=q", 404, ""},
		{"app?appNamespace=team-a&project=nobody", 403, ""},
		{"app?appNamespace=team-a&project=p&project=q", 400, ""},
		{"home", 200, "argocd"},
		{"home?appNamespace=argocd&project=default", 200, "argocd"},
		{"hidden?appNamespace=team-a&project=p", 404, ""},
		{"hidden?appNamespace=team-a", 403, ""},
		{"stray?appNamespace=elsewhere&project=default", 403, ""},
	} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/v1/applications/"+tc.query, nil)
		req.Header.Set("Authorization", "Bearer t")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			Metadata struct{ Namespace string } `json:"metadata"`
			Code     int                        `json:"code"`
			Message  string                     `json:"message"`
		}
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != tc.status {
			t.Errorf("%s: %d %+v %v, want %d", tc.query, resp.StatusCode, body, err, tc.status)
			continue
		}
		want := map[int]struct {
			code int
			msg  string
		}{403: {7, "permission denied"}, 404: {5, `applications.argoproj.io "` + strings.Split(tc.query, "?")[0] + `" not found`}}[tc.status]
		if tc.status == 200 && body.Metadata.Namespace != tc.ns || tc.status != 200 && tc.status != 400 && (body.Code != want.code || body.Message != want.msg) {
			t.Errorf("%s: %d %+v, want namespace %q or code %d %q", tc.query, resp.StatusCode, body, tc.ns, want.code, want.msg)
		}
	}
}
