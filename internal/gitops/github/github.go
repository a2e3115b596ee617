// Package github writes file sets to a GitHub repository and opens pull
// requests for them, with github.com/google/go-github/v62. It implements
// gitops.Repo: Write makes one commit on a head branch on top of a base
// branch through the git data API (one tree, one commit, one ref update, a
// number of API calls that does not grow with the number of files), and
// OpenPR creates the pull request for that branch or edits the open one.
//
// Every step is idempotent and safe to rerun after a failure: identical
// content writes nothing, a lost response to a ref or PR creation is
// recovered from GitHub's "already exists" answer, and transient failures
// (5xx, dropped connections, secondary rate limits, 429) are retried with
// exponential backoff and jitter. Waiting always goes through Options.Sleep.
// The token never appears in errors or log lines.
package github

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/google/go-github/v62/github"

	"github.com/coditect/phasegen/internal/gitops"
	"github.com/coditect/phasegen/internal/httpbody"
	"github.com/coditect/phasegen/internal/retry"
	"github.com/coditect/phasegen/internal/secret"
)

// DefaultBaseURL is the GitHub API used when Options.BaseURL is empty.
const DefaultBaseURL = "https://api.github.com/"

// MaxAnswer is the most bytes of one GitHub answer read (a page of 100
// comments of GitHub's largest, a file at gitops.MaxFileSize in base64),
// whatever size the answer claims.
const MaxAnswer = 48 << 20

// DefaultMaxAttempts bounds how often one API call is tried.
const DefaultMaxAttempts = 6

// ErrAuth is wrapped by errors caused by a rejected or missing token.
var ErrAuth = errors.New("github authentication failed")

// ErrForbidden is wrapped by errors of a request the credentials may not
// make (403, no rate limit).
var ErrForbidden = errors.New("permission denied")

// ErrRateLimited is wrapped by errors caused by a rate limit that lasts
// longer than Options.MaxWait.
var ErrRateLimited = errors.New("github rate limit exceeded")

// Options configures a Target.
type Options struct {
	// BaseURL is the API base URL, used as given (GITHUB_API_URL; GitHub
	// Enterprise: https://HOST/api/v3). Default DefaultBaseURL.
	BaseURL string
	// Token authenticates every request (GITHUB_TOKEN or GH_TOKEN).
	Token string
	// App, when set, authenticates as a GitHub App instead of Token: an
	// installation token for the repository, bought with the App's JWT and
	// renewed before it expires.
	App *App
	// IntegrationLogin is the login GitHub gives the comments of Token
	// when Token is an installation token, which GitHub does not name
	// (GitHub Actions' GITHUB_TOKEN writes as "github-actions[bot]").
	// Empty: such a token cannot keep a sticky comment.
	IntegrationLogin string
	// Owner and Repo name the repository.
	Owner, Repo string
	// HTTPClient sends the requests; default a new http.Client.
	HTTPClient *http.Client
	// Sleep waits for d or until ctx is done; default a timer. Tests inject
	// one that does not sleep.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock rate-limit resets are compared with; default time.Now.
	Now func() time.Time
	// MaxWait is the longest wait for a primary rate limit to reset; beyond
	// it the call fails with the reset time. Zero means never wait. Secondary
	// rate limits and 429s wait for Retry-After up to max(MaxWait, 1m).
	MaxWait time.Duration
	// Log receives one line per retry; default io.Discard.
	Log io.Writer
	// Rand returns a number in [0, 1) for backoff jitter; default math/rand/v2.
	Rand func() float64
	// MaxAttempts bounds the tries of one call; default DefaultMaxAttempts.
	MaxAttempts int
}

// Repo is a GitHub repository. It is safe for concurrent use.
type Repo struct {
	gh          *github.Client
	owner, repo string
	secrets     []string   // the token and the API URL's credentials
	app         *appTokens // nil without App credentials
	sleep       func(context.Context, time.Duration) error
	now         func() time.Time
	maxWait     time.Duration
	rand        func() float64
	maxAttempts int

	logMu sync.Mutex
	log   io.Writer

	integrationLogin string
	identMu          sync.Mutex
	ident            string // the login comments are written under, once known
}

var _ gitops.Repo = (*Repo)(nil)

// New returns a Repo for o.Owner/o.Repo.
func New(o Options) (*Repo, error) {
	if o.Owner == "" || o.Repo == "" {
		return nil, fmt.Errorf("github target: owner and repository are required")
	}
	raw := o.BaseURL
	if raw == "" {
		raw = DefaultBaseURL
	}
	base, err := url.Parse(raw)
	if err != nil || base.Scheme == "" || base.Host == "" {
		// The value may be a token pasted into the wrong variable.
		return nil, fmt.Errorf("github api url %q: not an absolute URL", secret.URL(raw, o.Token))
	}
	if !strings.HasSuffix(base.Path, "/") {
		base.Path += "/"
	}
	// Redirects stay on the API's origin: go-github's token transport
	// would add the token to a request to any other.
	hc := secret.Client(o.HTTPClient)
	inner := hc.Transport
	if inner == nil {
		inner = http.DefaultTransport
	}
	rt := rateHeaderTransport{next: httpbody.Transport{Next: inner, Max: MaxAnswer}}
	hc.Transport = rt
	t := &Repo{
		owner: o.Owner, repo: o.Repo, secrets: append([]string{o.Token}, secret.OfURL(base)...),
		sleep: o.Sleep, now: o.Now, maxWait: o.MaxWait, log: o.Log, rand: o.Rand, maxAttempts: o.MaxAttempts,
		integrationLogin: o.IntegrationLogin,
	}
	t.gh = github.NewClient(hc)
	switch {
	case o.App != nil:
		if o.App.ID <= 0 || o.App.Key == nil {
			return nil, errors.New("github app: an App ID and a private key are required")
		}
		t.app = &appTokens{app: *o.App, owner: o.Owner, repo: o.Repo, call: t.call,
			now: func() time.Time { return t.now() },
			client: func(signed string) *github.Client {
				c := github.NewClient(hc).WithAuthToken(signed) // hc: no installation token transport
				c.BaseURL = base
				return c
			}}
		main := *hc
		main.Transport = authTransport{next: rt, token: t.app.Token}
		t.gh = github.NewClient(&main)
	case o.Token != "":
		t.gh = t.gh.WithAuthToken(o.Token)
	}
	t.gh.BaseURL = base
	if t.sleep == nil {
		t.sleep = retry.Sleep
	}
	if t.now == nil {
		t.now = time.Now
	}
	if t.log == nil {
		t.log = io.Discard
	}
	if t.rand == nil {
		t.rand = rand.Float64
	}
	if t.maxAttempts < 1 {
		t.maxAttempts = DefaultMaxAttempts
	}
	return t, nil
}

// logf writes one redacted line to the log.
func (t *Repo) logf(format string, args ...any) {
	line := t.redactString(fmt.Sprintf(format, args...))
	t.logMu.Lock()
	defer t.logMu.Unlock()
	fmt.Fprintln(t.log, line)
}

// redact wraps err so its text never shows the token or the API URL's
// credentials, and escapes what GitHub wrote in it.
func (t *Repo) redact(err error) error {
	if err == nil {
		return nil
	}
	return &untrusted{err: err, secrets: t.allSecrets()}
}

func (t *Repo) redactString(s string) string { return secret.Untrusted(s, t.allSecrets()...) }

// allSecrets are the static credentials and every JWT and installation
// token issued so far.
func (t *Repo) allSecrets() []string {
	if t.app == nil {
		return t.secrets
	}
	return append(append([]string(nil), t.secrets...), t.app.secrets()...)
}

// untrusted is an error whose text came partly from GitHub: credentials
// masked, control characters escaped; errors.Is and errors.As see through.
type untrusted struct {
	err     error
	secrets []string
}

func (e *untrusted) Error() string { return secret.Untrusted(e.err.Error(), e.secrets...) }
func (e *untrusted) Unwrap() error { return e.err }

// ReadFile returns the content of file p on branch with one contents API
// call (two for files over 1 MB, which the contents API does not inline).
func (t *Repo) ReadFile(ctx context.Context, branch, p string) ([]byte, error) {
	b, err := t.readFile(ctx, branch, p)
	return b, t.redact(err)
}

func (t *Repo) readFile(ctx context.Context, branch, p string) ([]byte, error) {
	op := fmt.Sprintf("reading %s on branch %s", p, branch)
	var fc *github.RepositoryContent
	var dir []*github.RepositoryContent
	err := t.call(ctx, op, func() (*github.Response, error) {
		var resp *github.Response
		var err error
		fc, dir, resp, err = t.gh.Repositories.GetContents(ctx, t.owner, t.repo, p, &github.RepositoryContentGetOptions{Ref: branch})
		return resp, err
	})
	if err != nil {
		return nil, err
	}
	if fc == nil || dir != nil || fc.GetType() != "file" {
		return nil, fmt.Errorf("%s: not a file", op)
	}
	if fc.GetSize() > gitops.MaxFileSize {
		return nil, fmt.Errorf("%s: %d bytes, over the %d-byte limit; refusing to read it", op, fc.GetSize(), gitops.MaxFileSize)
	}
	if fc.GetEncoding() == "none" || (fc.Content == nil && fc.GetSize() > 0) {
		var b []byte
		err := t.call(ctx, op, func() (*github.Response, error) {
			var resp *github.Response
			var err error
			b, resp, err = t.gh.Git.GetBlobRaw(ctx, t.owner, t.repo, fc.GetSHA())
			return resp, err
		})
		return b, err
	}
	s, err := fc.GetContent()
	if err != nil {
		return nil, fmt.Errorf("%s: decoding content: %w", op, err)
	}
	return []byte(s), nil
}

// ListDir returns the blob id of each file directly in dir on branch, by
// name, with one contents API call; an empty map when dir does not exist.
func (t *Repo) ListDir(ctx context.Context, branch, dir string) (map[string]string, error) {
	out, err := t.listDir(ctx, branch, dir)
	return out, t.redact(err)
}

func (t *Repo) listDir(ctx context.Context, branch, dir string) (map[string]string, error) {
	op := fmt.Sprintf("listing %s on branch %s", dir, branch)
	var fc *github.RepositoryContent
	var list []*github.RepositoryContent
	err := t.call(ctx, op, func() (*github.Response, error) {
		var resp *github.Response
		var err error
		fc, list, resp, err = t.gh.Repositories.GetContents(ctx, t.owner, t.repo, dir, &github.RepositoryContentGetOptions{Ref: branch})
		return resp, err
	})
	out := map[string]string{}
	switch {
	case errors.Is(err, gitops.ErrNotFound):
		return out, nil
	case err != nil:
		return nil, err
	case fc != nil:
		return nil, fmt.Errorf("%s: a file, not a folder", op)
	}
	for _, e := range list {
		if e.GetType() == "file" {
			out[e.GetName()] = e.GetSHA()
		}
	}
	return out, nil
}

// ListTree returns every file under dir on branch by its path from the
// repository's top, with two calls (the branch, its recursive tree); a
// tree GitHub cuts is an error, never a partial answer.
func (t *Repo) ListTree(ctx context.Context, branch, dir string) (map[string]string, error) {
	out, err := t.listTree(ctx, branch, dir)
	return out, t.redact(err)
}

func (t *Repo) listTree(ctx context.Context, branch, dir string) (map[string]string, error) {
	tip, err := t.refSHA(ctx, branch)
	if errors.Is(err, gitops.ErrNotFound) {
		return nil, fmt.Errorf("listing branch %s of %s/%s: %w", branch, t.owner, t.repo, gitops.ErrNoBranch)
	}
	if err != nil {
		return nil, err
	}
	tree, err := t.recursiveTree(ctx, branch, tip)
	if err != nil {
		return nil, err
	}
	dir = gitops.CleanPrefix(dir)
	out := map[string]string{}
	for _, e := range tree.Entries {
		p := e.GetPath()
		if e.GetType() == "blob" && (dir == "" || strings.HasPrefix(p, dir+"/")) {
			out[p] = e.GetSHA()
		}
	}
	return out, nil
}

// recursiveTree reads the whole tree of commit tip of branch in one call;
// a tree GitHub cuts is an error.
func (t *Repo) recursiveTree(ctx context.Context, branch, tip string) (*github.Tree, error) {
	var tree *github.Tree
	err := t.call(ctx, fmt.Sprintf("reading tree of %s at %s", branch, short(tip)), func() (*github.Response, error) {
		var resp *github.Response
		var err error
		tree, resp, err = t.gh.Git.GetTree(ctx, t.owner, t.repo, tip, true)
		return resp, err
	})
	if err != nil {
		return nil, err
	}
	if tree.GetTruncated() {
		return nil, fmt.Errorf("reading tree of %s: the repository has too many files for one recursive tree read", branch)
	}
	return tree, nil
}

// Branches returns the repository's branches, by name (at most 100), with
// one call.
func (t *Repo) Branches(ctx context.Context) ([]string, error) {
	var list []*github.Branch
	err := t.call(ctx, "listing branches", func() (*github.Response, error) {
		var resp *github.Response
		var err error
		list, resp, err = t.gh.Repositories.ListBranches(ctx, t.owner, t.repo, &github.BranchListOptions{ListOptions: github.ListOptions{PerPage: 100}})
		return resp, err
	})
	if err != nil {
		return nil, t.redact(err)
	}
	out := make([]string, len(list))
	for i, b := range list {
		out[i] = b.GetName()
	}
	return out, nil
}
