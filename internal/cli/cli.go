// Package cli is phasegen's command line: it parses flags, wires the library
// packages together and maps errors to exit codes. Nothing imports it but main.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/coditect/phasegen/internal/retry"
	"github.com/coditect/phasegen/internal/secret"
)

// Exit codes, as docs/json.md documents them.
const (
	ExitOK    = 0
	ExitError = 1
	ExitUsage = 2
	ExitStale = 3
)

// App carries everything a command touches outside itself, so tests can
// inject it.
type App struct {
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	HTTPClient     *http.Client
	Now            func() time.Time
	// Sleep waits for d or until ctx ends; tests replace it so nothing sleeps.
	Sleep func(ctx context.Context, d time.Duration) error
	// IsTerminal reports whether stdout is a terminal (for colour).
	IsTerminal bool
}

// Run runs phasegen with args (without the program name) and returns the exit
// code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	a := &App{
		Stdout: stdout, Stderr: stderr, Getenv: os.Getenv,
		HTTPClient: &http.Client{Timeout: 60 * time.Second},
		Now:        time.Now, Sleep: retry.Sleep,
		IsTerminal: isTerminal(stdout),
	}
	return a.Run(ctx, args)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// globalOptions are the flags every command takes.
type globalOptions struct {
	ConfigDir    string
	TemplatesDir string
	OverlaysDir  string
	Dir          string // -C: the folder the three are under
	App          string // --app: the app of several below the folder
	// apps are the apps below the folder review runs at, when it is no
	// configuration itself.
	apps         []appDir
	templatesSet bool
}

// command is one subcommand: its flags, its help and its run function.
type command struct {
	name    string
	usage   string // after "phasegen "
	short   string
	long    string
	example string
	// setFlags registers the command's own flags on fs.
	setFlags func(fs *pflag.FlagSet)
	// run executes the command with its positional arguments.
	run func(ctx context.Context, g *globalOptions, args []string) error
}

func (a *App) commands() []*command {
	cmds := []*command{
		newPlanCmd(a),
		newRenderCmd(a),
		newBuildCmd(a),
		newCheckCmd(a),
		newDiffCmd(a),
		newRulesCmd(a),
		newPromoteCmd(a),
		newParentCmd(a),
		newStatusCmd(a),
		newTuneCmd(a),
		newWaitCmd(a),
		newReviewCmd(a),
		newInitCmd(a),
		newVersionCmd(a),
	}
	return cmds
}

// usageError is a mistake in how phasegen was called: exit 2 with usage.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// exitError ends a command with a specific exit code after it has printed
// what it wanted to.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// Run runs one command line.
func (a *App) Run(ctx context.Context, args []string) int {
	cmds := a.commands()
	given := args
	leading, args, err := leadingGlobals(args)
	if err != nil {
		fmt.Fprintf(a.Stderr, "phasegen: %v\n\n", err)
		a.printUsage(a.Stderr, cmds)
		return ExitUsage
	}
	if len(args) == 0 {
		a.printUsage(a.Stderr, cmds)
		return ExitUsage
	}
	name := args[0]
	if name == "-h" || name == "--help" || name == "help" {
		if len(args) > 1 {
			if c := find(cmds, args[1]); c != nil {
				a.printCommandHelp(a.Stdout, c)
				return ExitOK
			}
		}
		a.printUsage(a.Stdout, cmds)
		return ExitOK
	}
	c := find(cmds, name)
	if c == nil {
		fmt.Fprintf(a.Stderr, "phasegen: unknown command %q\n\n", name)
		a.printUsage(a.Stderr, cmds)
		return ExitUsage
	}
	g := &globalOptions{}
	fs := pflag.NewFlagSet("phasegen "+c.name, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.SortFlags = false
	addGlobalFlags(fs, g)
	if slices.Contains(appEnvCommands, c.name) {
		fs.StringVar(&g.App, "app", "", "the app to act on, at a folder above several apps (or name it in APP/ENV)")
	}
	help := fs.BoolP("help", "h", false, "show help for this command")
	if c.setFlags != nil {
		c.setFlags(fs)
	}
	if err := fs.Parse(args[1:]); err != nil {
		fmt.Fprintf(a.Stderr, "phasegen %s: %v\n\n", c.name, err)
		a.printCommandHelp(a.Stderr, c)
		return ExitUsage
	}
	if *help {
		a.printCommandHelp(a.Stdout, c)
		return ExitOK
	}
	applyGlobals(fs, g, leading)
	g.templatesSet = fs.Changed("templates")
	args = fs.Args()
	if g.Dir == "" && !fs.Changed("config") && leading["config"] == "" && !exists(g.ConfigDir) {
		var done bool
		var code int
		if code, args, done = a.aboveApps(ctx, c, g, given, args); done {
			return code
		}
	} else if g.App != "" {
		if err := checkAppName(g.App, g); err != nil {
			return a.exitCode(c, err)
		}
	}
	err = c.run(ctx, g, args)
	return a.exitCode(c, err)
}

// aboveApps runs c at a folder that is no configuration: with apps below
// it, check, render and plan run on each (done), review on all of them,
// and the commands of one app on the one APP/ENV or --app names (g is
// put under its folder; args lose their APP/). With none below, the
// command goes on and says where it looked.
func (a *App) aboveApps(ctx context.Context, c *command, g *globalOptions, given, args []string) (int, []string, bool) {
	apps, err := appsBelow(c)
	switch {
	case err != nil:
		return a.exitCode(c, err), nil, true
	case len(apps) == 0:
	case slices.Contains(appCommands, c.name):
		return a.runApps(ctx, given, apps), nil, true
	case c.name == "review":
		g.apps = apps
	case slices.Contains(appEnvCommands, c.name):
		app, rest, err := pickApp(g.App, args, apps)
		if err != nil {
			return a.exitCode(c, err), nil, true
		}
		g.Dir, args = app.dir, rest
		g.chdir()
	}
	return 0, args, false
}

func (a *App) exitCode(c *command, err error) int {
	if err == nil {
		return ExitOK
	}
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(a.Stderr, "phasegen %s: %s\n\n", c.name, a.redact(ue.msg))
		a.printCommandHelp(a.Stderr, c)
		return ExitUsage
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			fmt.Fprintf(a.Stderr, "phasegen %s: %s\n", c.name, a.redact(ee.msg))
		}
		return ee.code
	}
	fmt.Fprintf(a.Stderr, "phasegen %s: %s\n", c.name, indentRest(a.redact(err.Error())))
	return ExitError
}

// credentialVars are the variables that hold credentials: nothing phasegen
// prints ends a run holding one, in any form secret.Forms knows.
var credentialVars = []string{"GITHUB_TOKEN", "GH_TOKEN", "ARGOCD_AUTH_TOKEN", "PROMETHEUS_TOKEN", "GITHUB_APP_PRIVATE_KEY"}

// redact masks, in a message about to be printed, the credentials of the
// environment and whatever looks like one in a value the user gave (the
// userinfo of a URL or a HOST:PORT, a query parameter named like a
// credential): a refused --argocd-server, GITHUB_API_URL, --repo or --base
// is echoed without them.
// minCredential is the shortest environment value redact masks.
const minCredential = 8

func (a *App) redact(msg string) string {
	var secrets []string
	for _, v := range credentialVars {
		// Shorter values are no real credential (tokens and keys are
		// long) and would mask ordinary words of every message.
		if a.Getenv != nil && len(a.Getenv(v)) >= minCredential {
			secrets = append(secrets, a.Getenv(v))
		}
	}
	// No message drives the terminal: control characters other than the
	// line breaks and tabs phasegen writes itself are escaped.
	lines := strings.Split(secret.String(msg, secrets...), "\n")
	for i, l := range lines {
		parts := strings.Split(l, "\t")
		for j, p := range parts {
			parts[j] = secret.Escape(p)
		}
		lines[i] = strings.Join(parts, "\t")
	}
	return strings.Join(lines, "\n")
}

// indentRest keeps multi-line errors (one problem a line) readable.
func indentRest(s string) string {
	if !strings.Contains(s, "\n") {
		return s
	}
	return "\n  " + strings.ReplaceAll(s, "\n", "\n  ")
}

func find(cmds []*command, name string) *command {
	for _, c := range cmds {
		if c.name == name {
			return c
		}
	}
	return nil
}

func (a *App) printUsage(w io.Writer, cmds []*command) {
	fmt.Fprintln(w, "phasegen plans, renders and promotes the launch phases of a workload deployed by Argo CD.")
	fmt.Fprintln(w, "\nUsage:\n  phasegen COMMAND [ARGS] [FLAGS]\n\nCommands:")
	for _, c := range cmds {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.short)
	}
	fmt.Fprintln(w, "\nGlobal flags:\n  --config DIR      configs (default environments)\n  --templates DIR   directory holding the Kustomize base in base/ (default templates; "+EmbeddedTemplates+": the example's)\n  --overlays DIR    generated overlays (default overlays)\n  -C DIR            read the three under DIR (an app's folder in a config repository)\n  -h, --help        help")
	fmt.Fprintln(w, "\nRun 'phasegen COMMAND --help' for a command's flags and an example.")
}

func (a *App) printCommandHelp(w io.Writer, c *command) {
	fmt.Fprintf(w, "%s\n\nUsage:\n  phasegen %s\n", c.short, c.usage)
	if c.long != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(c.long))
	}
	fs := pflag.NewFlagSet(c.name, pflag.ContinueOnError)
	fs.SortFlags = false
	if c.setFlags != nil {
		c.setFlags(fs)
	}
	if fs.HasFlags() {
		fmt.Fprintf(w, "\nFlags:\n%s", fs.FlagUsages())
	}
	fmt.Fprintln(w, "\nGlobal flags: --config DIR, --templates DIR, --overlays DIR, -C DIR, -h/--help")
	if slices.Contains(appEnvCommands, c.name) {
		fmt.Fprintln(w, "Above several apps: APP/ENV for ENV, or --app APP.")
	}
	if c.example != "" {
		fmt.Fprintf(w, "\nExample:\n%s\n", c.example)
	}
}
