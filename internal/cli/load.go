package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/coditect/phasegen/internal/atomicfs"
	"github.com/coditect/phasegen/internal/base"
	"github.com/coditect/phasegen/internal/config"
	"github.com/coditect/phasegen/templates"
)

// loadConfig loads and validates the configs under --config.
func (a *App) loadConfig(g *globalOptions) (*config.Set, error) {
	if _, err := os.Stat(g.ConfigDir); errors.Is(err, fs.ErrNotExist) {
		abs, _ := filepath.Abs(g.ConfigDir)
		return nil, fmt.Errorf("no configuration here: %s (%s) does not exist; run phasegen in a configuration repository, point --config at its configuration, or start one with `phasegen init --from PATH`", g.ConfigDir, abs)
	}
	if err := atomicfs.CheckDirLinks(g.ConfigDir, "phases"); err != nil {
		return nil, fmt.Errorf("reading the configuration: %w", err)
	}
	return config.Load(g.ConfigDir)
}

// EmbeddedTemplates is the --templates value that selects the example's
// base built into the binary (what `make demo` plans).
const EmbeddedTemplates = "embedded:example"

// templatesFS picks the templates: --templates when given (EmbeddedTemplates
// for the example's base built into the binary), else ./templates. A
// directory without base/kustomization.yaml is an error that says how to
// start one: phasegen never falls back to a base the user did not choose.
func (a *App) templatesFS(g *globalOptions) (fs.FS, error) {
	if g.templatesSet && g.TemplatesDir == EmbeddedTemplates {
		return templates.FS(), nil
	}
	kust := filepath.Join(g.TemplatesDir, "base", "kustomization.yaml")
	if _, err := os.Stat(kust); err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("templates: %w", err)
		}
		return nil, fmt.Errorf("%s does not exist: phasegen sizes the Deployments and StatefulSets of your app's Kustomize base, kept in %s; write one from your manifests with `phasegen init --from PATH`, or name the directory that holds base/ with --templates (--templates %s is the example's base built into phasegen)",
			kust, filepath.Join(g.TemplatesDir, "base"), EmbeddedTemplates)
	}
	if err := atomicfs.CheckDirLinks(g.TemplatesDir, "base"); err != nil {
		return nil, fmt.Errorf("reading the templates: %w", err)
	}
	return os.DirFS(g.TemplatesDir), nil
}

// loadBase reads the Kustomize base.
func (a *App) loadBase(g *globalOptions) (*base.Base, error) {
	fsys, err := a.templatesFS(g)
	if err != nil {
		return nil, err
	}
	return base.LoadNamed(fsys, g.TemplatesDir)
}
