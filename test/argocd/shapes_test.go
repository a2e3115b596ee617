package argocd

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the recorded shapes of the real Argo CD's answers")

// shapesFile is where the shapes of the real Argo CD's answers are
// recorded (with -update), for the fake's unit test in the phasegen
// module to compare its own answers with.
var shapesFile = filepath.Join(repoRoot, "internal", "argocdfake", "testdata", "real-shapes.txt")

// shapes gathers the field paths of the answers the real API server gave:
// "application:" paths of GET /api/v1/applications/{name}, and
// "managed-resources:" paths of its managed-resources list, the live
// objects' JSON text read as JSON (".liveState{}").
type shapes struct {
	mu    sync.Mutex
	paths map[string]bool
}

// record reads the Application of key (see appKey) and its managed resources from the
// API server with the read-only token and adds their shapes.
func (s *stack) record(t *testing.T, key string) {
	t.Helper()
	ns, name := appKey(key)
	app, resources := "", "?group=apps"
	if ns != "argocd" {
		app = "?appNamespace=" + ns
		resources = app + "&group=apps"
	}
	for _, ep := range []struct{ kind, path string }{
		{"application", "/api/v1/applications/" + name + app},
		{"managed-resources", "/api/v1/applications/" + name + "/managed-resources" + resources},
	} {
		req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, s.argo.url+ep.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+s.argo.token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("argo cd GET %s: %d %v\n%s", ep.path, resp.StatusCode, err, body)
		}
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			t.Fatal(err)
		}
		s.shapes.mu.Lock()
		addPaths(s.shapes.paths, ep.kind+":", v)
		s.shapes.mu.Unlock()
	}
}

// addPaths adds the field paths of v under prefix: arrays as [], a string
// field named liveState holding JSON as {} followed by its paths.
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

// checkShapes writes the recorded shapes with -update; else it wants
// every recorded path still among what the real server answered here, so
// the fixture the fake is held to cannot drift from Argo CD.
func (s *stack) checkShapes(t *testing.T) {
	t.Helper()
	var got []string
	for p := range s.shapes.paths {
		got = append(got, p)
	}
	sort.Strings(got)
	if *update {
		var b bytes.Buffer
		b.WriteString("# The field paths of the answers the real Argo CD (test/argocd, -update) gave in its scenarios.\n")
		for _, p := range got {
			fmt.Fprintln(&b, p)
		}
		if err := os.WriteFile(shapesFile, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	data, err := os.ReadFile(shapesFile)
	if err != nil {
		t.Fatalf("%v (go test -update records it)", err)
	}
	var gone []string
	for _, line := range strings.Split(string(data), "\n") {
		if line != "" && !strings.HasPrefix(line, "#") && !s.shapes.paths[line] {
			gone = append(gone, line)
		}
	}
	if len(gone) > 0 {
		t.Errorf("the real Argo CD no longer answers with %d recorded field(s) (go test -update records them again): %s", len(gone), strings.Join(gone, ", "))
	}
}
