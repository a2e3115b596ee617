package cli

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/golang-jwt/jwt/v5"

	"github.com/coditect/phasegen/internal/gitops/github"
)

// Permissions an installation token asks for, by what the command does
// (a new map each call: the App keeps it).
func permsPromote() map[string]string {
	return map[string]string{"contents": "write", "pull_requests": "write"}
}
func permsComment() map[string]string { return map[string]string{"pull_requests": "write"} }
func permsRead() map[string]string {
	return map[string]string{"contents": "read", "pull_requests": "read"}
}

// errNoGitHubCredentials is returned when neither App credentials nor a
// token are set.
var errNoGitHubCredentials = errors.New("no GitHub credentials")

// githubOptions returns the GitHub client options for owner/name: App
// credentials (GITHUB_APP_ID with GITHUB_APP_PRIVATE_KEY or
// GITHUB_APP_PRIVATE_KEY_PATH, optionally GITHUB_APP_INSTALLATION_ID) when
// set, which win over GITHUB_TOKEN/GH_TOKEN; it says on stderr which it
// uses, never the secret.
func (a *App) githubOptions(owner, name string, perms map[string]string) (github.Options, error) {
	o := github.Options{
		BaseURL: a.Getenv("GITHUB_API_URL"), Owner: owner, Repo: name,
		HTTPClient: a.HTTPClient, Sleep: a.Sleep, Now: a.Now, Log: a.Stderr,
	}
	token := a.Getenv("GITHUB_TOKEN")
	if token == "" {
		token = a.Getenv("GH_TOKEN")
	}
	app, err := a.githubApp(perms)
	switch {
	case err != nil:
		return o, err
	case app != nil:
		o.App = app
		also := ""
		if token != "" {
			also = " (they win over GITHUB_TOKEN/GH_TOKEN, also set)"
		}
		fmt.Fprintf(a.Stderr, "github: authenticating as GitHub App %d%s\n", app.ID, also)
	case token != "":
		o.Token = token
		if a.Getenv("GITHUB_ACTIONS") == "true" {
			// The workflow's token is GitHub Actions' installation token,
			// which GET /user does not name; its comments are this bot's.
			o.IntegrationLogin = "github-actions[bot]"
		}
	default:
		return o, errNoGitHubCredentials
	}
	return o, nil
}

// githubApp reads the App credentials; nil when GITHUB_APP_ID is unset.
func (a *App) githubApp(perms map[string]string) (*github.App, error) {
	rawID := strings.TrimSpace(a.Getenv("GITHUB_APP_ID"))
	if rawID == "" {
		if a.Getenv("GITHUB_APP_PRIVATE_KEY") != "" || a.Getenv("GITHUB_APP_PRIVATE_KEY_PATH") != "" {
			return nil, errors.New("GITHUB_APP_PRIVATE_KEY is set but GITHUB_APP_ID is not: set the App's ID (the App's settings, About)")
		}
		return nil, nil
	}
	id, err := strconv.ParseInt(rawID, 10, 64)
	if err != nil || id <= 0 {
		return nil, fmt.Errorf("GITHUB_APP_ID %q is not an App ID (a positive number, from the App's settings)", rawID)
	}
	pem := a.Getenv("GITHUB_APP_PRIVATE_KEY")
	where := "GITHUB_APP_PRIVATE_KEY"
	if p := a.Getenv("GITHUB_APP_PRIVATE_KEY_PATH"); pem == "" && p != "" {
		b, err := readRegular(p, 64<<10)
		if err != nil {
			return nil, fmt.Errorf("GITHUB_APP_PRIVATE_KEY_PATH: %w", err)
		}
		pem, where = string(b), "GITHUB_APP_PRIVATE_KEY_PATH ("+p+")"
	}
	if pem == "" {
		return nil, errors.New("GITHUB_APP_ID is set but no private key: set GITHUB_APP_PRIVATE_KEY (the PEM) or GITHUB_APP_PRIVATE_KEY_PATH")
	}
	key, err := jwt.ParseRSAPrivateKeyFromPEM([]byte(pem))
	if err != nil {
		// The key's text is never quoted, not even in part.
		return nil, fmt.Errorf("%s is not the App's private key: want the RSA PEM GitHub generates (BEGIN RSA PRIVATE KEY), as downloaded from the App's settings", where)
	}
	app := &github.App{ID: id, Key: key, Permissions: perms}
	if raw := strings.TrimSpace(a.Getenv("GITHUB_APP_INSTALLATION_ID")); raw != "" {
		if app.InstallationID, err = strconv.ParseInt(raw, 10, 64); err != nil || app.InstallationID <= 0 {
			return nil, fmt.Errorf("GITHUB_APP_INSTALLATION_ID %q is not an installation ID (a positive number)", raw)
		}
	}
	return app, nil
}
