// Package argocdfake is a fake Argo CD API server for tests: an http.Handler
// (serve it with httptest.NewServer) answering GET /api/v1/applications/{name}
// with the Application JSON of the Argo CD API (field names from the
// Application CRD), Argo CD's error body ({"error", "code", "message"}) and
// its refusals: 401 for a missing or wrong bearer token, and the answers of
// the API server's Get (server/application/application.go,
// getAppEnforceRBAC), Applications in any namespace included. The
// Application is looked up in appNamespace, or in the server's own
// namespace (Options.Namespace) without it; a namespace that is neither the
// server's nor one of Options.AppNamespaces (application.namespaces) is
// 403 "permission denied", whatever else the request says. With a project,
// an Application that is not there, that the RBAC policy (Options.Allow)
// hides, or that is in another project is 404 `applications.argoproj.io
// "NAME" not found`, and a project the policy denies is 403; without one,
// every one of those is 403, so as not to tell who may not see what exists.
//
// Each Application is driven by a real git repository: its Head function
// returns the head of the GitOps branch (the commit a promotion's merge
// made). When the head moves, the Application, on the fake's virtual clock,
// notices it after Scenario.Notice, goes OutOfSync, syncs (operation
// Running, health Progressing), is Synced and Progressing while the
// StatefulSet rolls, then ends as Scenario.End says: Healthy, Degraded, a
// failed sync, a comparison error, or never noticing the revision at all.
// A flap (Healthy → Progressing → Healthy) and faults (401, 404, 503, a
// dropped connection) can be injected. Handlers never stop the test: every
// problem is answered, as the real server does.
package argocdfake

import (
	"encoding/json"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"
)

// End is how a sync ends.
type End int

// The ends of a sync.
const (
	Healthy         End = iota // Synced and Healthy
	Degraded                   // Synced, then health Degraded with Scenario.Message
	SyncFailed                 // the operation ends Failed, with a SyncError condition
	ComparisonError            // Argo CD cannot compare: a ComparisonError condition, sync Unknown
	Never                      // the new revision is never noticed
	// SyncRetried: the sync is refused with Message and retried
	// Scenario.Retries times, one every Scenario.RetryEvery (operation
	// Running, retryCount and "Retrying attempt #N at T." in its message,
	// as Argo CD's controller writes them), then ends Failed "(retried N
	// times)" with a SyncError condition.
	SyncRetried
)

// HPAMetricsMessage is the message Argo CD shows for an HPA without its
// first metrics: the HPA controller's ScalingActive condition
// (FailedGetResourceMetric), which Argo CD's HPA health check turns into
// Degraded.
const HPAMetricsMessage = "the HPA was unable to compute the replica count: failed to get cpu utilization: unable to get metrics for resource cpu: no metrics returned from resource metrics API"

// Scenario is the timeline of one sync, on the virtual clock, from the
// moment the fake first sees the new head.
type Scenario struct {
	Notice    time.Duration // until Argo CD notices the new revision (its poll, or the refresh)
	OutOfSync time.Duration // OutOfSync before the sync starts
	Sync      time.Duration // operation Running
	Stale     time.Duration // after the sync: reconciledAt still before finishedAt
	Progress  time.Duration // Synced and Progressing, after the sync
	End       End
	Message   string // Argo CD's message for Degraded, SyncFailed, ComparisonError
	// FlapAt, when > 0, turns health Progressing for FlapFor once, FlapAt
	// after the Application became Healthy.
	FlapAt, FlapFor time.Duration
	// Unhealthy, with End Degraded, is the one managed resource ("Kind/name")
	// that ends Degraded with Message; the others end Healthy. Without it
	// every workload of App.Resources ends Degraded.
	Unhealthy string
	// MetricsLag, when > 0, keeps every HPA Degraded with
	// HPAMetricsMessage for that long after the sync (and so the
	// Application Degraded), as a fresh HPA is until its first metrics.
	MetricsLag time.Duration
	// Retries and RetryEvery shape End SyncRetried.
	Retries    int
	RetryEvery time.Duration
	// Lagging, when > 0, keeps every workload at LaggingReplicas pods
	// (all of them updated and available, so Argo CD calls it Healthy)
	// for that long after it became Healthy, before it reaches its
	// Resource.Replicas: an HPA that still holds the previous phase's
	// count and scales up to the new floor afterwards.
	Lagging         time.Duration
	LaggingReplicas int32
}

// Resource is one object the Application manages (status.resources[]).
type Resource struct {
	Group, Version, Kind, Name string
	// Replicas is a workload's pod count once the sync has landed
	// (default 10); its live object is served by managed-resources.
	Replicas int32
}

// App is one Application the fake serves.
type App struct {
	Name      string // e.g. coditect-combined-production
	Namespace string // metadata.namespace; default "argocd"
	Project   string // spec.project; default "default"
	// Head returns the head of the GitOps branch, read from the real
	// repository on every request.
	Head     func() (string, error)
	Scenario Scenario
	// Resources are the objects it manages, with their health in
	// status.resources; default the example's StatefulSet and its HPA.
	Resources []Resource
	// DestNamespace is spec.destination.namespace, the resources'
	// namespace; default "coditect-app".
	DestNamespace string
}

// Fault is one injected answer, used by the next request.
type Fault struct {
	Status int  // 401, 404, 503, ...
	Drop   bool // close the connection without an answer
}

// Call is one logged request.
type Call struct {
	Path, Query string
	Authorized  bool
	Status      int // 0 when dropped
}

// Options configures a Server.
type Options struct {
	Token string // the bearer token accepted
	Now   func() time.Time
	// Namespace is the API server's own namespace, where it looks without
	// appNamespace; default "argocd".
	Namespace string
	// AppNamespaces are the other namespaces Applications may live in
	// (Argo CD's application.namespaces: names, or patterns with * as
	// path.Match reads them); none by default.
	AppNamespaces []string
	// Allow is the RBAC policy for 'applications, get' on an object named
	// as Argo CD's security.RBACName names it: "project/name" in the
	// server's namespace, "project/namespace/name" in another; nil allows
	// every one.
	Allow func(object string) bool
}

// Server is the fake; safe for concurrent use.
type Server struct {
	opts Options

	mu     sync.Mutex
	apps   map[string]*appState
	faults []Fault
	calls  []Call
}

type appState struct {
	App
	synced string    // revision Synced and Healthy before the current sync
	target string    // revision being synced to, "" when none
	seen   time.Time // when the fake first saw target
	baseAt time.Time // when synced was reached
}

// New returns a fake serving no Application yet.
func New(o Options) *Server {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Namespace == "" {
		o.Namespace = "argocd"
	}
	if o.Allow == nil {
		o.Allow = func(string) bool { return true }
	}
	return &Server{opts: o, apps: map[string]*appState{}}
}

// Add serves app, starting Synced and Healthy at synced (the revision the
// cluster ran before; "" for a new Application). An App without a
// namespace is in the server's.
func (s *Server) Add(app App, synced string) {
	if app.Namespace == "" {
		app.Namespace = s.opts.Namespace
	}
	if app.Project == "" {
		app.Project = "default"
	}
	if app.Resources == nil {
		app.Resources = []Resource{{Group: "apps", Version: "v1", Kind: "StatefulSet", Name: "coditect-combined", Replicas: 10},
			{Group: "autoscaling", Version: "v2", Kind: "HorizontalPodAutoscaler", Name: "coditect-combined-hpa"}}
	}
	if app.DestNamespace == "" {
		app.DestNamespace = "coditect-app"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.apps[app.Namespace+"/"+app.Name] = &appState{App: app, synced: synced, baseAt: s.opts.Now()}
}

// Inject queues faults for the next requests, one each.
func (s *Server) Inject(f ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f...)
}

// Calls returns a copy of the call log.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

func errorBody(code int, msg string) []byte {
	b, _ := json.Marshal(map[string]any{"error": msg, "code": code, "message": msg})
	return b
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	call := Call{Path: r.URL.Path, Query: r.URL.RawQuery}
	status, body, drop := s.answer(r, &call)
	call.Status = status
	if drop {
		call.Status = 0
	}
	s.calls = append(s.calls, call)
	s.mu.Unlock()

	if drop {
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return
			}
		}
		status, body = http.StatusBadGateway, errorBody(14, "connection drop not supported")
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// answer decides the response; s.mu is held.
func (s *Server) answer(r *http.Request, call *Call) (int, []byte, bool) {
	auth := r.Header.Get("Authorization")
	call.Authorized = s.opts.Token != "" && auth == "Bearer "+s.opts.Token
	if len(s.faults) > 0 {
		f := s.faults[0]
		s.faults = s.faults[1:]
		switch {
		case f.Drop:
			return 0, nil, true
		case f.Status == http.StatusUnauthorized:
			return f.Status, errorBody(16, "invalid session: token has invalid claims: token is expired"), false
		case f.Status == http.StatusNotFound:
			name := strings.TrimPrefix(r.URL.Path, "/api/v1/applications/")
			return f.Status, errorBody(5, `applications.argoproj.io "`+name+`" not found`), false
		case f.Status >= 500:
			return f.Status, []byte("<html><body><h1>503 Service Unavailable</h1>No server is available to handle this request.</body></html>\n"), false
		default:
			return f.Status, errorBody(2, http.StatusText(f.Status)), false
		}
	}
	if !call.Authorized {
		if auth == "" {
			return http.StatusUnauthorized, errorBody(16, "no session information"), false
		}
		return http.StatusUnauthorized, errorBody(16, "invalid session: token signature is invalid"), false
	}
	name, ok := strings.CutPrefix(r.URL.Path, "/api/v1/applications/")
	name, managed := strings.CutSuffix(name, "/managed-resources")
	if r.Method != http.MethodGet || !ok || name == "" || strings.Contains(name, "/") {
		return http.StatusNotFound, errorBody(5, "Not Found"), false
	}
	a, status, body := s.lookup(name, r.URL.Query())
	if a == nil {
		return status, body, false
	}
	head, err := a.Head()
	if err != nil {
		return http.StatusInternalServerError, errorBody(13, "rpc error: code = Unknown desc = failed to resolve revision: "+err.Error()), false
	}
	var doc any
	if managed {
		doc = a.managed(s.status(a, head), r.URL.Query())
	} else {
		doc = a.json(s.status(a, head))
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return http.StatusInternalServerError, errorBody(13, err.Error()), false
	}
	return http.StatusOK, b, false
}

// lookup finds the Application name as the API server's Get does, or
// returns its refusal; s.mu is held.
func (s *Server) lookup(name string, q url.Values) (*appState, int, []byte) {
	ns := q.Get("appNamespace")
	if ns == "" {
		ns = s.opts.Namespace
	}
	project := q.Get("project")
	denied := func() (*appState, int, []byte) {
		return nil, http.StatusForbidden, errorBody(7, "permission denied")
	}
	notFound := func() (*appState, int, []byte) {
		return nil, http.StatusNotFound, errorBody(5, `applications.argoproj.io "`+name+`" not found`)
	}
	if len(q["project"]) > 1 {
		return nil, http.StatusBadRequest, errorBody(3, "multiple projects specified - the get endpoint accepts either zero or one project")
	}
	if project != "" && !s.opts.Allow(s.rbacName(project, ns, name)) {
		return denied()
	}
	// The namespace check is part of reading the Application: refused, it
	// is an error other than not-found, which is always permission denied.
	if !s.namespaceEnabled(ns) {
		return denied()
	}
	a, ok := s.apps[ns+"/"+name]
	switch {
	case !ok && project != "":
		return notFound()
	case !ok:
		return denied()
	case !s.opts.Allow(s.rbacName(a.Project, ns, name)) && project != "":
		return notFound()
	case !s.opts.Allow(s.rbacName(a.Project, ns, name)):
		return denied()
	case project != "" && project != a.Project:
		return notFound()
	}
	return a, http.StatusOK, nil
}

// rbacName names an Application in RBAC policies, as Argo CD's
// security.RBACName does.
func (s *Server) rbacName(project, ns, name string) string {
	if ns != s.opts.Namespace {
		return project + "/" + ns + "/" + name
	}
	return project + "/" + name
}

// namespaceEnabled reports whether Applications may live in ns.
func (s *Server) namespaceEnabled(ns string) bool {
	if ns == s.opts.Namespace {
		return true
	}
	for _, p := range s.opts.AppNamespaces {
		if ok, _ := path.Match(p, ns); ok {
			return true
		}
	}
	return false
}
