package cli

import (
	"io/fs"
	"os"
	"path/filepath"

	"github.com/coditect/phasegen/internal/base"
	"github.com/coditect/phasegen/internal/config"
	"github.com/coditect/phasegen/templates"
)

// loadConfig loads and validates the configs under --config.
func (a *App) loadConfig(g *globalOptions) (*config.Set, error) {
	return config.Load(g.ConfigDir)
}

// templatesFS picks the templates: --templates when given; else ./templates
// when it holds a base (so a local build reads what `kubectl kustomize
// overlays/ENV` reads); else the embedded copy.
func (a *App) templatesFS(g *globalOptions) (fs.FS, error) {
	if g.templatesSet {
		if _, err := os.Stat(filepath.Join(g.TemplatesDir, "base", "kustomization.yaml")); err != nil {
			return nil, err
		}
		return os.DirFS(g.TemplatesDir), nil
	}
	if _, err := os.Stat(filepath.Join(g.TemplatesDir, "base", "kustomization.yaml")); err == nil {
		return os.DirFS(g.TemplatesDir), nil
	}
	return templates.FS(), nil
}

// loadBase reads the Kustomize base.
func (a *App) loadBase(g *globalOptions) (*base.Base, error) {
	fsys, err := a.templatesFS(g)
	if err != nil {
		return nil, err
	}
	return base.Load(fsys)
}
