package cli

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"
)

// globalFlags are the flags every command takes, which may also come
// before the command (phasegen --config X plan, phasegen -C DIR plan), as
// kubectl, gh and git take theirs.
var globalFlags = map[string]string{"--config": "config", "--templates": "templates", "--overlays": "overlays", "-C": "directory", "--directory": "directory"}

// leadingGlobals takes the global flags before the command off args: their
// values by flag name, and the rest (the command first).
func leadingGlobals(args []string) (map[string]string, []string, error) {
	vals := map[string]string{}
	for len(args) > 0 && strings.HasPrefix(args[0], "-") && args[0] != "-h" && args[0] != "--help" {
		flag, value, inline := strings.Cut(args[0], "=")
		name, ok := globalFlags[flag]
		if !ok {
			return nil, nil, fmt.Errorf("unknown flag %s before the command: only --config, --templates, --overlays and -C DIR may come first", flag)
		}
		if !inline {
			if len(args) < 2 {
				return nil, nil, fmt.Errorf("flag %s needs a value", flag)
			}
			value, args = args[1], args[1:]
		}
		vals[name] = value
		args = args[1:]
	}
	return vals, args, nil
}

// addGlobalFlags registers the global flags on fs.
func addGlobalFlags(fs *pflag.FlagSet, g *globalOptions) {
	fs.StringVar(&g.ConfigDir, "config", "environments", "directory of the phase, environment and capacity configs")
	fs.StringVar(&g.TemplatesDir, "templates", "templates", "directory holding the Kustomize base in base/ ("+EmbeddedTemplates+": the example's, built in)")
	fs.StringVar(&g.OverlaysDir, "overlays", "overlays", "directory of the generated overlays")
	fs.StringVarP(&g.Dir, "directory", "C", "", "the configuration repository's folder: --config, --templates and --overlays are read under it")
}

// applyGlobals sets the flags given before the command where fs did not
// get them after it, and puts the three folders under -C DIR.
func applyGlobals(fs *pflag.FlagSet, g *globalOptions, leading map[string]string) {
	for name, v := range leading {
		if !fs.Changed(name) {
			_ = fs.Set(name, v) // string flags: Set cannot fail
		}
	}
	g.chdir()
}

// chdir puts the three folders under -C DIR (g.Dir), unless absolute.
func (g *globalOptions) chdir() {
	if g.Dir == "" {
		return
	}
	for _, d := range []*string{&g.ConfigDir, &g.TemplatesDir, &g.OverlaysDir} {
		if !filepath.IsAbs(*d) && *d != EmbeddedTemplates {
			*d = filepath.Join(g.Dir, *d)
		}
	}
}
