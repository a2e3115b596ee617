package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	gogit "github.com/go-git/go-git/v5"

	"github.com/coditect/phasegen/internal/cli"
)

// ownApp is the third app of the config repository: one Deployment,
// adopted with init.
const ownApp = `apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: notes}
spec:
  replicas: 2
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
      - name: api
        image: notes/api:1.0
        resources: {requests: {cpu: 100m, memory: 64Mi}, limits: {cpu: 200m, memory: 128Mi}}
`

// appsRepo lays out a config repository of three apps as apps/<app>/:
// the two shipped examples as "ide" and "shop", and "notes" of its own,
// each rendered, all committed; the test runs at its top.
func appsRepo(t *testing.T) (string, *gogit.Repository) {
	t.Helper()
	dir := t.TempDir()
	for app, src := range map[string]string{"ide": filepath.Join("..", "testdata", "example"), "shop": filepath.Join("..", "..", "examples", "store")} {
		for _, d := range []string{"environments", "templates/base"} {
			if err := copyTree(filepath.Join(src, d), filepath.Join(dir, "apps", app, d)); err != nil {
				t.Fatal(err)
			}
		}
		capFile := filepath.Join(dir, "apps", app, "environments", "capacity.yaml")
		b, err := os.ReadFile(capFile)
		if err != nil {
			t.Fatal(err)
		}
		renamed := strings.Replace(strings.Replace(string(b), "\n  name: store\n", "\n  name: "+app+"\n", 1), "\n  name: coditect\n", "\n  name: "+app+"\n", 1)
		if renamed == string(b) {
			t.Fatalf("%s: no app name to change", capFile)
		}
		if err := os.WriteFile(capFile, []byte(renamed), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	in := filepath.Join(t.TempDir(), "api.yaml")
	if err := os.WriteFile(in, []byte(ownApp), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	mustRun(t, nil, "-C", "apps/notes", "init", "--from", in, "--app", "notes")
	mustRun(t, nil, "render")
	r, err := gogit.PlainInit(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	commitAll(t, r, "three apps")
	return dir, r
}

// appsReview is what the test reads of review -o json above several apps.
type appsReview struct {
	Apps []struct {
		App, Dir              string
		Unchanged             bool
		Environments, Changed int
	} `json:"apps"`
	Environments []struct {
		App, Name string
		Changed   bool
	} `json:"environments"`
	Skipped int `json:"skipped"`
}

func TestConfigRepositoryOfThreeApps(t *testing.T) {
	dir, _ := appsRepo(t)
	stderr := mustRun(t, nil, "check")
	for _, app := range []string{"ide", "notes", "shop"} {
		if !strings.Contains(stderr, app+": apps/"+app+"/overlays/ is up to date") {
			t.Errorf("check does not say app %s is up to date:\n%s", app, stderr)
		}
	}

	// One phase of shop changes: check exits 3 naming shop's stale files
	// and no other app's.
	editFile(t, filepath.Join(dir, "apps", "shop", "environments", "phases", "launch.yaml"), "maxReplicas: 10", "maxReplicas: 12")
	code, _, stderr := runCLI(t, nil, "check")
	if code != cli.ExitStale || !strings.Contains(stderr, "shop: stale: apps/shop/overlays/staging/store-api-hpa.yaml") {
		t.Fatalf("check after the change: exit %d\n%s", code, stderr)
	}
	if strings.Contains(stderr, "ide: stale") || strings.Contains(stderr, "notes: stale") {
		t.Errorf("check calls an unchanged app stale:\n%s", stderr)
	}

	// review reports only shop's environment as changed and builds no
	// other.
	code, out, stderr := runCLI(t, nil, "review", "--base", "HEAD", "-o", "json")
	if code != cli.ExitOK {
		t.Fatalf("review: exit %d\n%s", code, stderr)
	}
	var rep appsReview
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("review -o json: %v\n%s", err, out)
	}
	if len(rep.Apps) != 3 || rep.Apps[0].App != "ide" || rep.Apps[1].App != "notes" || rep.Apps[2].App != "shop" || rep.Apps[2].Dir != "apps/shop" {
		t.Fatalf("apps: %+v", rep.Apps)
	}
	if !rep.Apps[0].Unchanged || !rep.Apps[1].Unchanged || rep.Apps[2].Unchanged || rep.Apps[2].Changed != 1 {
		t.Errorf("ide and notes are not the unchanged apps, or shop's change is not counted: %+v", rep.Apps)
	}
	var changed []string
	for _, e := range rep.Environments {
		if e.App == "" {
			t.Errorf("environment %s names no app", e.Name)
		}
		if e.Changed {
			changed = append(changed, e.App+"/"+e.Name)
		}
	}
	if strings.Join(changed, " ") != "shop/staging" || rep.Skipped != len(rep.Environments)-1 {
		t.Errorf("changed %v, %d of %d skipped; want shop/staging alone, every other skipped", changed, rep.Skipped, len(rep.Environments))
	}
	if !strings.Contains(stderr, "built 1 environment(s) on both sides; 1 skipped (inputs identical); 2 of 3 apps unchanged (not loaded)") {
		t.Errorf("review built more than the changed environment: %s", stderr)
	}
}

func TestConfigRepositoryKeepsOneComment(t *testing.T) {
	dir, _ := appsRepo(t)
	fake, env := reviewFake(t)
	launch := filepath.Join(dir, "apps", "shop", "environments", "phases", "launch.yaml")
	editFile(t, launch, "maxReplicas: 10", "maxReplicas: 12")

	// New: one comment, a section for shop, the two others counted.
	mustRun(t, env, "review", "--base", "HEAD", "--comment=1")
	cs := fake.Comments(1)
	if len(cs) != 1 || !strings.HasPrefix(cs[0].Body, reviewMarker) {
		t.Fatalf("after the first run: %d comments", len(cs))
	}
	body := cs[0].Body
	for _, want := range []string{"### phasegen review of 3 apps", "#### App shop", "| shop/staging |", "Unchanged apps (2 of 3): ide, notes.", "+  maxReplicas: 12"} {
		if !strings.Contains(body, want) {
			t.Errorf("the comment lacks %q:\n%s", want, body)
		}
	}
	first := cs[0].ID

	// Same: nothing written.
	fake.ResetCalls()
	mustRun(t, env, "review", "--base", "HEAD", "--comment=1")
	if w := fake.Writes(); len(w) != 0 {
		t.Errorf("the same review wrote %d time(s)", len(w))
	}

	// Changed: the one comment edited once.
	editFile(t, launch, "maxReplicas: 12", "maxReplicas: 14")
	fake.ResetCalls()
	mustRun(t, env, "review", "--base", "HEAD", "--comment=1")
	cs = fake.Comments(1)
	if len(cs) != 1 || cs[0].ID != first || !strings.Contains(cs[0].Body, "+  maxReplicas: 14") {
		t.Fatalf("after the change: %d comments", len(cs))
	}
	if n, w := fake.Count("PATCH issues/comments/{id}"), len(fake.Writes()); n != 1 || w != 1 {
		t.Errorf("%d edits, %d writes; want one edit", n, w)
	}
}

func TestAppEnvAboveSeveralApps(t *testing.T) {
	appsRepo(t)
	inApp := mustRunOut(t, "-C", "apps/shop", "build", "staging")
	for _, args := range [][]string{{"build", "shop/staging"}, {"build", "staging", "--app", "shop"}} {
		if got := mustRunOut(t, args...); got != inApp {
			t.Errorf("phasegen %s differs from phasegen -C apps/shop build staging", strings.Join(args, " "))
		}
	}
	code, _, stderr := runCLI(t, nil, "build", "staging")
	if code != cli.ExitUsage || !strings.Contains(stderr, "this folder holds 3 apps (ide, notes, shop): name the one to act on") {
		t.Errorf("build without an app: exit %d\n%s", code, stderr)
	}
	code, _, stderr = runCLI(t, nil, "build", "shop/staging", "ide/staging")
	if code != cli.ExitUsage || !strings.Contains(stderr, "ide/staging names app ide, but the command acts on app shop") {
		t.Errorf("build of two apps: exit %d\n%s", code, stderr)
	}
	code, _, stderr = runCLI(t, nil, "-C", "apps/shop", "build", "staging", "--app", "ide")
	if code != cli.ExitUsage || !strings.Contains(stderr, "--app ide, but the configuration here (apps/shop/environments/capacity.yaml) is app shop") {
		t.Errorf("--app of another app inside one: exit %d\n%s", code, stderr)
	}
}

// mustRunOut runs phasegen, wants exit 0 and returns its stdout.
func mustRunOut(t *testing.T, args ...string) string {
	t.Helper()
	code, out, stderr := runCLI(t, nil, args...)
	if code != cli.ExitOK {
		t.Fatalf("phasegen %s: exit %d\n%s", strings.Join(args, " "), code, stderr)
	}
	return out
}
