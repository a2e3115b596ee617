package githubfake

import (
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// App is a GitHub App the fake knows: its JWTs are verified against Key,
// and the installation tokens it buys carry at most Permissions.
type App struct {
	ID  int64
	Key *rsa.PublicKey
	// InstallationID is the App's installation on the repository; 0: the
	// App is not installed there.
	InstallationID int64
	// Permissions granted to the installation, e.g. {"contents": "write"}.
	Permissions map[string]string
	// TokenLife is how long an installation token lasts; default 1h.
	TokenLife time.Duration
	// Slug is the App's URL name, default "phasegen"; its installation
	// tokens write as "<slug>[bot]".
	Slug string
	// EmptyToken makes the fake sell installation tokens with an empty
	// token; Expired sells ones whose expires_at has passed.
	EmptyToken, Expired bool
}

func (a *App) slug() string {
	if a.Slug == "" {
		return "phasegen"
	}
	return a.Slug
}

// installationToken is a token the fake issued.
type installationToken struct {
	expires time.Time
	perms   map[string]string
}

// appRoute recognises the App endpoints: GET /app, GET
// /repos/{o}/{r}/installation and POST /app/installations/{id}/access_tokens.
func (s *Server) appRoute(method, p string) (string, map[string]string, bool) {
	if method == http.MethodPost {
		parts := strings.Split(strings.Trim(p, "/"), "/")
		if len(parts) == 4 && parts[0] == "app" && parts[1] == "installations" && parts[3] == "access_tokens" {
			return "app/installations/{id}/access_tokens", map[string]string{"id": parts[2]}, true
		}
	}
	if method == http.MethodGet && strings.Trim(p, "/") == "app" {
		return "app", nil, true
	}
	if rest, ok := s.repoPath(p); ok && method == http.MethodGet && rest == "installation" {
		return "installation", nil, true
	}
	return "", nil, false
}

// handleApp answers an App endpoint, whose caller must present the App's
// JWT: 401 with GitHub's messages for one that is not the App's, expired,
// issued in the future or valid for more than ten minutes.
func (s *Server) handleApp(route string, params map[string]string, h string, body []byte) response {
	app := s.opts.App
	if app == nil {
		return errorResponse(http.StatusUnauthorized, "A JSON web token could not be decoded")
	}
	if resp, ok := s.checkJWT(app, h); !ok {
		return resp
	}
	if route == "app" {
		return jsonResponse(http.StatusOK, map[string]any{"id": app.ID, "slug": app.slug(), "name": app.slug(),
			"owner": map[string]any{"login": s.opts.Owner}})
	}
	if route == "installation" {
		if app.InstallationID == 0 {
			return notFound()
		}
		return jsonResponse(http.StatusOK, map[string]any{"id": app.InstallationID, "app_id": app.ID,
			"account": map[string]any{"login": s.opts.Owner}, "permissions": app.Permissions})
	}
	if id, _ := strconv.ParseInt(params["id"], 10, 64); app.InstallationID == 0 || id != app.InstallationID {
		return notFound()
	}
	var in struct {
		Repositories []string          `json:"repositories"`
		Permissions  map[string]string `json:"permissions"`
	}
	if err := json.Unmarshal(body, &in); err != nil && len(body) > 0 {
		return errorResponse(http.StatusBadRequest, "Problems parsing JSON")
	}
	for _, r := range in.Repositories {
		if !strings.EqualFold(r, s.opts.Repo) {
			return validationFailed("Installation", "repositories", "invalid", "There is at least one repository that does not exist or is not accessible to the parent installation.")
		}
	}
	perms := in.Permissions
	if perms == nil {
		perms = app.Permissions
	}
	for k, v := range perms {
		if !grants(app.Permissions[k], v) {
			return jsonResponse(http.StatusUnprocessableEntity, map[string]any{
				"message": "The permissions requested are not granted to this installation.", "documentation_url": "https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app"})
		}
	}
	life := app.TokenLife
	if life <= 0 {
		life = time.Hour
	}
	s.issued++
	tok := fmt.Sprintf("ghs_fake%04dinstallationtoken%d", s.issued, app.InstallationID)
	exp := s.opts.Now().Add(life).UTC().Truncate(time.Second)
	if s.tokens == nil {
		s.tokens = map[string]installationToken{}
	}
	s.tokens[tok] = installationToken{expires: exp, perms: perms}
	if app.Expired {
		exp = s.opts.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	}
	if app.EmptyToken {
		tok = ""
	}
	return jsonResponse(http.StatusCreated, map[string]any{"token": tok, "expires_at": exp.Format(time.RFC3339),
		"permissions": perms, "repository_selection": "selected"})
}

// checkJWT verifies an App's JWT as GitHub does.
func (s *Server) checkJWT(app *App, h string) (response, bool) {
	raw, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		return errorResponse(http.StatusUnauthorized, "A JSON web token could not be decoded"), false
	}
	var claims jwt.RegisteredClaims
	_, err := jwt.ParseWithClaims(raw, &claims, func(*jwt.Token) (any, error) { return app.Key, nil },
		jwt.WithValidMethods([]string{"RS256"}), jwt.WithoutClaimsValidation())
	if err != nil {
		return errorResponse(http.StatusUnauthorized, "A JSON web token could not be decoded"), false
	}
	now := s.opts.Now()
	switch {
	case claims.Issuer != strconv.FormatInt(app.ID, 10):
		return errorResponse(http.StatusUnauthorized, "Integration not found"), false
	case claims.IssuedAt == nil || claims.IssuedAt.After(now.Add(time.Minute)):
		return errorResponse(http.StatusUnauthorized, "'Issued at' claim ('iat') must be an Integer representing a time in the past."), false
	case claims.ExpiresAt == nil || !claims.ExpiresAt.After(now):
		return errorResponse(http.StatusUnauthorized, "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires."), false
	case claims.ExpiresAt.Sub(claims.IssuedAt.Time) > 10*time.Minute:
		return errorResponse(http.StatusUnauthorized, "'Expiration time' claim ('exp') is too far in the future."), false
	}
	return response{}, true
}

// grants reports whether a granted level ("read", "write") covers want.
func grants(have, want string) bool {
	return have == want || (have == "write" && want == "read")
}

// tokenAllows reports whether an installation token is valid now and may
// call route: contents for git data, contents and commits; pull_requests
// for pull requests, their labels, reviewers and comments.
func (s *Server) tokenAllows(tok, method, route string) (ok, known bool) {
	t, known := s.tokens[tok]
	if !known {
		return false, false
	}
	if !s.opts.Now().Before(t.expires) {
		return false, true
	}
	need := "contents"
	if strings.HasPrefix(route, "pulls") || strings.HasPrefix(route, "issues") || strings.HasPrefix(route, "commits/{sha}/pulls") {
		need = "pull_requests"
	}
	level := "read"
	if method != http.MethodGet {
		level = "write"
	}
	return grants(t.perms[need], level), true
}
