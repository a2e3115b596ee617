package cli_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coditect/phasegen/internal/githubfake"
)

// barrier holds the requests gate matches until n of them have arrived, so
// two processes are both inside the same race window (both saw no branch, or
// both saw no pull request) before either may write.
type barrier struct {
	next http.Handler
	gate func(*http.Request) bool
	n    int

	mu      sync.Mutex
	arrived int
	open    chan struct{}
}

func newBarrier(next http.Handler, n int, gate func(*http.Request) bool) *barrier {
	return &barrier{next: next, gate: gate, n: n, open: make(chan struct{})}
}

func (b *barrier) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if b.gate(r) {
		b.mu.Lock()
		b.arrived++
		if b.arrived == b.n {
			close(b.open)
		}
		b.mu.Unlock()
		// The guard only matters when a process never gets here; the test
		// then fails on Arrived.
		select {
		case <-b.open:
		case <-r.Context().Done():
		case <-time.After(30 * time.Second):
		}
	}
	b.next.ServeHTTP(w, r)
}

func (b *barrier) Arrived() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.arrived
}

// routeIs matches requests by method and the end of the path.
func routeIs(method, suffix string) func(*http.Request) bool {
	return func(r *http.Request) bool { return r.Method == method && strings.HasSuffix(r.URL.Path, suffix) }
}

// TestConcurrentPromotions runs two phasegen processes promoting the same
// environment to the same phase at once against one fake GitHub, each from
// its own checkout, with both held until they are inside the race window:
// first when neither branch nor pull request exists (both create the branch,
// both create the pull request), then after a merge (both move the existing
// branch, both create the pull request). Each time: one branch holding one
// well-formed commit on top of main with the rendered files, one open pull
// request, both processes exit 0, and the one that lost the race says it
// found the pull request rather than opening one.
func TestConcurrentPromotions(t *testing.T) {
	bin, err := exec.LookPath("phasegen")
	if err != nil {
		t.Fatalf("the test binary is not on PATH as phasegen: %v", err)
	}
	fake, err := githubfake.New(githubfake.Options{Owner: "coditect", Repo: "argocd-apps", Token: scriptToken})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fake.Seed(map[string][]byte{"README.md": []byte("# Argo CD apps\n")}); err != nil {
		t.Fatal(err)
	}
	var handler http.Handler = fake
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		h := handler
		mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	gated := func(n int, gates ...func(*http.Request) bool) []*barrier {
		mu.Lock()
		defer mu.Unlock()
		var out []*barrier
		h := http.Handler(fake)
		for _, g := range gates {
			b := newBarrier(h, n, g)
			out = append(out, b)
			h = b
		}
		handler = h
		return out
	}

	checkouts := []string{t.TempDir(), t.TempDir()}
	for _, dir := range checkouts {
		for _, d := range []string{"environments", "templates/base", "overlays"} {
			if err := copyTree(filepath.Join("..", "testdata", "example", d), filepath.Join(dir, d)); err != nil {
				t.Fatal(err)
			}
		}
	}
	env := append(os.Environ(), "GITHUB_API_URL="+srv.URL+"/api/v3/", "GITHUB_TOKEN="+scriptToken, "GH_TOKEN=")

	race := func(t *testing.T, to string, wantPRs int, gates ...func(*http.Request) bool) {
		barriers := gated(2, gates...)
		type result struct {
			code           int
			stdout, stderr string
		}
		results := make([]result, len(checkouts))
		var wg sync.WaitGroup
		for i, dir := range checkouts {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var stdout, stderr bytes.Buffer
				cmd := exec.CommandContext(context.Background(), bin, "promote", "production", "--to", to, "--label", "team/platform")
				cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = dir, env, &stdout, &stderr
				err := cmd.Run()
				results[i] = result{code: cmd.ProcessState.ExitCode(), stdout: stdout.String(), stderr: stderr.String()}
				if err != nil && cmd.ProcessState == nil {
					results[i] = result{code: -1, stderr: err.Error()}
				}
			}()
		}
		wg.Wait()
		for i, b := range barriers {
			if b.Arrived() != 2 {
				t.Errorf("gate %d: %d processes reached it, want both", i, b.Arrived())
			}
		}
		opened := 0
		for i, r := range results {
			t.Logf("process %d (exit %d):\n%s", i, r.code, r.stderr)
			if r.code != 0 {
				t.Fatalf("process %d: exit %d\nstdout:\n%s\nstderr:\n%s", i, r.code, r.stdout, r.stderr)
			}
			if strings.Contains(r.stderr, "opened pull request") {
				opened++
			} else if !strings.Contains(r.stderr, "a pull request for phasegen/coditect/production already exists") {
				t.Errorf("process %d lost the race without saying so:\n%s", i, r.stderr)
			}
			if r.stdout != results[0].stdout || !strings.Contains(r.stdout, "/pull/") {
				t.Errorf("process %d printed %q, process 0 %q", i, r.stdout, results[0].stdout)
			}
		}
		if opened != 1 {
			t.Errorf("%d processes say they opened the pull request, want 1", opened)
		}

		open := 0
		prs := fake.PullRequests()
		for _, p := range prs {
			if p.State == "open" {
				open++
				if p.Head != "phasegen/coditect/production" || p.Base != "main" || !strings.HasSuffix(p.Title, "→ "+to) {
					t.Errorf("open pull request %+v", p)
				}
			}
		}
		if open != 1 || len(prs) != wantPRs {
			t.Fatalf("%d pull requests, %d open; want %d, 1 open", len(prs), open, wantPRs)
		}

		mainTip, _ := fake.Branch("main")
		log, err := fake.Log("phasegen/coditect/production", mainTip)
		if err != nil {
			t.Fatal(err)
		}
		if len(log) != 1 {
			t.Fatalf("%d commits on phasegen/coditect/production on top of main, want 1: %+v", len(log), log)
		}
		files, err := fake.Files("phasegen/coditect/production")
		if err != nil {
			t.Fatal(err)
		}
		for _, dir := range checkouts {
			local := snapshot(t, filepath.Join(dir, "overlays", "production"))
			if len(local) == 0 {
				t.Fatalf("%s: no overlay", dir)
			}
			for p, want := range local {
				if got, ok := files[path.Join("apps/coditect/production/overlays/production", p)]; !ok || !bytes.Equal(got, want) {
					t.Errorf("%s differs between the branch and %s's render", p, dir)
				}
			}
		}
	}

	t.Run("first promotion", func(t *testing.T) {
		race(t, "pre-launch", 1, routeIs(http.MethodPost, "/git/refs"), routeIs(http.MethodPost, "/pulls"))
	})
	if err := fake.MergePR(1); err != nil {
		t.Fatal(err)
	}
	// A day later: the 24h soak of pre-launch has passed.
	env = append(env, "PHASEGEN_TEST_CLOCK_OFFSET=25h")
	t.Run("after a merge", func(t *testing.T) {
		race(t, "beta", 2, routeIs(http.MethodPatch, "/git/refs/heads/phasegen/coditect/production"), routeIs(http.MethodPost, "/pulls"))
	})
}
