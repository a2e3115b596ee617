package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/coditect/phasegen/internal/config"
	"github.com/coditect/phasegen/internal/parallel"
)

// The bounds of the search for apps below a folder.
const (
	maxAppDepth = 8
	maxApps     = 1000
	maxAppDirs  = 100000
)

// appCommands act on every app below a folder that is itself no
// configuration.
var appCommands = []string{"check", "render", "plan"}

// appDir is one configuration found below the folder phasegen runs in.
type appDir struct {
	name, dir string
}

// findApps walks root for configurations (a folder holding
// environments/capacity.yaml), skipping hidden folders (.git among them),
// vendor and node_modules, within the bounds above. Two apps of one name
// are refused, naming both.
func findApps(root string) ([]appDir, error) {
	var out []appDir
	dirs := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		name := d.Name()
		if p != root && (strings.HasPrefix(name, ".") || name == "vendor" || name == "node_modules") {
			return filepath.SkipDir
		}
		if dirs++; dirs > maxAppDirs {
			return fmt.Errorf("more than %d folders below %s: run phasegen in an app's folder or a smaller one", maxAppDirs, root)
		}
		if rel, _ := filepath.Rel(root, p); strings.Count(rel, string(filepath.Separator)) >= maxAppDepth {
			return filepath.SkipDir
		}
		capFile := filepath.Join(p, "environments", "capacity.yaml")
		if _, err := os.Lstat(capFile); err != nil {
			return nil
		}
		app, err := appName(capFile)
		if err != nil {
			return err
		}
		out = append(out, appDir{name: app, dir: p})
		if len(out) > maxApps {
			return fmt.Errorf("more than %d apps below %s", maxApps, root)
		}
		return filepath.SkipDir // an app's folder holds no other app
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b appDir) int { return strings.Compare(a.name, b.name) })
	for i := 1; i < len(out); i++ {
		if out[i].name == out[i-1].name {
			return nil, fmt.Errorf("two apps are named %s: %s and %s (metadata.name of their capacity.yaml): give each its own name", out[i].name, out[i-1].dir, out[i].dir)
		}
	}
	return out, nil
}

// appName is the metadata.name of a capacity model file.
func appName(file string) (string, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return "", err
	}
	doc, ps := config.Parse(file, data, config.KindCapacityModel)
	if len(ps) > 0 {
		return "", ps
	}
	return doc.(*config.CapacityModel).Metadata.Name, nil
}

// appsBelow finds the apps below the current folder for the commands that
// act on them from there (none for the others).
func appsBelow(c *command) ([]appDir, error) {
	if !slices.Contains(appCommands, c.name) && !slices.Contains(appEnvCommands, c.name) && c.name != "review" {
		return nil, nil
	}
	return findApps(".")
}

// runApps runs command (args as given, the command among them) once per app
// of apps (found below the current folder), as `phasegen -C APP args…`: every line it
// prints starts with the app's name; -o json gathers the apps' documents
// under {"apps": [{"app", "dir", "output"}]}. The exit code is 1 when any
// app's run failed, else the highest of them (check: 3 when any app is
// stale).
func (a *App) runApps(ctx context.Context, args []string, apps []appDir) int {
	asJSON := jsonOutput(args[1:])
	type entry struct {
		App    string          `json:"app"`
		Dir    string          `json:"dir"`
		Output json.RawMessage `json:"output"`
	}
	// Every app runs on its own core, its output kept and printed in
	// the apps' order.
	type result struct {
		code           int
		stdout, stderr bytes.Buffer
	}
	results := make([]result, len(apps))
	_ = parallel.Do(len(apps), func(i int) error { // the exit codes say what failed
		sub := *a
		sub.Stdout, sub.Stderr = &results[i].stdout, &results[i].stderr
		results[i].code = sub.Run(ctx, append([]string{"-C", apps[i].dir}, args...))
		return nil
	})
	var entries []entry
	worst := ExitOK
	for i, app := range apps {
		r := &results[i]
		errs := &prefixWriter{w: a.Stderr, prefix: app.name + ": "}
		_, _ = errs.Write(r.stderr.Bytes())
		errs.flush()
		switch {
		case r.code == ExitError || worst == ExitError:
			worst = ExitError
		case r.code > worst:
			worst = r.code
		}
		if asJSON {
			if raw := bytes.TrimSpace(r.stdout.Bytes()); json.Valid(raw) {
				entries = append(entries, entry{App: app.name, Dir: filepath.ToSlash(app.dir), Output: raw})
			}
			continue
		}
		pw := &prefixWriter{w: a.Stdout, prefix: app.name + ": "}
		_, _ = pw.Write(r.stdout.Bytes())
		pw.flush()
	}
	if asJSON {
		b, err := json.MarshalIndent(struct {
			Apps []entry `json:"apps"`
		}{entries}, "", "  ")
		if err != nil {
			fmt.Fprintf(a.Stderr, "phasegen %s: %v\n", args[0], err)
			return ExitError
		}
		fmt.Fprintf(a.Stdout, "%s\n", b)
	}
	return worst
}

// jsonOutput reports whether args ask for -o json.
func jsonOutput(args []string) bool {
	for i, s := range args {
		if s == "-o=json" || s == "--output=json" || ((s == "-o" || s == "--output") && i+1 < len(args) && args[i+1] == "json") {
			return true
		}
	}
	return false
}

// prefixWriter starts every line written through it with prefix.
type prefixWriter struct {
	w       io.Writer
	prefix  string
	partial []byte
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.partial = append(p.partial, b...)
	for {
		i := bytes.IndexByte(p.partial, '\n')
		if i < 0 {
			return len(b), nil
		}
		if _, err := fmt.Fprintf(p.w, "%s%s\n", p.prefix, p.partial[:i]); err != nil {
			return 0, err
		}
		p.partial = p.partial[i+1:]
	}
}

// flush writes what is left of a last line without its newline.
func (p *prefixWriter) flush() {
	if len(p.partial) > 0 {
		fmt.Fprintf(p.w, "%s%s\n", p.prefix, p.partial)
		p.partial = nil
	}
}

// exists reports whether p is there (a file, folder or link).
func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// appEnvCommands act on one app: at a folder above several, they take
// APP/ENV arguments or --app APP.
var appEnvCommands = []string{"build", "diff", "promote", "wait", "status", "tune", "observe", "rules", "parent"}

// pickApp resolves which of apps a command run above them acts on: the
// one --app names (app), or the one its APP/ENV arguments name (all of one
// app). It returns that app and the arguments with their APP/ taken off.
func pickApp(app string, args []string, apps []appDir) (appDir, []string, error) {
	out := make([]string, len(args))
	for i, arg := range args {
		out[i] = arg
		name, env, ok := strings.Cut(arg, "/")
		if !ok || name == "" || env == "" || strings.Contains(env, "/") {
			continue
		}
		if app != "" && app != name {
			return appDir{}, nil, usagef("%s names app %s, but the command acts on app %s: one app per command", arg, name, app)
		}
		app, out[i] = name, env
	}
	names := make([]string, len(apps))
	for i, a := range apps {
		if a.name == app {
			return a, out, nil
		}
		names[i] = a.name
	}
	list := strings.Join(names, ", ")
	if app == "" {
		return appDir{}, nil, usagef("this folder holds %d apps (%s): name the one to act on, as APP/ENV or with --app APP", len(apps), list)
	}
	return appDir{}, nil, usagef("no app named %s below this folder (its apps: %s)", app, list)
}

// checkAppName refuses --app naming another app than the configuration's
// own (phasegen run inside one app's folder).
func checkAppName(app string, g *globalOptions) error {
	file := filepath.Join(g.ConfigDir, "capacity.yaml")
	name, err := appName(file)
	if err != nil || name == app {
		return err
	}
	return usagef("--app %s, but the configuration here (%s) is app %s", app, file, name)
}
