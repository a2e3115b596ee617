package cli

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/coditect/phasegen/internal/gittree"
	"github.com/coditect/phasegen/internal/review"
)

// reviewApps reviews every app of g.apps (review run at a folder above
// them), each as reviewApp does, into one report. args narrow it: APP
// reviews that app, APP/ENV that environment of it; with none, every app.
func (a *App) reviewApps(g *globalOptions, repo *gittree.Repo, commit *gittree.Commit, args []string) (*review.Report, error) {
	want, err := appArgs(args, g.apps)
	if err != nil {
		return nil, err
	}
	var reports []review.AppReport
	for _, app := range g.apps {
		envs, ok := want[app.name]
		if len(want) > 0 && !ok {
			continue
		}
		sub := *g
		sub.Dir, sub.apps = app.dir, nil
		sub.chdir()
		rep, err := a.reviewApp(&sub, repo, commit, envs)
		if err != nil {
			return nil, fmt.Errorf("app %s (%s): %w", app.name, app.dir, err)
		}
		reports = append(reports, review.AppReport{Dir: filepath.ToSlash(app.dir), Report: rep})
	}
	return review.Combine(commit.Hash.String(), reports), nil
}

// appArgs reads review's arguments above several apps: APP (every
// environment of it) or APP/ENV, by app; nil for none.
func appArgs(args []string, apps []appDir) (map[string][]string, error) {
	if len(args) == 0 {
		return nil, nil
	}
	want := map[string][]string{}
	for _, arg := range args {
		name, env, qualified := strings.Cut(arg, "/")
		if !slices.ContainsFunc(apps, func(a appDir) bool { return a.name == name }) {
			return nil, usagef("%s: no app named %s below this folder: above several apps, review takes APP or APP/ENV", arg, name)
		}
		if !qualified {
			want[name] = nil
			continue
		}
		if _, whole := want[name]; whole && want[name] == nil {
			continue
		}
		want[name] = append(want[name], env)
	}
	return want, nil
}
