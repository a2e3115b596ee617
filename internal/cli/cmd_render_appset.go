package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/coditect/phasegen/internal/argocd"
	"github.com/coditect/phasegen/internal/base"
	"github.com/coditect/phasegen/internal/config"
	"github.com/coditect/phasegen/internal/fileset"
	"github.com/coditect/phasegen/internal/overlay"
	"github.com/coditect/phasegen/internal/workload"
)

// appsDir is the Argo CD folder relative to overlays/, with a trailing slash.
func appsDir() string {
	return strings.TrimPrefix(overlay.ArgoCDDir, overlay.OverlaysDir+"/") + "/"
}

// appSetFile is where --appset NAME puts the ApplicationSet, relative to
// overlays/.
func appSetFile(name string) string {
	return strings.TrimPrefix(overlay.AppSetPath(name), overlay.OverlaysDir+"/")
}

// withAppSet replaces the per-environment Applications under overlays/argocd/
// with one ApplicationSet called name whose list generator yields the same
// Applications, one element per environment at its declared phase. files
// holds paths relative to overlays/.
func withAppSet(cfg *config.Set, b *base.Base, files fileset.Set, name string) (fileset.Set, error) {
	if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
		return nil, usagef("--appset %q is not a valid object name", name)
	}
	ws, err := workload.Resolve(cfg, b)
	if err != nil {
		return nil, err
	}
	items := make([]argocd.Item, 0, len(cfg.Environments))
	for _, env := range cfg.Environments {
		phase, err := declaredPhase(cfg, env)
		if err != nil {
			return nil, err
		}
		items = append(items, argocd.Item{Env: env, Phase: phase, HPAOwned: argocd.HPAOwned(ws, phase)})
	}
	set, err := argocd.ApplicationSet(name, items)
	if err != nil {
		return nil, err
	}
	out := make(fileset.Set, len(files))
	dir := appsDir()
	for p, b := range files {
		if !strings.HasPrefix(p, dir) {
			out[p] = b
		}
	}
	header := fmt.Sprintf(overlay.Marker+"from %s (every environment at its declared phase); do not edit\n", displayDir(cfg.Dir))
	out[appSetFile(name)] = append([]byte(header), set...)
	return out, nil
}

// existingAppSet returns the name of the one ApplicationSet a rendered tree
// holds under argocd/, or "" when it holds Applications.
func existingAppSet(files fileset.Set) string {
	dir := appsDir()
	found := ""
	for p := range files {
		rest, ok := strings.CutPrefix(p, dir)
		if !ok {
			continue
		}
		name, ok := strings.CutSuffix(rest, overlay.AppSetSuffix)
		if !ok || found != "" {
			return ""
		}
		found = name
	}
	return found
}

// appSetOnDisk returns the name of the ApplicationSet the overlays tree in
// dir holds in place of per-environment Applications, or "" when it holds
// Applications (or nothing yet).
func appSetOnDisk(dir string) (string, error) {
	apps := filepath.Join(dir, filepath.FromSlash(strings.TrimSuffix(appsDir(), "/")))
	entries, err := os.ReadDir(apps)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", apps, err)
	}
	files := make(fileset.Set, len(entries))
	for _, e := range entries {
		files[appsDir()+e.Name()] = nil
	}
	return existingAppSet(files), nil
}
