package cli

import (
	"bytes"
	"fmt"
	"maps"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing/fstest"

	"github.com/coditect/phasegen/internal/adopt"
	"github.com/coditect/phasegen/internal/atomicfs"
	"github.com/coditect/phasegen/internal/base"
	"github.com/coditect/phasegen/internal/fileset"
	"github.com/coditect/phasegen/internal/workload"
)

// runInitUpdate re-imports the app's manifests (init --update): it builds
// templates/base from from as init would, checks the configuration in place
// against it, and only when every workload, container and phase still
// fits replaces templates/base whole; otherwise it says what the
// configuration must answer, at its file and line, and writes nothing.
func (a *App) runInitUpdate(g *globalOptions, opts *initOptions, from []string) error {
	cfg, err := a.loadConfig(g)
	if err != nil {
		return fmt.Errorf("init --update updates a configuration: %w", err)
	}
	old, err := a.loadBase(g)
	if err != nil {
		return err
	}
	o := adopt.Options{App: cfg.Capacity.Metadata.Name, From: from, Namespace: opts.namespace, Update: true,
		Containers: map[string]string{}, IncludeSecrets: opts.includeSecrets,
		ConfigDir: filepath.ToSlash(g.ConfigDir), TemplatesDir: filepath.ToSlash(g.TemplatesDir)}
	for _, n := range cfg.Capacity.WorkloadNames() {
		if m := cfg.Capacity.For(n); m.Unmanaged() {
			o.Skip = append(o.Skip, n)
		} else if m.Container != "" {
			o.Containers[n] = m.Container
		}
	}
	res, err := adopt.Generate(o)
	if err != nil {
		return fmt.Errorf("init --update: %w (nothing was written)", err)
	}
	files := res.Files.Under(path.Join(filepath.ToSlash(g.TemplatesDir), "base"))
	mfs := fstest.MapFS{}
	for p, data := range files {
		mfs["base/"+p] = &fstest.MapFile{Data: data}
	}
	nb, err := base.LoadNamed(mfs, g.TemplatesDir)
	if err != nil {
		return fmt.Errorf("init --update: the new base: %w (nothing was written)", err)
	}
	nb.Components = old.Components
	if _, err := workload.Resolve(cfg, nb); err != nil {
		return fmt.Errorf("init --update: the new manifests ask what the configuration does not answer (nothing was written):\n%w%s", err, workloadsMoved(old, nb))
	}
	if maps.EqualFunc(old.Files, files, bytes.Equal) {
		fmt.Fprintf(a.Stderr, "%s/base is up to date with the manifests: nothing to do\n", displayDir(g.TemplatesDir))
		return nil
	}
	if err := atomicfs.Write(filepath.Join(g.TemplatesDir, "base"), files); err != nil {
		return fmt.Errorf("init --update: writing %s/base: %w", g.TemplatesDir, err)
	}
	fmt.Fprintf(a.Stderr, "updated  %s/base: %s\n", displayDir(g.TemplatesDir), baseChange(old.Files, files))
	for _, n := range res.Notes {
		fmt.Fprintf(a.Stderr, "note: %s\n", n)
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(a.Stderr, "warning: %s\n", w)
	}
	fmt.Fprintf(a.Stderr, "next: phasegen render; phasegen diff ENV --to PHASE\n")
	return nil
}

// workloadsMoved names the workloads the new manifests add or drop.
func workloadsMoved(old, now *base.Base) string {
	var out []string
	for _, n := range now.WorkloadNames() {
		if _, ok := old.Workloads[n]; !ok {
			out = append(out, "added: "+now.Workloads[n].String())
		}
	}
	for _, n := range old.WorkloadNames() {
		if _, ok := now.Workloads[n]; !ok {
			out = append(out, "gone: "+old.Workloads[n].String())
		}
	}
	if len(out) == 0 {
		return ""
	}
	return "\nworkloads " + strings.Join(out, "; ")
}

// baseChange says which files of the base a re-import adds, changes and
// removes.
func baseChange(old, now fileset.Set) string {
	var added, changed, removed []string
	for _, p := range slices.Sorted(maps.Keys(now)) {
		if data, ok := old[p]; !ok {
			added = append(added, p)
		} else if !bytes.Equal(data, now[p]) {
			changed = append(changed, p)
		}
	}
	for _, p := range slices.Sorted(maps.Keys(old)) {
		if _, ok := now[p]; !ok {
			removed = append(removed, p)
		}
	}
	var parts []string
	for _, s := range []struct {
		what  string
		paths []string
	}{{"added", added}, {"changed", changed}, {"removed", removed}} {
		if len(s.paths) > 0 {
			parts = append(parts, s.what+" "+strings.Join(s.paths, ", "))
		}
	}
	return strings.Join(parts, "; ")
}
