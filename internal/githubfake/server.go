// Package githubfake is a fake GitHub REST API for tests: an http.Handler
// (serve it with httptest.NewServer) that answers the git data, contents,
// commits list, pull request, label and reviewer endpoints with GitHub's status codes and
// JSON shapes, keeps its objects in a real in-memory git repository (go-git),
// logs and counts every call per route, records request bodies, and injects
// faults (5xx, rate limits, dropped connections) before or after a write.
//
// It is an ordinary package, not a _test one, so end-to-end tests of other
// packages can drive the CLI against it. Handlers never stop the test: every
// problem is answered as a JSON error, like GitHub does.
package githubfake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/storage/memory"
)

// Options configures a Server.
type Options struct {
	Owner         string // repository owner, e.g. "coditect"
	Repo          string // repository name, e.g. "argocd-apps"
	Token         string // the only token accepted ("Bearer T" or "token T"); "" accepts any request
	DefaultBranch string // default "main"
	Login         string // login of the token's user, default "phasegen-bot"
	// TokenIntegration makes Token an installation token, as GitHub
	// Actions' GITHUB_TOKEN is: GET /user answers 403 and its comments are
	// Login's (set it to "github-actions[bot]").
	TokenIntegration bool
	Now              func() time.Time // clock for commit dates and rate-limit headers, default time.Now
	// App, when set, is a GitHub App that can buy installation tokens
	// (accepted besides Token, within their permissions and life).
	App *App
}

// Server is the fake. All its methods are safe for concurrent use.
type Server struct {
	opts Options

	mu     sync.Mutex
	st     *memory.Storage
	repo   *git.Repository
	pulls  []*pull
	calls  []Call
	faults []*faultState
	seen   map[string]int // calls per route key since the server started

	comments []*comment // issue comments on pull requests (comments.go)

	tokens map[string]installationToken // issued to the App (app.go)
	issued int
}

// New returns a fake serving one repository, empty until seeded.
func New(opts Options) (*Server, error) {
	if opts.DefaultBranch == "" {
		opts.DefaultBranch = "main"
	}
	if opts.Login == "" {
		opts.Login = "phasegen-bot"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	st := memory.NewStorage()
	repo, err := git.Init(st, nil)
	if err != nil {
		return nil, fmt.Errorf("githubfake: initialising an in-memory repository: %w", err)
	}
	return &Server{opts: opts, st: st, repo: repo, seen: map[string]int{}}, nil
}

// Repository returns the git repository holding the fake's objects and
// branches. Read it only while no request is in flight.
func (s *Server) Repository() *git.Repository { return s.repo }

// Storage returns the in-memory storage behind Repository.
func (s *Server) Storage() *memory.Storage { return s.st }

// Call is one logged request.
type Call struct {
	Method string
	Route  string // route pattern, e.g. "git/refs/heads/{branch...}"; "" when no route matched
	Path   string // path below /repos/{owner}/{repo}/ as requested
	Query  string
	Body   []byte // request body as received
	Header http.Header
	Status int    // status sent; 0 when the connection was dropped
	Fault  string // the fault applied to this call, if any
}

// Key is the method and route pattern, e.g. "POST git/commits", the unit
// Count and Fault.Route use.
func (c Call) Key() string { return c.Method + " " + c.Route }

// Calls returns a copy of the call log.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// Count returns how many logged calls have key (e.g. "POST git/commits").
func (s *Server) Count(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.calls {
		if c.Key() == key {
			n++
		}
	}
	return n
}

// Writes returns the logged calls whose method is not GET.
func (s *Server) Writes() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if c.Method != http.MethodGet {
			out = append(out, c)
		}
	}
	return out
}

// ResetCalls empties the call log (faults and route counters are kept).
func (s *Server) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = nil
}

// response is what a handler answers, written after the lock is released.
type response struct {
	status int
	header http.Header
	body   []byte
}

func jsonResponse(status int, v any) response {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return errorResponse(http.StatusInternalServerError, "encoding response: "+err.Error())
	}
	return response{status: status, body: b}
}

func errorResponse(status int, msg string) response {
	return jsonResponse(status, map[string]string{
		"message":           msg,
		"documentation_url": "https://docs.github.com/rest",
	})
}

func notFound() response { return errorResponse(http.StatusNotFound, "Not Found") }

// validationFailed answers 422 the way GitHub does for a PR that already
// exists: a generic message and the detail in errors[].message.
func validationFailed(resource, field, code, msg string) response {
	e := map[string]string{"resource": resource, "code": code}
	if field != "" {
		e["field"] = field
	}
	if msg != "" {
		e["message"] = msg
	}
	return jsonResponse(http.StatusUnprocessableEntity, map[string]any{
		"message":           "Validation Failed",
		"errors":            []any{e},
		"documentation_url": "https://docs.github.com/rest/pulls/pulls#create-a-pull-request",
	})
}

// request is a routed request handed to a handler.
type request struct {
	method string
	route  string
	params map[string]string
	query  map[string][]string
	header http.Header
	body   []byte
	base   string // API base URL as the client used it, no trailing slash
}

func (r *request) q(name string) string {
	if v := r.query[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeResponse(w, errorResponse(http.StatusBadRequest, "reading body: "+err.Error()))
		return
	}
	p := r.URL.Path
	prefix := ""
	if rest, ok := strings.CutPrefix(p, "/api/v3"); ok {
		p, prefix = rest, "/api/v3"
	}
	req := &request{
		method: r.Method,
		query:  r.URL.Query(),
		header: r.Header.Clone(),
		body:   body,
		base:   "http://" + r.Host + prefix,
	}
	if route, params, ok := s.appRoute(r.Method, p); ok {
		s.mu.Lock()
		resp := s.handleApp(route, params, r.Header.Get("Authorization"), body)
		s.calls = append(s.calls, Call{Method: r.Method, Route: route, Path: strings.TrimPrefix(p, "/"), Query: r.URL.RawQuery, Body: body, Header: req.header, Status: resp.status})
		s.mu.Unlock()
		writeResponse(w, resp)
		return
	}
	if r.Method == http.MethodGet && p == "/user" {
		s.mu.Lock()
		resp := s.user(r.Header.Get("Authorization"))
		s.calls = append(s.calls, Call{Method: r.Method, Route: "user", Path: "user", Header: req.header, Status: resp.status})
		s.mu.Unlock()
		writeResponse(w, resp)
		return
	}
	rest, repoOK := s.repoPath(p)
	if repoOK {
		req.route, req.params = match(r.Method, rest)
	}

	s.mu.Lock()
	call := Call{Method: r.Method, Route: req.route, Path: rest, Query: r.URL.RawQuery, Body: body, Header: req.header}
	var resp response
	var f *Fault
	switch {
	case s.authError(r.Header.Get("Authorization"), r.Method, req.route, &resp):
	case !repoOK || req.route == "":
		resp = notFound()
	default:
		f = s.takeFault(call.Key())
		if f == nil || f.AfterWrite {
			resp = s.handle(req)
		}
		if f != nil {
			call.Fault = f.describe()
			if f.Kind != Drop {
				resp = s.faultResponse(f)
			}
		}
	}
	if f == nil || f.Kind != Drop {
		call.Status = resp.status
	}
	s.calls = append(s.calls, call)
	s.mu.Unlock()

	if f != nil && f.Kind == Drop {
		dropConnection(w)
		return
	}
	writeResponse(w, resp)
}

func writeResponse(w http.ResponseWriter, resp response) {
	for k, vs := range resp.header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	}
	w.WriteHeader(resp.status)
	_, _ = w.Write(resp.body)
}

// dropConnection closes the connection without an answer, as a proxy that
// dies mid-request does.
func dropConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		writeResponse(w, errorResponse(http.StatusBadGateway, "connection drop not supported on this transport"))
		return
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	_ = conn.Close()
}

// authError reports whether the request's credentials are refused, and
// then sets resp to GitHub's answer: 401 for a token it does not know (or
// an expired installation token), 403 for an installation token without the
// permission.
func (s *Server) authError(h, method, route string, resp *response) bool {
	if s.opts.Token == "" && s.opts.App == nil {
		return false
	}
	tok := bearer(h)
	if tok != "" && tok == s.opts.Token {
		return false
	}
	ok, known := s.tokenAllows(tok, method, route)
	switch {
	case ok:
		return false
	case known && s.opts.Now().Before(s.tokens[tok].expires):
		*resp = errorResponse(http.StatusForbidden, "Resource not accessible by integration")
	default:
		*resp = errorResponse(http.StatusUnauthorized, "Bad credentials")
	}
	return true
}

// bearer is the token of an Authorization header ("Bearer T", "token T").
func bearer(h string) string {
	for _, scheme := range []string{"Bearer ", "bearer ", "token ", "Token "} {
		if t, ok := strings.CutPrefix(h, scheme); ok {
			return t
		}
	}
	return ""
}

// user answers GET /user: the token's user, 403 for an installation token
// (GitHub's "Resource not accessible by integration"), 401 for a token it
// does not know.
func (s *Server) user(h string) response {
	tok := bearer(h)
	_, installation := s.tokens[tok]
	switch {
	case tok != "" && tok == s.opts.Token && !s.opts.TokenIntegration, s.opts.Token == "" && s.opts.App == nil:
		return jsonResponse(http.StatusOK, map[string]any{"login": s.opts.Login, "id": 1, "type": "User"})
	case tok != "" && tok == s.opts.Token, installation:
		return errorResponse(http.StatusForbidden, "Resource not accessible by integration")
	}
	return errorResponse(http.StatusUnauthorized, "Bad credentials")
}

// login is whose name a write with Authorization h goes under: the App's
// bot for its installation tokens, Login otherwise.
func (s *Server) login(h string) string {
	if _, ok := s.tokens[bearer(h)]; ok && s.opts.App != nil {
		return s.opts.App.slug() + "[bot]"
	}
	return s.opts.Login
}

// repoPath strips /repos/{owner}/{repo}/ (owner and repo compared
// case-insensitively, as GitHub does).
func (s *Server) repoPath(p string) (string, bool) {
	parts := strings.SplitN(strings.TrimPrefix(p, "/"), "/", 4)
	if len(parts) < 4 || parts[0] != "repos" {
		return "", false
	}
	if !strings.EqualFold(parts[1], s.opts.Owner) || !strings.EqualFold(parts[2], s.opts.Repo) {
		return "", false
	}
	return parts[3], true
}

// routes lists the served endpoints: method and pattern below
// /repos/{owner}/{repo}/. "{x}" matches one segment, "{x...}" the rest.
func routes() []struct{ method, pattern string } {
	return []struct{ method, pattern string }{
		{http.MethodGet, "git/ref/heads/{branch...}"},
		{http.MethodGet, "git/refs/heads/{branch...}"},
		{http.MethodPost, "git/refs"},
		{http.MethodPatch, "git/refs/heads/{branch...}"},
		{http.MethodDelete, "git/refs/heads/{branch...}"},
		{http.MethodGet, "git/commits/{sha}"},
		{http.MethodPost, "git/commits"},
		{http.MethodGet, "git/trees/{sha}"},
		{http.MethodPost, "git/trees"},
		{http.MethodGet, "git/blobs/{sha}"},
		{http.MethodPost, "git/blobs"},
		{http.MethodGet, "contents/{path...}"},
		{http.MethodGet, "branches"},
		{http.MethodGet, "commits"},
		{http.MethodGet, "commits/{sha}/pulls"},
		{http.MethodGet, "compare/{basehead}"},
		{http.MethodGet, "pulls"},
		{http.MethodPost, "pulls"},
		{http.MethodGet, "pulls/{number}"},
		{http.MethodPatch, "pulls/{number}"},
		{http.MethodPost, "pulls/{number}/requested_reviewers"},
		{http.MethodGet, "issues/{number}/labels"},
		{http.MethodPost, "issues/{number}/labels"},
	}
}

func match(method, rest string) (string, map[string]string) {
	rest = strings.TrimSuffix(rest, "/")
	for _, rt := range append(routes(), commentRoutes()...) {
		if rt.method != method {
			continue
		}
		if params, ok := matchPattern(rt.pattern, rest); ok {
			return rt.pattern, params
		}
	}
	return "", nil
}

func matchPattern(pattern, p string) (map[string]string, bool) {
	pat := strings.Split(pattern, "/")
	seg := strings.Split(p, "/")
	params := map[string]string{}
	for i, ps := range pat {
		if name, ok := strings.CutPrefix(ps, "{"); ok {
			name = strings.TrimSuffix(name, "}")
			if rest, ok := strings.CutSuffix(name, "..."); ok {
				if i >= len(seg) {
					return nil, false
				}
				v := strings.Join(seg[i:], "/")
				if v == "" {
					return nil, false
				}
				params[rest] = v
				return params, true
			}
			if i >= len(seg) || seg[i] == "" {
				return nil, false
			}
			params[name] = seg[i]
			continue
		}
		if i >= len(seg) || seg[i] != ps {
			return nil, false
		}
	}
	return params, len(seg) == len(pat)
}

func (s *Server) handle(r *request) response {
	switch r.method + " " + r.route {
	case "GET git/ref/heads/{branch...}", "GET git/refs/heads/{branch...}":
		return s.getRef(r)
	case "POST git/refs":
		return s.createRef(r)
	case "PATCH git/refs/heads/{branch...}":
		return s.updateRef(r)
	case "DELETE git/refs/heads/{branch...}":
		return s.deleteRef(r)
	case "GET git/commits/{sha}":
		return s.getCommit(r)
	case "POST git/commits":
		return s.createCommit(r)
	case "GET git/trees/{sha}":
		return s.getTree(r)
	case "POST git/trees":
		return s.createTree(r)
	case "GET git/blobs/{sha}":
		return s.getBlob(r)
	case "POST git/blobs":
		return s.createBlob(r)
	case "GET contents/{path...}":
		return s.getContents(r)
	case "GET branches":
		return s.listBranches(r)
	case "GET commits":
		return s.listCommits(r)
	case "GET commits/{sha}/pulls":
		return s.commitPulls(r)
	case "GET compare/{basehead}":
		return s.compare(r)
	case "GET pulls":
		return s.listPulls(r)
	case "POST pulls":
		return s.createPull(r)
	case "GET pulls/{number}":
		return s.getPull(r)
	case "PATCH pulls/{number}":
		return s.editPull(r)
	case "POST pulls/{number}/requested_reviewers":
		return s.requestReviewers(r)
	case "GET issues/{number}/labels":
		return s.listLabels(r)
	case "POST issues/{number}/labels":
		return s.addLabels(r)
	}
	if resp, ok := s.handleComments(r); ok {
		return resp
	}
	return notFound()
}
