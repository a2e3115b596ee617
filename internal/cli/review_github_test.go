package cli_test

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	gogit "github.com/go-git/go-git/v5"
	"github.com/google/go-github/v62/github"

	"github.com/coditect/phasegen/internal/cli"
	"github.com/coditect/phasegen/internal/githubfake"
)

const reviewMarker = "<!-- phasegen review -->"

// reviewFake starts the fake GitHub holding the configs repository with
// pull request #1 open, and returns it with the environment the CLI sees.
func reviewFake(t *testing.T) (*githubfake.Server, map[string]string) {
	t.Helper()
	fake, err := githubfake.New(githubfake.Options{Owner: "coditect", Repo: "phasegen", Token: canaryToken})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	if _, err := fake.Seed(map[string][]byte{"README.md": []byte("configs\n")}); err != nil {
		t.Fatal(err)
	}
	if _, err := fake.CommitFiles("raise-beta", "beta: 40", map[string][]byte{"README.md": []byte("raised\n")}); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"GITHUB_API_URL": srv.URL + "/api/v3/", "GITHUB_TOKEN": canaryToken, "GITHUB_REPOSITORY": "coditect/phasegen",
	}
	// Pull request #1, as a person opened it.
	gh, err := github.NewClient(srv.Client()).WithAuthToken(canaryToken).WithEnterpriseURLs(srv.URL+"/api/v3/", srv.URL+"/api/v3/")
	if err != nil {
		t.Fatal(err)
	}
	pr, _, err := gh.PullRequests.Create(context.Background(), "coditect", "phasegen", &github.NewPullRequest{
		Title: github.String("beta: HPA up to 40"), Head: github.String("raise-beta"), Base: github.String("main"),
	})
	if err != nil || pr.GetNumber() != 1 {
		t.Fatalf("opening #1: %v", err)
	}
	return fake, env
}

// mustRun runs phasegen, wants exit 0 and returns its stderr.
func mustRun(t *testing.T, env map[string]string, args ...string) string {
	t.Helper()
	code, out, stderr := runCLI(t, env, args...)
	if code != cli.ExitOK {
		t.Fatalf("phasegen %s: exit %d\n%s%s", strings.Join(args, " "), code, out, stderr)
	}
	if strings.Contains(out+stderr, canaryToken) {
		t.Fatalf("phasegen %s shows the token", strings.Join(args, " "))
	}
	return stderr
}

func openRepo(dir string) (*gogit.Repository, error) { return gogit.PlainOpen(dir) }

func TestReviewCommentIsSticky(t *testing.T) {
	dir, _ := reviewRepo(t)
	fake, env := reviewFake(t)
	beta := filepath.Join(dir, "environments", "phases", "beta.yaml")
	editFile(t, beta, "maxReplicas: 30", "maxReplicas: 40")

	// 1. The first run creates the comment, with the marker.
	event := filepath.Join(t.TempDir(), "event.json")
	if err := os.WriteFile(event, []byte(`{"action":"synchronize","number":1,"pull_request":{"number":1}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	env["GITHUB_EVENT_PATH"] = event
	mustRun(t, env, "review", "--comment")
	cs := fake.Comments(1)
	if len(cs) != 1 || !strings.HasPrefix(cs[0].Body, reviewMarker) || !strings.Contains(cs[0].Body, "+  maxReplicas: 40") {
		t.Fatalf("after the first run: %d comments", len(cs))
	}
	first := cs[0].ID

	// 2. New content edits it, through a 502 on the edit.
	editFile(t, beta, "maxReplicas: 40", "maxReplicas: 50")
	fake.ResetCalls()
	fake.Inject(githubfake.Fault{Route: "PATCH issues/comments/{id}", Kind: githubfake.Status, Status: 502})
	stderr := mustRun(t, env, "review", "--comment=1")
	if !strings.Contains(stderr, "502 Bad Gateway; retrying") || !strings.Contains(stderr, "updated the review comment on pull request #1") {
		t.Errorf("second run: %s", stderr)
	}
	if un := fake.Unfired(); len(un) > 0 {
		t.Fatalf("the 502 did not fire: %+v", un)
	}
	cs = fake.Comments(1)
	if len(cs) != 1 || cs[0].ID != first || !strings.Contains(cs[0].Body, "+  maxReplicas: 50") {
		t.Fatalf("after the edit: %d comments (id %d, first %d)", len(cs), cs[0].ID, first)
	}
	if got := fake.Count("PATCH issues/comments/{id}"); got != 2 {
		t.Errorf("%d edits, want 2 (the 502 and its retry)", got)
	}

	// 3. The same content writes nothing: two reads, whose token it is
	// and the comments.
	fake.ResetCalls()
	stderr = mustRun(t, env, "review", "--comment=1")
	if w := fake.Writes(); len(w) != 0 || len(fake.Calls()) != 2 || !strings.Contains(stderr, "is up to date") {
		t.Errorf("third run: %d writes, %d calls; %s", len(w), len(fake.Calls()), stderr)
	}
	if len(fake.Comments(1)) != 1 {
		t.Error("a second comment appeared")
	}
}

func TestReviewCommentCutsAndSummaryKeepsAll(t *testing.T) {
	dir, _ := reviewRepo(t)
	for i := range 120 {
		writeEnv(t, dir, "fleet-"+string(rune('a'+i/26))+string(rune('a'+i%26)), "beta")
	}
	r, err := openRepo(dir)
	if err != nil {
		t.Fatal(err)
	}
	commitAll(t, r, "a fleet at beta")
	fake, env := reviewFake(t)
	beta := filepath.Join(dir, "environments", "phases", "beta.yaml")
	editFile(t, beta, "maxReplicas: 30", "maxReplicas: 40")
	editFile(t, beta, "cpuPercent: 80", "cpuPercent: 75")
	summary := filepath.Join(t.TempDir(), "summary.md")

	code, out, stderr := runCLI(t, env, "review", "-o", "markdown", "--comment=1", "--summary-file", summary)
	if code != cli.ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	cs := fake.Comments(1)
	if len(cs) != 1 {
		t.Fatalf("%d comments", len(cs))
	}
	body := cs[0].Body
	if n := utf8.RuneCountInString(body); n > 65536 || n < 30000 {
		t.Errorf("comment has %d characters, want under GitHub's 65,536 and not empty", n)
	}
	if body != out {
		t.Error("the comment is not what -o markdown prints")
	}
	// What the comment shows and what it says it left out add up, wherever
	// the cut falls (the per-object steps are pinned in internal/review):
	// each environment's section is shown or counted as left out, each
	// shown section's objects shown or named as left out.
	if !strings.Contains(body, "This review is cut to fit GitHub's limit: ") {
		t.Errorf("the comment does not say what it cut:\n%.600s", body)
	}
	sections, leftOut := strings.Count(body, "\n<details>"), 0
	if m := regexp.MustCompile(`the sections of (\d+) environments? \(`).FindStringSubmatch(body); m != nil {
		leftOut, _ = strconv.Atoi(m[1])
	}
	if sections == 0 || sections+leftOut != 123 {
		t.Errorf("%d sections shown and %d said left out, want 123 in all", sections, leftOut)
	}
	for _, obj := range []struct{ path, line string }{
		{"HorizontalPodAutoscaler/coditect-combined-hpa", "+  maxReplicas: 40"},
		{"PrometheusRule/coditect-combined-alerts", "+        summary: coditect-combined CPU above 75% of its limit"},
	} {
		shown, named := strings.Count(body, obj.line), strings.Count(body, "`"+obj.path+"` (")
		if shown+named != sections {
			t.Errorf("%s: %d diffs shown and %d named as left out, want one per shown section (%d)", obj.path, shown, named, sections)
		}
		if named > 0 && !strings.Contains(body, "the diffs of ") {
			t.Errorf("%s diffs are left out but the note does not say so", obj.path)
		}
	}
	full, err := os.ReadFile(summary)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(full), "+  maxReplicas: 40"); n != 123 || strings.Contains(string(full), "cut to fit") {
		t.Errorf("summary file: %d HPA diffs, want all 123, uncut (%d bytes)", n, len(full))
	}
	if n := strings.Count(body, "+  maxReplicas: 40"); n >= 123 || n == 0 {
		t.Errorf("comment holds %d of 123 HPA diffs", n)
	}
	t.Logf("comment %d characters, summary file %d characters (%d bytes)", utf8.RuneCountInString(body), utf8.RuneCount(full), len(full))
	if utf8.RuneCount(full) <= 65536 {
		t.Errorf("the summary has %d characters: the test did not exceed the comment limit", utf8.RuneCount(full))
	}
}

// A pull request's author plants a comment with the marker before the
// first run: the review never adopts it, writes its own beside it, and
// says so; in a workflow the Actions bot's comments are the review's.
func TestReviewCommentIgnoresPlanted(t *testing.T) {
	dir, _ := reviewRepo(t)
	fake, env := reviewFake(t)
	editFile(t, filepath.Join(dir, "environments", "phases", "beta.yaml"), "maxReplicas: 30", "maxReplicas: 40")
	planted := reviewMarker + "\nNo environment changes. Safe to merge.\n"
	if err := fake.AddComment(1, "pr-author", planted); err != nil {
		t.Fatal(err)
	}
	for run := range 2 {
		stderr := mustRun(t, env, "review", "--comment=1")
		if !strings.Contains(stderr, "1 comment(s) on #1 carry the review marker but were written by someone else") {
			t.Errorf("run %d says nothing of the planted comment: %s", run, stderr)
		}
	}
	cs := fake.Comments(1)
	if len(cs) != 2 || cs[0].Body != planted || cs[0].Login != "pr-author" || cs[1].Login != "phasegen-bot" || !strings.Contains(cs[1].Body, "+  maxReplicas: 40") {
		t.Fatalf("comments %+v", cs)
	}
}

// pull_request_target reviews the base against itself and tempts a
// checkout of the head with a write token: refused, whatever the flags.
func TestReviewRefusesPullRequestTarget(t *testing.T) {
	reviewRepo(t)
	_, env := reviewFake(t)
	env["GITHUB_EVENT_NAME"] = "pull_request_target"
	for _, args := range [][]string{{"review"}, {"review", "--comment=1"}} {
		code, out, stderr := runCLI(t, env, args...)
		if code != cli.ExitError || out != "" || !strings.Contains(stderr, "refusing to review on a pull_request_target event") || !strings.Contains(stderr, "run review on pull_request") {
			t.Errorf("%v: exit %d\n%s%s", args, code, out, stderr)
		}
	}
}

// A fork's pull request: the workflow token is read-only, GitHub answers
// the comment with 403. The summary is written, a note says why there is no
// comment, exit 0; the same 403 on the repository's own pull request fails.
func TestReviewForkCommentForbidden(t *testing.T) {
	for _, c := range []struct {
		head string
		code int
	}{{"mallory/phasegen", cli.ExitOK}, {"coditect/phasegen", cli.ExitError}} {
		t.Run(c.head, func(t *testing.T) {
			dir, _ := reviewRepo(t)
			fake, env := reviewFake(t)
			editFile(t, filepath.Join(dir, "environments", "phases", "beta.yaml"), "maxReplicas: 30", "maxReplicas: 40")
			event := filepath.Join(t.TempDir(), "event.json")
			ev := `{"number":1,"pull_request":{"number":1,"head":{"repo":{"full_name":"` + c.head + `"}},"base":{"repo":{"full_name":"coditect/phasegen"}}}}`
			if err := os.WriteFile(event, []byte(ev), 0o644); err != nil {
				t.Fatal(err)
			}
			summary := filepath.Join(t.TempDir(), "summary.md")
			env["GITHUB_EVENT_PATH"], env["GITHUB_EVENT_NAME"] = event, "pull_request"
			fake.Inject(githubfake.Fault{Route: "POST issues/{number}/comments", Kind: githubfake.Status, Status: 403})
			code, _, stderr := runCLI(t, env, "review", "--comment", "--summary-file", summary)
			if code != c.code {
				t.Fatalf("exit %d, want %d\n%s", code, c.code, stderr)
			}
			fork := strings.Contains(stderr, "note: not commenting on #1: it comes from a fork")
			if fork != (c.code == cli.ExitOK) {
				t.Errorf("fork note %v:\n%s", fork, stderr)
			}
			if b, err := os.ReadFile(summary); err != nil || !strings.Contains(string(b), "+  maxReplicas: 40") {
				t.Errorf("summary: %v\n%s", err, b)
			}
			if len(fake.Comments(1)) != 0 {
				t.Error("a comment was written")
			}
		})
	}
}
