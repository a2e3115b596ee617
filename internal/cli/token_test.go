package cli_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"

	"github.com/coditect/phasegen/internal/argocdfake"
	"github.com/coditect/phasegen/internal/cli"
	"github.com/coditect/phasegen/internal/githubfake"
	"github.com/coditect/phasegen/internal/gitops/local"
	"github.com/coditect/phasegen/internal/promtest"
)

// Canary tokens: the one the fake GitHub accepts, and a rejected one.
const (
	canaryToken = "ghp_phasegenTOKENcanary0123456789abcdef"
	canaryBad   = "ghp_phasegenBADcanary9876543210fedcba"
	// ARGOCD_AUTH_TOKEN: the one the fake Argo CD accepts, and a rejected one.
	argoCanary    = "argocdTOKENcanary.eyJhbGciOiJIUzI1NiJ9.phasegen"
	argoCanaryBad = "argocdBADcanary.eyJhbGciOiJIUzI1NiJ9.phasegen"
)

// leak returns which form of a canary token data holds, or "".
func leak(data []byte) string {
	for _, tok := range []string{canaryToken, canaryBad, argoCanary, argoCanaryBad} {
		for _, form := range []string{
			tok,
			tok[4:20], // a fragment, as a truncated line would show it
			base64.StdEncoding.EncodeToString([]byte(tok)),
			base64.StdEncoding.EncodeToString([]byte("x-access-token:" + tok)),
			// Inside a longer string a server encoded: base64("Bearer "+tok)
			// holds a run of it that no alignment changes.
			base64.StdEncoding.EncodeToString([]byte("Bearer " + tok))[12:36],
			url.QueryEscape("token=" + tok),
		} {
			if bytes.Contains(data, []byte(form)) {
				return form
			}
		}
	}
	return ""
}

// TestTokenNeverLeaks runs every command with a recognisable token in
// GITHUB_TOKEN and GH_TOKEN (and ARGOCD_AUTH_TOKEN: wait against the fake
// Argo CD, success, faults, a rejected token, a token pasted as the server;
// PROMETHEUS_TOKEN for status, tune and wait's alerts; status's soak from
// the local repository and from GitHub),
// promotes into a local repository and into the
// fake GitHub (success, rerun, dry run, faults, bad token, missing
// repository), and checks the token shows nowhere: stdout, stderr, any file
// under the repository (git objects decompressed), request bodies and
// non-auth headers GitHub received, pull request titles and bodies, and the
// commits GitHub holds. It also checks nothing is written outside overlays/,
// the promoted environment's file, the rules directory and the local
// repository.
func TestTokenNeverLeaks(t *testing.T) {
	repo := t.TempDir()
	for _, d := range []string{"environments", "templates/base", "overlays"} {
		if err := copyTree(filepath.Join("..", "testdata", "example", d), filepath.Join(repo, d)); err != nil {
			t.Fatal(err)
		}
	}
	// The configs are a git repository of their own, for review.
	cfgRepo, err := gogit.PlainInit(repo, false)
	if err != nil {
		t.Fatal(err)
	}
	commitAll(t, cfgRepo, "configs")
	gitDir := filepath.Join(repo, "gitops.git")
	initBareRepo(t, gitDir)
	before := snapshot(t, repo)
	t.Chdir(repo)

	fake, err := githubfake.New(githubfake.Options{Owner: "coditect", Repo: "argocd-apps", Token: canaryToken})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	if _, err := fake.Seed(map[string][]byte{"README.md": []byte("# Argo CD apps\n")}); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GITHUB_API_URL", srv.URL+"/api/v3/")
	t.Setenv("GITHUB_TOKEN", canaryToken)
	t.Setenv("GH_TOKEN", canaryToken)

	// The clock phasegen runs on; moved a day on after each first promotion
	// so the 24h soak of pre-launch has passed.
	var offset time.Duration
	now := func() time.Time { return time.Now().Add(offset) }
	ran := map[string]bool{}
	var outputs bytes.Buffer
	run := func(want int, args ...string) string {
		t.Helper()
		a := cli.NewTestApp(t, nil)
		a.Getenv, a.HTTPClient, a.Now = os.Getenv, srv.Client(), now
		stdout, stderr := a.Out, a.Err
		code := a.Run(args...)
		if len(args) > 0 {
			ran[args[0]] = true
		}
		if code != want {
			t.Fatalf("phasegen %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, want, stdout.String(), stderr.String())
		}
		for name, b := range map[string][]byte{"stdout": stdout.Bytes(), "stderr": stderr.Bytes()} {
			if f := leak(b); f != "" {
				t.Fatalf("phasegen %s: %s shows the token (%q):\n%s", strings.Join(args, " "), name, f, b)
			}
		}
		outputs.Write(stdout.Bytes())
		outputs.Write(stderr.Bytes())
		return stdout.String() + stderr.String()
	}

	// Help, version and usage errors.
	help := run(cli.ExitOK, "help")
	run(cli.ExitOK, "version")
	// init reads no token; here it refuses to overwrite the configuration.
	if out := run(cli.ExitError, "init", "--from", "templates/base"); !strings.Contains(out, "refusing to overwrite") {
		t.Fatalf("init over a configuration: %s", out)
	}
	run(cli.ExitOK, "help", "promote")
	run(cli.ExitOK, "promote", "--help")
	run(cli.ExitUsage)
	run(cli.ExitUsage, "no-such-command")
	run(cli.ExitUsage, "plan", "--no-such-flag")
	run(cli.ExitUsage, "promote", "production")
	run(cli.ExitUsage, "diff", "production")
	run(cli.ExitUsage, "rules", "production")

	// The local commands.
	run(cli.ExitOK, "plan")
	run(cli.ExitOK, "plan", "--users", "20", "-o", "json")
	run(cli.ExitOK, "plan", "-o", "markdown")
	run(cli.ExitOK, "render")
	run(cli.ExitOK, "render", "production")
	run(cli.ExitOK, "build")
	run(cli.ExitOK, "build", "production", "--phase", "beta")
	run(cli.ExitOK, "check")
	stale := filepath.Join("overlays", "production", "kustomization.yaml")
	orig, err := os.ReadFile(stale)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(stale, append(orig, "# stale\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	run(cli.ExitStale, "check")
	run(cli.ExitOK, "render")
	run(cli.ExitOK, "diff", "production", "--to", "beta")
	run(cli.ExitOK, "rules", "production", "--dir", "rules")
	run(cli.ExitOK, "parent")
	run(cli.ExitError, "plan", "--config", "no-such-dir")

	// promote into a local repository: first promotion, dry run, refusal.
	run(cli.ExitOK, "promote", "production", "--to", "pre-launch", "--git-dir", gitDir)
	run(cli.ExitOK, "promote", "production", "--to", "pre-launch", "--git-dir", gitDir)
	moveMain(t, gitDir, "phasegen/coditect/production")
	run(cli.ExitError, "promote", "production", "--to", "beta", "--git-dir", gitDir) // the soak holds it
	offset = 25 * time.Hour
	run(cli.ExitOK, "promote", "production", "--to", "beta", "--git-dir", gitDir, "--dry-run")
	run(cli.ExitError, "promote", "production", "--to", "full-mvp", "--git-dir", gitDir)
	run(cli.ExitOK, "promote", "production", "--to", "beta", "--git-dir", gitDir)

	// wait against the fake Argo CD, following the local repository's main.
	argo := argocdfake.New(argocdfake.Options{Token: argoCanary, Now: now})
	localRepo, err := local.Open(gitDir)
	if err != nil {
		t.Fatal(err)
	}
	argo.Add(argocdfake.App{Name: "coditect-production", Project: "default",
		Head: func() (string, error) { return localRepo.Head(context.Background(), "main") }}, "")
	argoSrv := httptest.NewServer(argo)
	t.Cleanup(argoSrv.Close)
	t.Setenv("ARGOCD_SERVER", argoSrv.URL)
	t.Setenv("ARGOCD_AUTH_TOKEN", argoCanary)
	run(cli.ExitOK, "help", "wait")
	run(cli.ExitOK, "wait", "production", "--git-dir", gitDir, "--healthy-for", "0s", "-o", "json")
	argo.Inject(argocdfake.Fault{Status: 503}, argocdfake.Fault{Drop: true})
	run(cli.ExitOK, "wait", "production", "--git-dir", gitDir, "--healthy-for", "0s")
	argo.Inject(argocdfake.Fault{Status: 404})
	run(cli.ExitError, "wait", "production", "--git-dir", gitDir, "--missing-for", "0s")
	run(cli.ExitError, "wait", "production", "--git-dir", gitDir, "--argocd-server", "grpc://"+argoCanary)
	run(cli.ExitError, "wait", "production", "--git-dir", gitDir, "--argocd-server", argoSrv.URL+"/"+argoCanary+"?x")
	t.Setenv("ARGOCD_AUTH_TOKEN", argoCanaryBad)
	if out := run(cli.ExitError, "wait", "production", "--git-dir", gitDir); !strings.Contains(out, "401") {
		t.Fatalf("bad Argo CD token: %s", out)
	}
	t.Setenv("ARGOCD_AUTH_TOKEN", argoCanary)
	argoAuthed := 0
	for _, c := range argo.Calls() {
		if c.Authorized {
			argoAuthed++
		}
		if f := leak([]byte(c.Path + "?" + c.Query)); f != "" {
			t.Errorf("Argo CD request %s?%s holds the token (%q)", c.Path, c.Query, f)
		}
	}
	if argoAuthed == 0 {
		t.Fatal("no Argo CD request carried the token: the test checked nothing")
	}

	// promote against GitHub: a first promotion, a rerun, a dry run.
	if out := run(cli.ExitOK, "promote", "production", "--to", "pre-launch", "--label", "team/platform", "--reviewer", "octocat"); !strings.Contains(out, "/pull/1") {
		t.Fatalf("no pull request #1:\n%s", out)
	}
	run(cli.ExitOK, "promote", "production", "--to", "pre-launch", "--label", "team/platform", "--reviewer", "octocat")
	if err := fake.MergePR(1); err != nil {
		t.Fatal(err)
	}
	offset = 50 * time.Hour
	run(cli.ExitOK, "promote", "production", "--to", "beta", "--dry-run")

	// Faults on the way (each retried), with GH_TOKEN alone.
	t.Setenv("GITHUB_TOKEN", "")
	for _, f := range []githubfake.Fault{
		{Route: "GET contents/{path...}", Kind: githubfake.Status, Status: 500},
		{Route: "POST git/trees", Kind: githubfake.Drop},
		{Route: "POST git/commits", Kind: githubfake.Status, Status: 502, AfterWrite: true},
		{Route: "PATCH git/refs/heads/{branch...}", Kind: githubfake.TooManyRequests},
		{Route: "POST pulls", Kind: githubfake.SecondaryRateLimit, AfterWrite: true},
	} {
		fake.Inject(f)
	}
	run(cli.ExitOK, "promote", "production", "--to", "beta", "--draft")
	if un := fake.Unfired(); len(un) > 0 {
		t.Fatalf("faults that did not fire: %+v", un)
	}
	// review: locally, then its sticky comment on pull request #1 (created,
	// edited through a 502, left alone), from the event file too.
	run(cli.ExitOK, "review")
	run(cli.ExitOK, "review", "-o", "json", "--base", "HEAD")
	run(cli.ExitOK, "review", "-o", "markdown", "--summary-file", "review.md")
	run(cli.ExitOK, "review", "--comment=1", "--repo", "coditect/argocd-apps")
	fake.Inject(githubfake.Fault{Route: "PATCH issues/comments/{id}", Kind: githubfake.Status, Status: 502})
	fake.Inject(githubfake.Fault{Route: "GET issues/{number}/comments", Kind: githubfake.Drop})
	if err := os.WriteFile(filepath.Join("environments", "phases", "beta.yaml"), append(readFile(t, filepath.Join("environments", "phases", "beta.yaml")), "# edited\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GITHUB_REPOSITORY", "coditect/argocd-apps")
	event := filepath.Join(t.TempDir(), "event.json")
	if err := os.WriteFile(event, []byte(`{"pull_request":{"number":1}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GITHUB_EVENT_PATH", event)
	run(cli.ExitOK, "review", "--comment", "--fail-on", "gate")
	if un := fake.Unfired(); len(un) > 0 {
		t.Fatalf("review faults that did not fire: %+v", un)
	}
	run(cli.ExitOK, "review", "--comment=1")
	run(cli.ExitError, "review", "--comment=99")
	if cs := fake.Comments(1); len(cs) != 1 || !strings.Contains(cs[0].Body, "phasegen review") {
		t.Fatalf("%d review comments on #1, want 1", len(cs))
	}

	// A rate limit that outlasts --max-wait fails.
	fake.Inject(githubfake.Fault{Route: "GET contents/{path...}", Kind: githubfake.PrimaryRateLimit, Reset: now().Add(time.Hour)})
	run(cli.ExitError, "promote", "production", "--to", "beta", "--max-wait", "1m")

	// A rejected token, a repository the token cannot see, no token at all.
	t.Setenv("GITHUB_TOKEN", canaryBad)
	t.Setenv("GH_TOKEN", canaryBad)
	if out := run(cli.ExitError, "promote", "production", "--to", "full-mvp"); !strings.Contains(out, "authentication") {
		t.Fatalf("bad token: %s", out)
	}
	run(cli.ExitError, "review", "--comment=1")
	t.Setenv("GITHUB_TOKEN", canaryToken)
	run(cli.ExitError, "promote", "production", "--to", "full-mvp", "--repo", "coditect/not-there")
	run(cli.ExitError, "review", "--comment=1", "--repo", "coditect/not-there")
	t.Setenv("GITHUB_TOKEN", "")
	t.Setenv("GH_TOKEN", "")
	run(cli.ExitError, "promote", "production", "--to", "full-mvp")

	// status and tune with PROMETHEUS_TOKEN, through a proxy that demands
	// it in front of the real Prometheus (where it is installed): a
	// recommendation written (production is at beta by now, whose file has
	// no resources block yet), a refused token, an unreachable server whose
	// URL holds credentials.
	promURL, promAuthed, real := tokenPrometheus(t)
	t.Setenv("PROMETHEUS_URL", promURL)
	t.Setenv("PROMETHEUS_TOKEN", canaryToken)
	when := fmt.Sprint(historyEnd.Unix())
	okCode := cli.ExitOK
	if !real {
		okCode = cli.ExitError // the stand-in answers nothing useful
	}
	run(cli.ExitOK, "status", "--help")
	run(cli.ExitOK, "help", "tune")
	run(okCode, "status", "production", "--at", when, "-o", "json")
	// status reads the soak from the local repository, from GitHub with the
	// token, and goes on without it when GitHub refuses a bad one.
	// (Neither has merged production's promotion to beta.)
	soakOut := []string{
		run(okCode, "status", "production", "--at", when, "--git-dir", gitDir),
		func() string {
			t.Setenv("GITHUB_TOKEN", canaryToken)
			return run(okCode, "status", "production", "--at", when, "-o", "json")
		}(),
		func() string {
			t.Setenv("GITHUB_TOKEN", canaryBad)
			return run(okCode, "status", "production", "--at", when)
		}(),
	}
	t.Setenv("GITHUB_TOKEN", "")
	for i, want := range []string{"main in local repository " + gitDir + " does not have production at beta",
		"main in github.com/coditect/argocd-apps does not have production at beta", "soak not shown: github.com/coditect/argocd-apps: "} {
		if real && !strings.Contains(soakOut[i], want) {
			t.Errorf("status soak %d: want %q:\n%s", i, want, soakOut[i])
		}
	}
	run(okCode, "status", "production", "--at", when, "-o", "markdown")
	run(okCode, "tune", "production", "--at", when, "-o", "markdown")
	run(okCode, "tune", "production", "--at", when, "--write")
	run(cli.ExitOK, "render")
	t.Setenv("PROMETHEUS_TOKEN", canaryBad)
	if out := run(cli.ExitError, "tune", "production", "--at", when, "--write"); !strings.Contains(out, "authentication failed") {
		t.Fatalf("bad Prometheus token: %s", out)
	}
	// wait asks for the phase's firing alerts with the token too.
	t.Setenv("PROMETHEUS_TOKEN", canaryToken)
	run(cli.ExitOK, "wait", "production", "--git-dir", gitDir, "--healthy-for", "0s", "--no-alerts", "-o", "json")
	t.Setenv("PROMETHEUS_TOKEN", canaryBad)
	if out := run(cli.ExitError, "wait", "production", "--git-dir", gitDir, "--healthy-for", "0s"); !strings.Contains(out, "authentication failed") {
		t.Fatalf("wait, bad Prometheus token: %s", out)
	}
	t.Setenv("PROMETHEUS_URL", "http://user:"+canaryToken+"@127.0.0.1:1/")
	run(cli.ExitError, "status", "production", "--at", when)
	run(cli.ExitError, "wait", "production", "--git-dir", gitDir, "--healthy-for", "0s")
	t.Setenv("PROMETHEUS_URL", "")
	run(cli.ExitError, "status", "production")
	if promAuthed.Load() == 0 {
		t.Fatal("no Prometheus request carried the token: the test checked nothing")
	}

	// Every command phasegen lists was run.
	_, list, _ := strings.Cut(help, "Commands:\n")
	list, _, _ = strings.Cut(list, "\n\n")
	for _, line := range strings.Split(list, "\n") {
		if name := strings.Fields(line); len(name) > 0 && !ran[name[0]] {
			t.Errorf("command %s was not run", name[0])
		}
	}

	// Files: nothing holds the token, and only the expected places changed.
	after := snapshot(t, repo)
	for p, data := range after {
		if f := leak(data); f != "" {
			t.Errorf("%s holds the token (%q)", p, f)
		}
		if bytes.Equal(before[p], data) {
			continue
		}
		if !strings.HasPrefix(p, "overlays/") && !strings.HasPrefix(p, "rules/") && !strings.HasPrefix(p, "gitops.git/") &&
			p != "environments/production.yaml" && p != "environments/phases/beta.yaml" && p != "review.md" {
			t.Errorf("%s was written", p)
		}
	}
	for p := range before {
		if _, ok := after[p]; !ok && !strings.HasPrefix(p, "overlays/") {
			t.Errorf("%s was removed", p)
		}
	}
	if _, ok := after["rules/rules.yaml"]; !ok {
		t.Errorf("rules/rules.yaml missing: the rules command wrote nothing to check")
	}
	local, err := gogit.PlainOpen(gitDir)
	if err != nil {
		t.Fatal(err)
	}
	checkObjects(t, "local repository", local.Storer)
	checkObjects(t, "fake GitHub", fake.Storage())

	// What GitHub received and holds.
	authed := 0
	for _, c := range fake.Calls() {
		if f := leak(c.Body); f != "" {
			t.Errorf("%s %s: request body holds the token (%q)", c.Method, c.Path, f)
		}
		if f := leak([]byte(c.Path + "?" + c.Query)); f != "" {
			t.Errorf("%s %s: URL holds the token", c.Method, c.Path)
		}
		for k, vs := range c.Header {
			for _, v := range vs {
				if k == "Authorization" {
					if strings.Contains(v, canaryToken) {
						authed++
					}
					continue
				}
				if f := leak([]byte(v)); f != "" {
					t.Errorf("%s %s: header %s holds the token", c.Method, c.Path, k)
				}
			}
		}
	}
	if authed == 0 {
		t.Fatal("no request carried the token: the test checked nothing")
	}
	prs := fake.PullRequests()
	if len(prs) != 2 {
		t.Errorf("%d pull requests, want 2", len(prs))
	}
	for _, p := range prs {
		if f := leak([]byte(p.Title + "\n" + p.Body + "\n" + strings.Join(p.Labels, ",") + strings.Join(p.Reviewers, ","))); f != "" {
			t.Errorf("pull request #%d holds the token", p.Number)
		}
	}
	for _, c := range fake.Comments(1) {
		if f := leak([]byte(c.Body)); f != "" {
			t.Errorf("comment %d holds the token", c.ID)
		}
	}
	if _, ok := after["review.md"]; !ok {
		t.Error("review.md missing: --summary-file wrote nothing to check")
	}
	checkObjects(t, "configs repository", cfgRepo.Storer)
	if f := leak(outputs.Bytes()); f != "" {
		t.Errorf("output holds the token (%q)", f)
	}
}

func readFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// tokenPrometheus is a proxy that answers 401 unless a request carries
// "Bearer canaryToken", in front of the shared real Prometheus, or of a
// stand-in that answers an empty vector where prometheus is not installed.
// It counts the requests that carried the token.
func tokenPrometheus(t *testing.T) (string, *atomic.Int64, bool) {
	t.Helper()
	var next http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"status":"success","data":{"resultType":"vector","result":[]}}`)
	})
	real := false
	if _, _, err := promtest.Binaries(); err == nil || os.Getenv("CI") == "true" {
		srv, _ := promServer.Get(t)
		u, err := url.Parse(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		next, real = httputil.NewSingleHostReverseProxy(u), true
	}
	var authed atomic.Int64
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+canaryToken {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprintln(w, "unauthorized")
			return
		}
		authed.Add(1)
		r.Header.Del("Authorization")
		next.ServeHTTP(w, r)
	}))
	t.Cleanup(proxy.Close)
	return proxy.URL, &authed, real
}

// snapshot reads every regular file under root, by slash path.
func snapshot(t *testing.T, root string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		out[filepath.ToSlash(rel)], err = os.ReadFile(p)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// checkObjects reads every object of a git store (commits, trees, blobs),
// decompressed, and fails on one holding the token.
func checkObjects(t *testing.T, what string, st storer.EncodedObjectStorer) {
	t.Helper()
	checkObjectsFor(t, what, st, leak)
}

// checkObjectsFor is checkObjects with found saying which secret data
// holds ("" for none).
func checkObjectsFor(t *testing.T, what string, st storer.EncodedObjectStorer, found func([]byte) string) {
	t.Helper()
	iter, err := st.IterEncodedObjects(plumbing.AnyObject)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	err = iter.ForEach(func(o plumbing.EncodedObject) error {
		r, err := o.Reader()
		if err != nil {
			return err
		}
		defer r.Close()
		data, err := io.ReadAll(r)
		if err != nil {
			return err
		}
		n++
		if f := found(data); f != "" {
			t.Errorf("%s: %s %s holds a secret (%q)", what, o.Type(), o.Hash(), f)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 3 {
		t.Fatalf("%s: only %d objects: nothing was written to check", what, n)
	}
}

// initBareRepo makes a bare repository whose main has one commit.
func initBareRepo(t *testing.T, dir string) {
	t.Helper()
	r, err := gogit.PlainInitWithOptions(dir, &gogit.PlainInitOptions{
		Bare:        true,
		InitOptions: gogit.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName("main")},
	})
	if err != nil {
		t.Fatal(err)
	}
	st := r.Storer
	put := func(o interface {
		Encode(plumbing.EncodedObject) error
	}) plumbing.Hash {
		eo := st.NewEncodedObject()
		if err := o.Encode(eo); err != nil {
			t.Fatal(err)
		}
		h, err := st.SetEncodedObject(eo)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	blob := st.NewEncodedObject()
	blob.SetType(plumbing.BlobObject)
	w, err := blob.Writer()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("# Argo CD apps\n")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	bh, err := st.SetEncodedObject(blob)
	if err != nil {
		t.Fatal(err)
	}
	tree := put(&object.Tree{Entries: []object.TreeEntry{{Name: "README.md", Mode: filemode.Regular, Hash: bh}}})
	sig := object.Signature{Name: "seed", Email: "seed@example.com", When: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	c := put(&object.Commit{Author: sig, Committer: sig, Message: "seed\n", TreeHash: tree})
	if err := st.SetReference(plumbing.NewHashReference(plumbing.NewBranchReferenceName("main"), c)); err != nil {
		t.Fatal(err)
	}
}

// moveMain points main at branch, as merging its pull request would.
func moveMain(t *testing.T, dir, branch string) {
	t.Helper()
	r, err := gogit.PlainOpen(dir)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := r.Reference(plumbing.NewBranchReferenceName(branch), true)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Storer.SetReference(plumbing.NewHashReference(plumbing.NewBranchReferenceName("main"), ref.Hash())); err != nil {
		t.Fatal(err)
	}
}
