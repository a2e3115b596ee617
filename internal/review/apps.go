package review

import (
	"fmt"
	"strings"
)

// AppCount is one app of a review across several apps.
type AppCount struct {
	App string `json:"app"`
	// Dir is the app's folder, relative to where the review ran.
	Dir string `json:"dir"`
	// Unchanged: the app's configs and templates are the same files on
	// both sides; it was not loaded, and its environments are not listed.
	Unchanged bool `json:"unchanged,omitempty"`
	// Environments counts the app's environments (0 when unchanged),
	// Changed those whose built manifests change.
	Environments int `json:"environments"`
	Changed      int `json:"changed"`
}

// AppReport is one app's review, for Combine: Report is nil for an app
// whose inputs are the same files on both sides.
type AppReport struct {
	App, Dir string
	Report   *Report
}

// Combine joins the reviews of several apps (all against one base
// revision) into one report: every environment keeps its app (labelled
// APP/ENV), Apps counts each app's environments and changes, Skipped and
// Built are summed. The Markdown of the result is one comment with a
// section per changed app and the unchanged apps in one line.
func Combine(base string, apps []AppReport) *Report {
	out := &Report{Base: base, Environments: []Env{}, Apps: []AppCount{}}
	for _, a := range apps {
		r := a.Report
		if r == nil {
			out.Apps = append(out.Apps, AppCount{App: a.App, Dir: a.Dir, Unchanged: true})
			continue
		}
		out.Apps = append(out.Apps, AppCount{App: r.App, Dir: a.Dir, Environments: len(r.Environments), Changed: r.Changes()})
		for _, e := range r.Environments {
			e.qualified = true
			out.Environments = append(out.Environments, e)
		}
		out.Skipped += r.Skipped
		out.Built += r.Built
	}
	return out
}

// NotLoaded counts the apps of a combined report whose inputs were the
// same files on both sides (not loaded, their environments not listed).
func (r *Report) NotLoaded() int {
	n := 0
	for _, a := range r.Apps {
		if a.Unchanged {
			n++
		}
	}
	return n
}

// unchangedApps is the line naming the apps of a combined report whose
// review lists nothing, or "" when every app lists something (or the
// report is one app's).
func (r *Report) unchangedApps() string {
	if r.Apps == nil {
		return ""
	}
	listed := map[string]bool{}
	for _, e := range r.notable() {
		listed[e.App] = true
	}
	var names []string
	for _, a := range r.Apps {
		if !listed[a.App] {
			names = append(names, a.App)
		}
	}
	if len(names) == 0 {
		return ""
	}
	const shown = 10
	list := strings.Join(names, ", ")
	if len(names) > shown {
		list = strings.Join(names[:shown], ", ") + fmt.Sprintf(" and %d more", len(names)-shown)
	}
	return fmt.Sprintf("Unchanged apps (%d of %d): %s.", len(names), len(r.Apps), list)
}
