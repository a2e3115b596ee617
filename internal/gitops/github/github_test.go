package github_test

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/coditect/phasegen/internal/fileset"
	"github.com/coditect/phasegen/internal/gitops"
	"github.com/coditect/phasegen/internal/gitops/github"
)

func TestWriteAndOpenPR(t *testing.T) {
	e := newEnv(t)
	tg := e.target()
	ctx := context.Background()
	mainTip, _ := e.fake.Branch("main")

	res, err := tg.Write(ctx, change(rendered(3, "beta")))
	if err != nil {
		t.Fatal(err)
	}
	head, _ := e.fake.Branch("phasegen/production")
	if !res.Changed || res.UpToDate || res.Commit != head || res.BaseTip != mainTip {
		t.Fatalf("result %+v, head %s, main %s", res, head, mainTip)
	}
	if got := e.branchFiles("phasegen/production"); !sameMap(got, wantTree(rendered(3, "beta"))) {
		t.Fatalf("head tree:\n%v", got)
	}
	ahead := e.commitsAhead("phasegen/production")
	if len(ahead) != 1 || ahead[0].Parents[0] != mainTip || ahead[0].Message != "production: pre-launch → beta" || ahead[0].Author != "phasegen <phasegen@example.com>" {
		t.Fatalf("commits ahead of main: %+v", ahead)
	}
	wantCalls := []string{
		"GET git/ref/heads/{branch...}", "GET git/trees/{sha}", "GET git/ref/heads/{branch...}",
		"POST git/trees", "POST git/commits", "POST git/refs",
	}
	if got := e.keys(); strings.Join(got, "\n") != strings.Join(wantCalls, "\n") {
		t.Fatalf("write calls:\n%s", strings.Join(got, "\n"))
	}

	e.fake.ResetCalls()
	pres, err := tg.OpenPR(ctx, pr())
	if err != nil {
		t.Fatal(err)
	}
	if !pres.Created || pres.Updated || pres.Number != 1 || pres.URL != "https://github.com/coditect/argocd-apps/pull/1" {
		t.Fatalf("PR result %+v", pres)
	}
	prs := e.fake.PullRequests()
	if len(prs) != 1 {
		t.Fatalf("%d PRs", len(prs))
	}
	p := prs[0]
	if p.Title != pr().Title || p.Body != pr().Body || !p.Draft || p.Head != "phasegen/production" || p.Base != "main" ||
		strings.Join(p.Labels, ",") != "phasegen,phase/beta" || strings.Join(p.Reviewers, ",") != "alice" || strings.Join(p.TeamReviewers, ",") != "platform" {
		t.Fatalf("PR %+v", p)
	}
	wantCalls = []string{"GET pulls", "POST pulls", "POST issues/{number}/labels", "POST pulls/{number}/requested_reviewers"}
	if got := e.keys(); strings.Join(got, "\n") != strings.Join(wantCalls, "\n") {
		t.Fatalf("PR calls:\n%s", strings.Join(got, "\n"))
	}

	// A rerun reads and writes nothing.
	e.fake.ResetCalls()
	res2, err := tg.Write(ctx, change(rendered(3, "beta")))
	if err != nil {
		t.Fatal(err)
	}
	if res2.Changed || res2.UpToDate || res2.Commit != head {
		t.Fatalf("rerun result %+v", res2)
	}
	pres2, err := tg.OpenPR(ctx, pr())
	if err != nil {
		t.Fatal(err)
	}
	if pres2.Created || pres2.Updated || pres2.Number != 1 {
		t.Fatalf("rerun PR result %+v", pres2)
	}
	if w := e.writes(); len(w) != 0 {
		t.Fatalf("rerun wrote: %v", w)
	}
	if n := len(e.fake.Calls()); n != 5 {
		t.Fatalf("rerun made %d calls, want 5: %v", n, e.keys())
	}
}

func TestUpToDateBase(t *testing.T) {
	e := newEnv(t)
	files := rendered(3, "beta")
	seed := map[string][]byte{}
	for p, b := range files.Prefix("apps/coditect") {
		seed[p] = b
	}
	base, err := e.fake.CommitFiles("main", "already there", seed)
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.target().Write(context.Background(), change(files))
	if err != nil {
		t.Fatal(err)
	}
	if !res.UpToDate || res.Changed || res.Commit != "" || res.BaseTip != base {
		t.Fatalf("result %+v", res)
	}
	if got := e.keys(); len(got) != 2 || len(e.writes()) != 0 {
		t.Fatalf("calls: %v", got)
	}
	if _, ok := e.fake.Branch("phasegen/production"); ok {
		t.Fatal("head branch created")
	}
}

func TestCallCountConstantInFiles(t *testing.T) {
	counts := map[int][2]int{}
	for _, n := range []int{3, 300} {
		e := newEnv(t)
		tg := e.target()
		ctx := context.Background()
		if _, err := tg.Write(ctx, change(rendered(n, "beta"))); err != nil {
			t.Fatal(err)
		}
		fresh := len(e.fake.Calls())
		e.fake.ResetCalls()
		// Every file changes: still one tree, one commit, one ref update.
		if _, err := tg.Write(ctx, change(rendered(n, "full-mvp"))); err != nil {
			t.Fatal(err)
		}
		changed := len(e.fake.Calls())
		counts[n] = [2]int{fresh, changed}
		if got := e.branchFiles("phasegen/production"); !sameMap(got, wantTree(rendered(n, "full-mvp"))) {
			t.Fatalf("%d files: head tree wrong (%d files)", n, len(got))
		}
		if ahead := e.commitsAhead("phasegen/production"); len(ahead) != 1 {
			t.Fatalf("%d files: %d commits ahead", n, len(ahead))
		}
	}
	if counts[3] != counts[300] || counts[3] != [2]int{6, 7} {
		t.Fatalf("calls (fresh, changed) by file count: %v; want 6 and 7 for both", counts)
	}
}

func TestDeletesOwnedFilesOnly(t *testing.T) {
	e := newEnv(t)
	if _, err := e.fake.CommitFiles("main", "old phase", map[string][]byte{
		"apps/coditect/overlays/production/hpa.yaml":        []byte("kind: HorizontalPodAutoscaler\n"),
		"apps/coditect/overlays/production/deep/patch.yaml": []byte("old\n"),
		"apps/coditect/templates/base/old.yaml":             []byte("old\n"),
		"apps/coditect/notes.txt":                           []byte("not owned\n"),
	}); err != nil {
		t.Fatal(err)
	}
	files := rendered(3, "beta")
	if _, err := e.target().Write(context.Background(), change(files)); err != nil {
		t.Fatal(err)
	}
	want := wantTree(files)
	want["apps/coditect/notes.txt"] = "not owned\n"
	if got := e.branchFiles("phasegen/production"); !sameMap(got, want) {
		t.Fatalf("head tree:\n%v\nwant\n%v", slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)))
	}
	var body string
	for _, c := range e.fake.Calls() {
		if c.Key() == "POST git/trees" {
			body = string(c.Body)
		}
	}
	if !strings.Contains(body, `"sha":null`) || strings.Count(body, `"path":"apps/coditect/overlays/production/deep/patch.yaml"`) != 1 {
		t.Fatalf("tree request does not delete with sha null: %s", body)
	}
	// Nothing more to do on a rerun, although main still has the old files.
	e.fake.ResetCalls()
	res, err := e.target().Write(context.Background(), change(files))
	if err != nil || res.Changed || len(e.writes()) != 0 {
		t.Fatalf("rerun: %+v %v %v", res, err, e.writes())
	}
}

func TestMergedOrClosedPRGetsANewOne(t *testing.T) {
	e := newEnv(t)
	tg := e.target()
	ctx := context.Background()
	promote := func(phase string) github.PRResult {
		t.Helper()
		if _, err := tg.Write(ctx, change(rendered(3, phase))); err != nil {
			t.Fatal(err)
		}
		p := pr()
		p.Title = "production → " + phase
		res, err := tg.OpenPR(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	first := promote("beta")
	if err := e.fake.MergePR(first.Number); err != nil {
		t.Fatal(err)
	}
	// main now holds beta: writing beta again is up to date.
	res, err := tg.Write(ctx, change(rendered(3, "beta")))
	if err != nil || !res.UpToDate {
		t.Fatalf("after merge: %+v %v", res, err)
	}
	second := promote("full-mvp")
	if !second.Created || second.Number == first.Number {
		t.Fatalf("after merge: %+v", second)
	}
	if ahead := e.commitsAhead("phasegen/production"); len(ahead) != 1 {
		t.Fatalf("%d commits ahead of the merged main", len(ahead))
	}
	if err := e.fake.ClosePR(second.Number); err != nil {
		t.Fatal(err)
	}
	third := promote("full-mvp")
	if !third.Created || third.Number == second.Number {
		t.Fatalf("after close: %+v", third)
	}
	var open int
	for _, p := range e.fake.PullRequests() {
		if p.State == "open" {
			open++
		}
	}
	if open != 1 || len(e.fake.PullRequests()) != 3 {
		t.Fatalf("PRs: %+v", e.fake.PullRequests())
	}
}

func TestOpenPRUpdatesTheOpenOne(t *testing.T) {
	e := newEnv(t)
	tg := e.target()
	ctx := context.Background()
	if _, err := tg.Write(ctx, change(rendered(3, "beta"))); err != nil {
		t.Fatal(err)
	}
	if _, err := tg.OpenPR(ctx, pr()); err != nil {
		t.Fatal(err)
	}
	e.fake.ResetCalls()
	p := pr()
	p.Body = "new body"
	p.Labels = append(p.Labels, "urgent")
	res, err := tg.OpenPR(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if res.Created || !res.Updated || res.Number != 1 {
		t.Fatalf("result %+v", res)
	}
	got := e.fake.PullRequests()
	if len(got) != 1 || got[0].Body != "new body" || got[0].Title != p.Title || strings.Join(got[0].Labels, ",") != "phasegen,phase/beta,urgent" {
		t.Fatalf("PRs %+v", got)
	}
	if w := strings.Join(e.writes(), ","); w != "PATCH pulls/{number},POST issues/{number}/labels" {
		t.Fatalf("writes: %s", w)
	}
	var patch string
	for _, c := range e.fake.Writes() {
		if c.Method == http.MethodPatch {
			patch = string(c.Body)
		}
	}
	if strings.Contains(patch, "title") {
		t.Fatalf("unchanged title was sent: %s", patch)
	}
}

func TestReadFile(t *testing.T) {
	e := newEnv(t)
	big := bytes.Repeat([]byte("0123456789abcdef"), 70000) // over 1 MB
	huge := make([]byte, gitops.MaxFileSize+1)
	if _, err := e.fake.CommitFiles("main", "big", map[string][]byte{"big.bin": big, "huge.bin": huge}); err != nil {
		t.Fatal(err)
	}
	tg := e.target()
	ctx := context.Background()
	b, err := tg.ReadFile(ctx, "main", "apps/other/app.yaml")
	if err != nil || string(b) != "other: true\n" {
		t.Fatalf("read: %q %v", b, err)
	}
	if n := len(e.fake.Calls()); n != 1 {
		t.Fatalf("%d calls for one read", n)
	}
	if b, err := tg.ReadFile(ctx, "main", "big.bin"); err != nil || !bytes.Equal(b, big) {
		t.Fatalf("big read: %d bytes, %v", len(b), err)
	}
	// Over the cap: refused from the contents answer's size, the blob is
	// never fetched.
	before := len(e.fake.Calls())
	if _, err := tg.ReadFile(ctx, "main", "huge.bin"); err == nil || !strings.Contains(err.Error(), "8388609 bytes, over the 8388608-byte limit") {
		t.Fatalf("huge read: %v", err)
	}
	if n := len(e.fake.Calls()) - before; n != 1 {
		t.Errorf("huge read: %d calls, want 1 (no blob fetch)", n)
	}
	if _, err := tg.ReadFile(ctx, "main", "nope.yaml"); !errors.Is(err, gitops.ErrNotFound) {
		t.Errorf("main:nope.yaml: %v, want ErrNotFound", err)
	}
	// A missing branch is not a missing file: no first promotion.
	if _, err := tg.ReadFile(ctx, "nope", "README.md"); !errors.Is(err, gitops.ErrNoBranch) || errors.Is(err, gitops.ErrNotFound) {
		t.Errorf("nope:README.md: %v, want ErrNoBranch", err)
	}
	if _, err := tg.ReadFile(ctx, "main", "apps/other"); err == nil || errors.Is(err, gitops.ErrNotFound) {
		t.Errorf("directory read: %v", err)
	}
}

func TestEnterpriseBaseURL(t *testing.T) {
	e := newEnv(t)
	mux := http.NewServeMux()
	mux.Handle("/api/v3/", e.fake)
	ghe := httptest.NewServer(mux)
	defer ghe.Close()
	tg := e.target(func(o *github.Options) {
		o.BaseURL = ghe.URL + "/api/v3" // as GITHUB_API_URL is usually set: no trailing slash
		o.HTTPClient = ghe.Client()
	})
	ctx := context.Background()
	if _, err := tg.Write(ctx, change(rendered(3, "beta"))); err != nil {
		t.Fatal(err)
	}
	res, err := tg.OpenPR(ctx, pr())
	if err != nil || !res.Created {
		t.Fatalf("%+v %v", res, err)
	}
	if b, err := tg.ReadFile(ctx, "phasegen/production", "apps/coditect/templates/base/statefulset.yaml"); err != nil || string(b) != "kind: StatefulSet\n" {
		t.Fatalf("read: %q %v", b, err)
	}
}

func TestBinaryFileIsUploadedAsBlob(t *testing.T) {
	e := newEnv(t)
	files := rendered(3, "beta")
	files["templates/base/logo.png"] = []byte{0x89, 'P', 'N', 'G', 0xff, 0x00, 0xfe}
	tg := e.target()
	if _, err := tg.Write(context.Background(), change(files)); err != nil {
		t.Fatal(err)
	}
	if got := e.branchFiles("phasegen/production"); !sameMap(got, wantTree(files)) {
		t.Fatalf("head tree wrong")
	}
	if n := e.fake.Count("POST git/blobs"); n != 1 {
		t.Fatalf("%d blob uploads", n)
	}
	e.fake.ResetCalls()
	if res, err := tg.Write(context.Background(), change(files)); err != nil || res.Changed || len(e.writes()) != 0 {
		t.Fatalf("rerun: %+v %v", res, err)
	}
}

func TestConcurrentPromotions(t *testing.T) {
	e := newEnv(t)
	tg := e.target()
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for _, env := range []string{"production", "staging", "dev", "qa"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := change(fileset.Set{"overlays/" + env + "/k.yaml": []byte(env + "\n")})
			c.Head, c.Owned = "phasegen/"+env, []string{"overlays/" + env}
			if _, err := tg.Write(context.Background(), c); err != nil {
				errs <- err
				return
			}
			p := pr()
			p.Head = c.Head
			if _, err := tg.OpenPR(context.Background(), p); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := len(e.fake.PullRequests()); n != 4 {
		t.Fatalf("%d PRs", n)
	}
}

func TestMissingBaseBranch(t *testing.T) {
	e := newEnv(t)
	c := change(rendered(3, "beta"))
	c.Base = "release"
	_, err := e.target().Write(context.Background(), c)
	if !errors.Is(err, gitops.ErrNotFound) || !strings.Contains(err.Error(), "base branch release not found in coditect/argocd-apps") {
		t.Fatalf("error %v", err)
	}
	if len(e.fake.Writes()) != 0 || len(e.clock.Sleeps()) != 0 {
		t.Fatal("a missing base branch was retried or written to")
	}
}

// A head branch holding a commit unrelated to the base is not replaced
// without Force (one compare call finds no common ancestor); with Force it
// is.
func TestWriteRefusesForeignHead(t *testing.T) {
	e := newEnv(t)
	foreign, err := e.fake.CommitFiles("phasegen/production", "unrelated work", map[string][]byte{"mine.txt": []byte("x\n")})
	if err != nil {
		t.Fatal(err)
	}
	tg := e.target()
	c := change(rendered(3, "beta"))
	_, err = tg.Write(context.Background(), c)
	if !errors.Is(err, gitops.ErrForeignHead) || !strings.Contains(err.Error(), foreign[:12]) || !strings.Contains(err.Error(), "unrelated work") {
		t.Fatalf("Write over a foreign branch: %v, want ErrForeignHead naming it", err)
	}
	if e.fake.Count("GET compare/{basehead}") != 1 {
		t.Errorf("%d compare calls, want 1", e.fake.Count("GET compare/{basehead}"))
	}
	if tip, _ := e.fake.Branch("phasegen/production"); tip != foreign {
		t.Fatalf("the foreign branch moved to %s", tip)
	}
	c.Force = true
	res, err := tg.Write(context.Background(), c)
	if err != nil || !res.Changed {
		t.Fatalf("Write with Force: %+v, %v", res, err)
	}
	if tip, _ := e.fake.Branch("phasegen/production"); tip != res.Commit {
		t.Fatalf("branch at %s, want %s", tip, res.Commit)
	}
}
