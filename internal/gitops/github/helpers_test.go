package github_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/coditect/phasegen/internal/fileset"
	"github.com/coditect/phasegen/internal/githubfake"
	"github.com/coditect/phasegen/internal/gitops"
	"github.com/coditect/phasegen/internal/gitops/github"
)

const token = "ghp_S3cr3tT0kenValue0123456789abcdef"

// clock is a fake clock whose Sleep advances time instead of waiting.
type clock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	return ctx.Err()
}

func (c *clock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

// syncBuffer is a log safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type env struct {
	t     *testing.T
	fake  *githubfake.Server
	srv   *httptest.Server
	clock *clock
	log   *syncBuffer
}

var seedFiles = map[string][]byte{
	"README.md":           []byte("# argocd apps\n"),
	"apps/other/app.yaml": []byte("other: true\n"),
	"apps/coditect/overlays/staging/kustomization.yaml": []byte("resources: []\n"),
}

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvWith(t, githubfake.Options{Token: token})
}

// newEnvWith is newEnv with the fake's options (owner, repository and
// clock are the env's).
func newEnvWith(t *testing.T, o githubfake.Options) *env {
	t.Helper()
	c := &clock{now: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	o.Owner, o.Repo, o.Now = "coditect", "argocd-apps", c.Now
	fake, err := githubfake.New(o)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fake.Seed(seedFiles); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	return &env{t: t, fake: fake, srv: srv, clock: c, log: &syncBuffer{}}
}

func (e *env) target(mod ...func(*github.Options)) *github.Repo {
	e.t.Helper()
	o := github.Options{
		BaseURL: e.srv.URL, Token: token, Owner: "coditect", Repo: "argocd-apps",
		HTTPClient: e.srv.Client(), Sleep: e.clock.Sleep, Now: e.clock.Now,
		MaxWait: 2 * time.Minute, Log: e.log, Rand: func() float64 { return 0.5 },
	}
	for _, m := range mod {
		m(&o)
	}
	tg, err := github.New(o)
	if err != nil {
		e.t.Fatal(err)
	}
	return tg
}

// keys returns the call log as "METHOD route" lines, in order.
func (e *env) keys() []string {
	var out []string
	for _, c := range e.fake.Calls() {
		out = append(out, c.Key())
	}
	return out
}

func (e *env) writes() []string {
	var out []string
	for _, c := range e.fake.Writes() {
		out = append(out, c.Key())
	}
	return out
}

func rendered(n int, phase string) fileset.Set {
	s := fileset.Set{
		"overlays/production/kustomization.yaml": []byte("resources:\n- ../../templates/base\n"),
		"overlays/production/replicas.yaml":      []byte("replicas: 10 # " + phase + "\n"),
		"templates/base/statefulset.yaml":        []byte("kind: StatefulSet\n"),
	}
	for i := 3; i < n; i++ {
		s[fmt.Sprintf("overlays/production/extra/f%03d.yaml", i)] = []byte(fmt.Sprintf("n: %d\nphase: %s\n", i, phase))
	}
	return s
}

func change(files fileset.Set) gitops.Change {
	return gitops.Change{
		Base: "main", Head: "phasegen/production", Root: "apps/coditect", Files: files,
		Owned:   []string{"overlays/production", "templates/base"},
		Message: "production: pre-launch → beta", Author: gitops.Signature{Name: "phasegen", Email: "phasegen@example.com"},
	}
}

func pr() github.PR {
	return github.PR{
		Base: "main", Head: "phasegen/production", Title: "production: pre-launch → beta",
		Body: "## production\n\n- [ ] load test\n", Draft: true,
		Labels: []string{"phasegen", "phase/beta"}, Reviewers: []string{"alice", "coditect/platform"},
	}
}

// wantTree is main's files plus files under the root, minus nothing.
func wantTree(files fileset.Set) map[string]string {
	out := map[string]string{}
	for p, b := range seedFiles {
		out[p] = string(b)
	}
	for p, b := range files.Prefix("apps/coditect") {
		out[p] = string(b)
	}
	return out
}

func (e *env) branchFiles(ref string) map[string]string {
	e.t.Helper()
	files, err := e.fake.Files(ref)
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[string]string{}
	for p, b := range files {
		out[p] = string(b)
	}
	return out
}

func sameMap(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// commitsAhead returns the commits on head that main lacks.
func (e *env) commitsAhead(head string) []githubfake.Commit {
	e.t.Helper()
	mainTip, _ := e.fake.Branch("main")
	log, err := e.fake.Log(head, mainTip)
	if err != nil {
		e.t.Fatal(err)
	}
	return log
}
