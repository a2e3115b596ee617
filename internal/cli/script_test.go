package cli_test

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/coditect/phasegen/internal/cli"
	"github.com/coditect/phasegen/internal/githubfake"
	"github.com/coditect/phasegen/internal/promtest"
)

// TestMain lets scripts run phasegen as a command of this test binary, and
// stops the shared Prometheus (promServer) after the tests.
func TestMain(m *testing.M) {
	testscript.Main(stopAfter{m}, map[string]func(){"phasegen": phasegenMain})
}

type stopAfter struct{ m *testing.M }

func (s stopAfter) Run() int {
	defer promServer.Stop()
	return s.m.Run()
}

// phasegenMain is cli.Run with two changes: waits (retry backoff,
// Retry-After) return at once and are logged, so no script sleeps; and the
// clock runs PHASEGEN_TEST_CLOCK_OFFSET (a Go duration) ahead, so a script
// can let a phase's soak pass ("env PHASEGEN_TEST_CLOCK_OFFSET=25h").
func phasegenMain() {
	offset, err := time.ParseDuration(os.Getenv("PHASEGEN_TEST_CLOCK_OFFSET"))
	if err != nil && os.Getenv("PHASEGEN_TEST_CLOCK_OFFSET") != "" {
		fmt.Fprintf(os.Stderr, "[test] PHASEGEN_TEST_CLOCK_OFFSET: %v\n", err)
		os.Exit(2)
	}
	a := &cli.App{
		Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv,
		HTTPClient: &http.Client{Timeout: 30 * time.Second},
		Now:        func() time.Time { return time.Now().Add(offset) },
		Sleep: func(ctx context.Context, d time.Duration) error {
			fmt.Fprintf(os.Stderr, "[test] would sleep %s\n", d)
			return ctx.Err()
		},
	}
	os.Exit(a.Run(context.Background(), os.Args[1:]))
}

// TestScripts runs testdata/script/*.txtar. Each starts in a copy of the
// repository's environments/, templates/ and overlays/.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: false,
		Setup: func(env *testscript.Env) error {
			for _, d := range []string{"environments", "templates/base", "overlays"} {
				if err := copyTree(filepath.Join("..", "testdata", "example", d), filepath.Join(env.WorkDir, d)); err != nil {
					return err
				}
			}
			env.Values[ghKey{}] = &ghState{}
			return nil
		},
		// [prometheus]: the real Prometheus runs (started on first use).
		// Without the binaries it is false, so the script skips, except
		// under CI=true, where that is an error.
		Condition: func(cond string) (bool, error) {
			if cond != "prometheus" {
				return false, fmt.Errorf("unknown condition %q", cond)
			}
			if _, skip := promtest.Missing(); skip {
				return false, nil
			}
			if _, _, err := promServer.Start(); err != nil {
				return false, err
			}
			return true, nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"gitinit":    cmdGitInit,
			"gitmerge":   cmdGitMerge,
			"gitexport":  cmdGitExport,
			"gitlog":     cmdGitLog,
			"cmptree":    cmdCmpTree,
			"github":     cmdGitHub,
			"gitcommit":  cmdGitCommit,
			"prometheus": cmdPrometheus,
			"usestore":   cmdUseStore,
		},
	})
}

// usestore: replace the seed's environments/, templates/base and overlays/
// with those of the second shipped example, examples/store (a Deployment
// and a StatefulSet).
func cmdUseStore(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: usestore")
	}
	for _, d := range []string{"environments", "templates/base", "overlays"} {
		ts.Check(os.RemoveAll(ts.MkAbs(d)))
		ts.Check(copyTree(filepath.Join("..", "..", "examples", "store", d), ts.MkAbs(d)))
	}
}

func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
}

// gitinit DIR: a bare repository whose main has one commit with README.md.
func cmdGitInit(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: gitinit DIR")
	}
	r, err := gogit.PlainInitWithOptions(ts.MkAbs(args[0]), &gogit.PlainInitOptions{
		Bare:        true,
		InitOptions: gogit.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName("main")},
	})
	ts.Check(err)
	st := r.Storer
	put := func(o interface {
		Encode(plumbing.EncodedObject) error
	}) plumbing.Hash {
		eo := st.NewEncodedObject()
		ts.Check(o.Encode(eo))
		h, err := st.SetEncodedObject(eo)
		ts.Check(err)
		return h
	}
	blob := st.NewEncodedObject()
	blob.SetType(plumbing.BlobObject)
	w, err := blob.Writer()
	ts.Check(err)
	_, err = w.Write([]byte("# Argo CD apps\n"))
	ts.Check(err)
	ts.Check(w.Close())
	bh, err := st.SetEncodedObject(blob)
	ts.Check(err)
	tree := put(&object.Tree{Entries: []object.TreeEntry{{Name: "README.md", Mode: filemode.Regular, Hash: bh}}})
	sig := object.Signature{Name: "seed", Email: "seed@example.com", When: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	c := put(&object.Commit{Author: sig, Committer: sig, Message: "seed\n", TreeHash: tree})
	ts.Check(st.SetReference(plumbing.NewHashReference(plumbing.NewBranchReferenceName("main"), c)))
}

func openGit(ts *testscript.TestScript, dir string) *gogit.Repository {
	r, err := gogit.PlainOpen(ts.MkAbs(dir))
	ts.Check(err)
	return r
}

func branchTip(ts *testscript.TestScript, r *gogit.Repository, branch string) plumbing.Hash {
	ref, err := r.Reference(plumbing.NewBranchReferenceName(branch), true)
	if err != nil {
		ts.Fatalf("branch %s: %v", branch, err)
	}
	return ref.Hash()
}

// gitmerge DIR BRANCH: move main to BRANCH, as merging its PR would.
func cmdGitMerge(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: gitmerge DIR BRANCH")
	}
	r := openGit(ts, args[0])
	ts.Check(r.Storer.SetReference(plumbing.NewHashReference(plumbing.NewBranchReferenceName("main"), branchTip(ts, r, args[1]))))
}

// gitlog DIR BRANCH: print BRANCH's first-parent history, newest first, one
// "SHA SUBJECT" line per commit.
func cmdGitLog(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: gitlog DIR BRANCH")
	}
	r := openGit(ts, args[0])
	h := branchTip(ts, r, args[1])
	for {
		c, err := r.CommitObject(h)
		ts.Check(err)
		subject, _, _ := strings.Cut(c.Message, "\n")
		fmt.Fprintf(ts.Stdout(), "%s %s\n", h.String()[:12], subject)
		if len(c.ParentHashes) == 0 {
			return
		}
		h = c.ParentHashes[0]
	}
}

// gitexport DIR BRANCH SUBDIR OUT: write the files under SUBDIR at BRANCH
// into OUT.
func cmdGitExport(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 4 {
		ts.Fatalf("usage: gitexport DIR BRANCH SUBDIR OUT")
	}
	r := openGit(ts, args[0])
	c, err := r.CommitObject(branchTip(ts, r, args[1]))
	ts.Check(err)
	tree, err := c.Tree()
	ts.Check(err)
	prefix := strings.Trim(args[2], "/") + "/"
	out := ts.MkAbs(args[3])
	ts.Check(tree.Files().ForEach(func(f *object.File) error {
		rel, ok := strings.CutPrefix(f.Name, prefix)
		if !ok {
			return nil
		}
		s, err := f.Contents()
		if err != nil {
			return err
		}
		p := filepath.Join(out, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		return os.WriteFile(p, []byte(s), 0o644)
	}))
}

// cmptree A B: the two directories hold the same files with the same bytes.
func cmdCmpTree(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: cmptree DIR1 DIR2")
	}
	read := func(dir string) map[string][]byte {
		out := map[string][]byte{}
		ts.Check(filepath.WalkDir(ts.MkAbs(dir), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(ts.MkAbs(dir), p)
			out[filepath.ToSlash(rel)], err = os.ReadFile(p)
			return err
		}))
		return out
	}
	a, b := read(args[0]), read(args[1])
	var bad []string
	for p, x := range a {
		if y, ok := b[p]; !ok {
			bad = append(bad, p+" only in "+args[0])
		} else if !bytes.Equal(x, y) {
			bad = append(bad, p+" differs")
		}
	}
	for p := range b {
		if _, ok := a[p]; !ok {
			bad = append(bad, p+" only in "+args[1])
		}
	}
	sort.Strings(bad)
	if len(bad) > 0 {
		ts.Fatalf("%s and %s differ:\n%s", args[0], args[1], strings.Join(bad, "\n"))
	}
	if len(a) == 0 {
		ts.Fatalf("%s is empty", args[0])
	}
}

// gitcommit MSG: commit every file of the script's work directory (a git
// repository made on first use), as a developer's history of configs.
func cmdGitCommit(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: gitcommit MSG")
	}
	dir := ts.MkAbs(".")
	r, err := gogit.PlainOpen(dir)
	if err != nil {
		r, err = gogit.PlainInit(dir, false)
	}
	ts.Check(err)
	w, err := r.Worktree()
	ts.Check(err)
	ts.Check(w.AddWithOptions(&gogit.AddOptions{All: true}))
	sig := &object.Signature{Name: "dev", Email: "dev@example.com", When: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)}
	h, err := w.Commit(args[0], &gogit.CommitOptions{Author: sig, Committer: sig, AllowEmptyCommits: true})
	ts.Check(err)
	fmt.Fprintf(ts.Stdout(), "%s\n", h.String()[:12])
}

type ghKey struct{}

// ghState is the fake GitHub of one script.
type ghState struct {
	fake *githubfake.Server
}

// The token the fake accepts.
const scriptToken = "ghs_scriptS3cretT0ken"

// github start | fault ROUTE status|secondary|429|drop [after] | prs |
// body N | merge N | calls | reset | writes N | commits BRANCH N | unfired
func cmdGitHub(ts *testscript.TestScript, neg bool, args []string) {
	st := ts.Value(ghKey{}).(*ghState)
	if len(args) == 0 {
		ts.Fatalf("usage: github start|fault|prs|body|merge|calls|reset|writes|commits|export|unfired")
	}
	if args[0] != "start" && st.fake == nil {
		ts.Fatalf("github %s: run 'github start' first", args[0])
	}
	if neg {
		ts.Fatalf("github does not take !")
	}
	f := st.fake
	switch args[0] {
	case "start":
		fake, err := githubfake.New(githubfake.Options{Owner: "coditect", Repo: "argocd-apps", Token: scriptToken})
		ts.Check(err)
		st.fake = fake
		srv := httptest.NewServer(st.fake)
		ts.Defer(srv.Close)
		_, err = st.fake.Seed(map[string][]byte{"README.md": []byte("# Argo CD apps\n")})
		ts.Check(err)
		ts.Setenv("GITHUB_API_URL", srv.URL+"/api/v3/")
		ts.Setenv("GITHUB_TOKEN", scriptToken)
	case "fault":
		if len(args) < 3 {
			ts.Fatalf("usage: github fault ROUTE KIND [after]")
		}
		kinds := map[string]githubfake.FaultKind{"status": githubfake.Status, "secondary": githubfake.SecondaryRateLimit,
			"429": githubfake.TooManyRequests, "drop": githubfake.Drop}
		k, ok := kinds[args[2]]
		if !ok {
			ts.Fatalf("unknown fault kind %q", args[2])
		}
		f.Inject(githubfake.Fault{Route: args[1], Kind: k, Status: 502, AfterWrite: len(args) > 3 && args[3] == "after"})
	case "prs":
		for _, p := range f.PullRequests() {
			fmt.Fprintf(ts.Stdout(), "#%d %s merged=%v draft=%v head=%s base=%s labels=%s reviewers=%s title=%s\n",
				p.Number, p.State, p.Merged, p.Draft, p.Head, p.Base, strings.Join(p.Labels, ","), strings.Join(p.Reviewers, ","), p.Title)
		}
	case "body":
		n := atoi(ts, args, 1)
		for _, p := range f.PullRequests() {
			if p.Number == n {
				fmt.Fprint(ts.Stdout(), p.Body)
				return
			}
		}
		ts.Fatalf("no pull request #%d", n)
	case "merge":
		ts.Check(f.MergePR(atoi(ts, args, 1)))
	case "calls":
		calls := f.Calls()
		fmt.Fprintf(ts.Stdout(), "%d calls\n", len(calls))
		for _, c := range calls {
			fmt.Fprintf(ts.Stdout(), "%s %d\n", c.Key(), c.Status)
		}
	case "reset":
		f.ResetCalls()
	case "writes":
		if n, want := len(f.Writes()), atoi(ts, args, 1); n != want {
			ts.Fatalf("%d writes, want %d: %v", n, want, f.Writes())
		}
	case "commits":
		if len(args) != 3 {
			ts.Fatalf("usage: github commits BRANCH N")
		}
		mainTip, _ := f.Branch("main")
		log, err := f.Log(args[1], mainTip)
		ts.Check(err)
		if want := atoi(ts, args, 2); len(log) != want {
			ts.Fatalf("%d commits on %s on top of main, want %d", len(log), args[1], want)
		}
	case "export":
		// github export BRANCH SUBDIR OUT: as gitexport, from the fake.
		if len(args) != 4 {
			ts.Fatalf("usage: github export BRANCH SUBDIR OUT")
		}
		files, err := f.Files(args[1])
		ts.Check(err)
		prefix := strings.Trim(args[2], "/") + "/"
		for name, data := range files {
			if rel, ok := strings.CutPrefix(name, prefix); ok {
				p := filepath.Join(ts.MkAbs(args[3]), filepath.FromSlash(rel))
				ts.Check(os.MkdirAll(filepath.Dir(p), 0o755))
				ts.Check(os.WriteFile(p, data, 0o644))
			}
		}
	case "pr":
		// github pr BRANCH TITLE: a pull request of BRANCH into main.
		if len(args) != 3 {
			ts.Fatalf("usage: github pr BRANCH TITLE")
		}
		n, err := f.OpenPR(args[1], "main", args[2])
		ts.Check(err)
		fmt.Fprintf(ts.Stdout(), "#%d\n", n)
	case "comments":
		// github comments N: how many comments #N has, then each one's
		// first line and length in characters.
		cs := f.Comments(atoi(ts, args, 1))
		fmt.Fprintf(ts.Stdout(), "%d comments\n", len(cs))
		for _, c := range cs {
			first, _, _ := strings.Cut(c.Body, "\n")
			fmt.Fprintf(ts.Stdout(), "%d %s %d\n", c.ID, first, utf8.RuneCountInString(c.Body))
		}
	case "unfired":
		if un := f.Unfired(); len(un) > 0 {
			ts.Fatalf("faults that did not fire: %+v", un)
		}
	default:
		ts.Fatalf("unknown github subcommand %q", args[0])
	}
}

func atoi(ts *testscript.TestScript, args []string, i int) int {
	if len(args) <= i {
		ts.Fatalf("missing a number")
	}
	n, err := strconv.Atoi(args[i])
	ts.Check(err)
	return n
}

// prometheus: point the script at the shared real Prometheus (started on
// first use over the generated histories): PROMETHEUS_URL, and AT, the
// histories' end for --at.
func cmdPrometheus(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: prometheus")
	}
	srv, _, err := promServer.Start()
	if err != nil {
		ts.Fatalf("%v (guard the script with [!prometheus] skip)", err)
	}
	ts.Setenv("PROMETHEUS_URL", srv.URL)
	ts.Setenv("AT", strconv.FormatInt(historyEnd.Unix(), 10))
}
