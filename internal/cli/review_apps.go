package cli

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"

	"github.com/coditect/phasegen/internal/gittree"
	"github.com/coditect/phasegen/internal/parallel"
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
	tree, err := repo.FS(commit)
	if err != nil {
		return nil, err
	}
	// The apps asked for (all without arguments), each under its folder.
	var apps []appDir
	for _, app := range g.apps {
		if _, ok := want[app.name]; len(want) == 0 || ok {
			apps = append(apps, app)
		}
	}
	subs := make([]globalOptions, len(apps))
	same := make([]bool, len(apps))
	_ = parallel.Do(len(apps), func(i int) error { // sameInputs fails to false
		subs[i] = *g
		subs[i].Dir, subs[i].apps = apps[i].dir, nil
		subs[i].chdir()
		same[i] = sameInputs(repo, tree, &subs[i])
		return nil
	})
	var reports []review.AppReport
	for i, app := range apps {
		if same[i] {
			reports = append(reports, review.AppReport{App: app.name, Dir: filepath.ToSlash(app.dir)})
			continue
		}
		rep, err := a.reviewApp(&subs[i], repo, commit, want[app.name])
		if err != nil {
			return nil, fmt.Errorf("app %s (%s): %w", app.name, app.dir, err)
		}
		reports = append(reports, review.AppReport{App: app.name, Dir: filepath.ToSlash(app.dir), Report: rep})
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

// sameInputs reports whether an app's configs and templates (all a review
// reads of it) are the same files in the working tree as in tree: then
// nothing of it can change, and it is not loaded.
func sameInputs(repo *gittree.Repo, tree fs.FS, g *globalOptions) bool {
	dirs := []string{g.ConfigDir}
	if !(g.templatesSet && g.TemplatesDir == EmbeddedTemplates) {
		dirs = append(dirs, g.TemplatesDir)
	}
	for _, d := range dirs {
		rel, err := repo.Rel(d)
		if err != nil || !repo.SameDir(tree, rel, d) {
			return false
		}
	}
	return true
}
