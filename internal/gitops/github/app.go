package github

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-github/v62/github"
)

// App authenticates as a GitHub App: a JWT signed with the App's private
// key buys an installation token for the one repository, with only the
// permissions the command needs; the token is bought again before it
// expires.
type App struct {
	// ID is the App's ID (the JWT's issuer).
	ID int64
	// Key is the App's private key.
	Key *rsa.PrivateKey
	// InstallationID is the App's installation on the repository; 0 looks
	// it up (one call).
	InstallationID int64
	// Permissions are what the token may do, e.g. {"contents": "write",
	// "pull_requests": "write"}.
	Permissions map[string]string
}

// Errors of App authentication, each saying what to fix.
var (
	ErrAppRefused      = errors.New("github refused the App's JWT: the App ID or the private key is wrong (or the key was revoked)")
	ErrAppClock        = errors.New("github refused the App's JWT for its times: this machine's clock is off (sync it, e.g. with NTP)")
	ErrAppNotInstalled = errors.New("the App is not installed on the repository: install it there (the App's settings, Install App)")
	ErrAppPermission   = errors.New("the App's installation lacks a permission the command needs: grant it in the App's settings and accept it on the installation")
)

// JWT times: issued a minute in the past for clock drift, valid for nine
// minutes (GitHub takes at most ten); an installation token is bought
// again when less than renewBefore of its life is left.
const (
	jwtBackdate = 60 * time.Second
	jwtLife     = 9 * time.Minute
	renewBefore = 5 * time.Minute
)

// appTokens is the installation token of an App, bought and renewed on
// demand. Safe for concurrent use.
type appTokens struct {
	app         App
	owner, repo string
	now         func() time.Time
	client      func(jwt string) *github.Client // a client sending the JWT
	call        func(ctx context.Context, op string, fn func() (*github.Response, error)) error

	mu      sync.Mutex // held while a token is bought
	token   string
	expires time.Time
	renewAt time.Time // when the token is bought again

	seenMu sync.Mutex // apart from mu: a retry's log line redacts while a token is bought
	seen   []string   // every JWT and token issued, for redaction
}

// Token returns an installation token, bought again renewBefore ahead of
// its expiry (at half its life when that is shorter).
func (a *appTokens) Token(ctx context.Context) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.token != "" && a.now().Before(a.renewAt) {
		return a.token, nil
	}
	signed, err := a.jwt()
	if err != nil {
		return "", err
	}
	gh := a.client(signed)
	id := a.app.InstallationID
	if id == 0 {
		var inst *github.Installation
		err := a.call(ctx, "finding the App's installation on "+a.owner+"/"+a.repo, func() (*github.Response, error) {
			var resp *github.Response
			var err error
			inst, resp, err = gh.Apps.FindRepositoryInstallation(ctx, a.owner, a.repo)
			return resp, err
		})
		if err != nil {
			return "", appError(err)
		}
		id = inst.GetID()
		a.app.InstallationID = id // a renewal needs no second lookup
	}
	opts := &github.InstallationTokenOptions{Repositories: []string{a.repo}, Permissions: permissions(a.app.Permissions)}
	var tok *github.InstallationToken
	err = a.call(ctx, fmt.Sprintf("buying a token of installation %d", id), func() (*github.Response, error) {
		var resp *github.Response
		var err error
		tok, resp, err = gh.Apps.CreateInstallationToken(ctx, id, opts)
		return resp, err
	})
	if err != nil {
		return "", appError(err)
	}
	return a.keep(tok)
}

// keep checks a bought token and keeps it: an empty one is GitHub's fault,
// one that has already expired by this clock the machine's (buying again
// would only buy another).
func (a *appTokens) keep(tok *github.InstallationToken) (string, error) {
	exp := tok.GetExpiresAt().Time
	switch now := a.now(); {
	case tok.GetToken() == "":
		return "", errors.New("github sold the App an empty installation token")
	case !exp.After(now):
		return "", fmt.Errorf("%w: the installation token github sold expires at %s, which this machine's clock (%s) says has passed",
			ErrAppClock, exp.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	case exp.Sub(now) < 2*renewBefore:
		// A short life (or a clock far ahead): renew at half of it, not before every call.
		a.renewAt = now.Add(exp.Sub(now) / 2)
	default:
		a.renewAt = exp.Add(-renewBefore)
	}
	a.token, a.expires = tok.GetToken(), exp
	a.remember(a.token)
	return a.token, nil
}

// jwt signs a JWT for the App (RS256, iat a minute back, exp nine minutes
// on, iss the App ID).
func (a *appTokens) jwt() (string, error) {
	now := a.now()
	claims := jwt.RegisteredClaims{
		Issuer:    fmt.Sprint(a.app.ID),
		IssuedAt:  jwt.NewNumericDate(now.Add(-jwtBackdate)),
		ExpiresAt: jwt.NewNumericDate(now.Add(jwtLife)),
	}
	signed, err := jwt.NewWithClaims(jwt.SigningMethodRS256, claims).SignedString(a.app.Key)
	if err != nil {
		return "", fmt.Errorf("signing the App's JWT: %w", err)
	}
	a.remember(signed)
	return signed, nil
}

func (a *appTokens) remember(s string) {
	a.seenMu.Lock()
	defer a.seenMu.Unlock()
	a.seen = append(a.seen, s)
}

// secrets are the JWTs and tokens issued so far.
func (a *appTokens) secrets() []string {
	a.seenMu.Lock()
	defer a.seenMu.Unlock()
	return append([]string(nil), a.seen...)
}

// appError says which App failure err is: a refused JWT (wrong App or key),
// a clock GitHub does not accept, an App not installed, a missing
// permission. It keeps err's text but none of its meaning: GitHub's 404 for
// an App not installed is no missing file, its 401 no bad token.
func appError(err error) error {
	var er *github.ErrorResponse
	if !errors.As(err, &er) || er.Response == nil {
		return err
	}
	msg := strings.ToLower(er.Message)
	var kind error
	switch status := er.Response.StatusCode; {
	case status == http.StatusUnauthorized && (strings.Contains(msg, "'issued at'") || strings.Contains(msg, "'expiration time'")):
		kind = ErrAppClock
	case status == http.StatusUnauthorized:
		kind = ErrAppRefused
	case status == http.StatusNotFound:
		kind = ErrAppNotInstalled
	case status == http.StatusUnprocessableEntity && strings.Contains(msg, "permissions"),
		status == http.StatusForbidden:
		kind = ErrAppPermission
	default:
		return err
	}
	return fmt.Errorf("%w (%s)", kind, err.Error())
}

// permissions turns {"contents": "write"} into go-github's form.
func permissions(m map[string]string) *github.InstallationPermissions {
	if len(m) == 0 {
		return nil
	}
	p := &github.InstallationPermissions{}
	for k, v := range m {
		switch k {
		case "contents":
			p.Contents = &v
		case "pull_requests":
			p.PullRequests = &v
		case "issues":
			p.Issues = &v
		case "metadata":
			p.Metadata = &v
		}
	}
	return p
}

// authTransport sends the installation token (or a static one) as the
// bearer of every request.
type authTransport struct {
	next  http.RoundTripper
	token func(ctx context.Context) (string, error)
}

func (t authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	tok, err := t.token(req.Context())
	if err != nil {
		return nil, err
	}
	r := req.Clone(req.Context())
	r.Header.Set("Authorization", "Bearer "+tok)
	return t.next.RoundTrip(r)
}
