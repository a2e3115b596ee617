package cli

import (
	"bytes"
	"context"
	"testing"
	"time"
)

// TestApp is the one App every test of the command line runs: output
// captured, the environment a map, the real clock, and waits that return
// at once. A test changes what it needs (Now, HTTPClient, Sleep, Getenv)
// before Run.
type TestApp struct {
	*App
	Out, Err *bytes.Buffer
}

// NewTestApp returns a TestApp reading env as its environment.
func NewTestApp(t testing.TB, env map[string]string) *TestApp {
	t.Helper()
	ta := &TestApp{Out: &bytes.Buffer{}, Err: &bytes.Buffer{}}
	ta.App = &App{
		Stdout: ta.Out, Stderr: ta.Err, Getenv: func(k string) string { return env[k] }, Now: time.Now,
		Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() },
	}
	return ta
}

// Run runs phasegen with args and returns its exit code.
func (ta *TestApp) Run(args ...string) int { return ta.App.Run(context.Background(), args) }

// Output is what the run printed, stdout then stderr.
func (ta *TestApp) Output() string { return ta.Out.String() + ta.Err.String() }
