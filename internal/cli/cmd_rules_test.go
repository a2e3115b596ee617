package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coditect/phasegen/internal/alerts"
	"github.com/coditect/phasegen/internal/base"
	"github.com/coditect/phasegen/internal/config"
	"github.com/coditect/phasegen/internal/workload"
)

func runRulesCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	a := NewTestApp(t, nil)
	base := []string{"rules", "--config", filepath.Join("..", "testdata", "example", "environments"), "--templates", filepath.Join("..", "testdata", "example", "templates")}
	code := a.Run(append(base, args...)...)
	return code, a.Out.String(), a.Err.String()
}

func TestRulesCommandWritesRulesAndTest(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out", "rules")
	code, stdout, stderr := runRulesCmd(t, "staging", "--dir", dir, "--phase", "full-mvp")
	if code != ExitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, ",") != "rules.yaml,rules_test.yaml" {
		t.Errorf("files in --dir = %v, want rules.yaml and rules_test.yaml only", names)
	}
	set, err := config.Load(filepath.Join("..", "testdata", "example", "environments"))
	if err != nil {
		t.Fatal(err)
	}
	env, _ := set.Environment("staging")
	phase, _ := set.Phase("full-mvp")
	next, _ := set.Next(phase)
	b, err := base.Load(os.DirFS(filepath.Join("..", "testdata", "example", "templates")))
	if err != nil {
		t.Fatal(err)
	}
	ws, err := workload.Resolve(set, b)
	if err != nil {
		t.Fatal(err)
	}
	want, err := alerts.RuleFile(env, phase, alerts.For(ws.All[0], false), alerts.Options{NextPhase: next.Metadata.Name})
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, "rules.yaml"))
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("rules.yaml is not the alerts package's rule file (err %v)", err)
	}
	test, err := os.ReadFile(filepath.Join(dir, "rules_test.yaml"))
	if err != nil || !bytes.Contains(test, []byte("rule_files:\n- rules.yaml\n")) {
		t.Errorf("rules_test.yaml does not load rules.yaml (err %v)", err)
	}
	if !strings.Contains(stdout, "promtool test rules "+filepath.Join(dir, "rules_test.yaml")) {
		t.Errorf("stdout does not say how to run the test:\n%s", stdout)
	}
	// A second run replaces the files in place.
	if code, _, stderr := runRulesCmd(t, "staging", "--dir", dir); code != ExitOK {
		t.Fatalf("second run: exit %d:\n%s", code, stderr)
	}
	got, _ = os.ReadFile(filepath.Join(dir, "rules.yaml"))
	if !bytes.Contains(got, []byte("phase "+env.Spec.Phase+")")) {
		t.Errorf("second run did not rewrite rules.yaml for the environment's phase %s", env.Spec.Phase)
	}
}

func TestRulesCommandUsage(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--dir", dir}, ExitUsage, "exactly one ENV"},
		{[]string{"production"}, ExitUsage, "--dir is required"},
		{[]string{"nope", "--dir", dir}, ExitError, `environment "nope" does not exist`},
		{[]string{"production", "--dir", dir, "--phase", "zz"}, ExitError, `phase "zz" does not exist`},
	} {
		code, _, stderr := runRulesCmd(t, c.args...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("rules %v: exit %d, stderr %q; want exit %d and %q", c.args, code, stderr, c.code, c.want)
		}
		if usage := strings.Contains(stderr, "Usage:"); usage != (c.code == ExitUsage) {
			t.Errorf("rules %v: usage printed = %v", c.args, usage)
		}
	}
}
