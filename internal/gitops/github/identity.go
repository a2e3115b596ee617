package github

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/go-github/v62/github"
)

// ErrUnknownIdentity is wrapped when GitHub will not say whose credentials
// these are, so phasegen cannot tell its own comments from anyone else's.
var ErrUnknownIdentity = errors.New("github does not say whose token this is")

// Identity returns the login GitHub writes this Repo's comments under:
// "<slug>[bot]" for App credentials (GET /app with the App's JWT), the
// token's user (GET /user), or Options.IntegrationLogin for an
// installation token, which GitHub does not name. One call, then cached.
func (t *Repo) Identity(ctx context.Context) (string, error) {
	t.identMu.Lock()
	defer t.identMu.Unlock()
	if t.ident != "" {
		return t.ident, nil
	}
	login, err := t.identity(ctx)
	if err != nil {
		return "", t.redact(err)
	}
	t.ident = login
	return login, nil
}

func (t *Repo) identity(ctx context.Context) (string, error) {
	if t.app != nil {
		slug, err := t.app.slug(ctx)
		if err != nil {
			return "", err
		}
		return slug + "[bot]", nil
	}
	var u *github.User
	err := t.call(ctx, "finding the token's user", func() (*github.Response, error) {
		var resp *github.Response
		var err error
		u, resp, err = t.gh.Users.Get(ctx, "")
		return resp, err
	})
	switch {
	case errors.Is(err, ErrForbidden):
		if t.integrationLogin != "" {
			return t.integrationLogin, nil
		}
		return "", fmt.Errorf("%w: it is an installation token (GET /user: 403), which GitHub does not name; use a user's token or the App's own credentials", ErrUnknownIdentity)
	case err != nil:
		return "", err
	case u.GetLogin() == "":
		return "", fmt.Errorf("%w: GET /user named no login", ErrUnknownIdentity)
	}
	return u.GetLogin(), nil
}

// slug returns the App's URL name, asked with its JWT (GET /app).
func (a *appTokens) slug(ctx context.Context) (string, error) {
	signed, err := a.jwt()
	if err != nil {
		return "", err
	}
	var app *github.App
	err = a.call(ctx, "finding the App's name", func() (*github.Response, error) {
		var resp *github.Response
		var err error
		app, resp, err = a.client(signed).Apps.Get(ctx, "")
		return resp, err
	})
	if err != nil {
		return "", appError(err)
	}
	if app.GetSlug() == "" {
		return "", fmt.Errorf("%w: GET /app named no slug", ErrUnknownIdentity)
	}
	return app.GetSlug(), nil
}
