package promote_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/coditect/phasegen/internal/fileset"
	"github.com/coditect/phasegen/internal/gate"
	"github.com/coditect/phasegen/internal/gitops"
	"github.com/coditect/phasegen/internal/gittest"
	"github.com/coditect/phasegen/internal/promote"
)

// seeded returns a repository whose main holds production at pre-launch,
// promoted and merged the way a user would.
func seeded(t testing.TB, f fixture) string {
	t.Helper()
	dir := newRepo(t)
	out, err := promote.Promote(ctx, f.opts(openRepo(t, dir), "pre-launch"))
	if err != nil {
		t.Fatal(err)
	}
	if !out.First || out.From != promote.NoPhase || !out.Write.Changed {
		t.Fatalf("first promotion: %+v", out)
	}
	mustContain(t, "first promotion body", out.Body, "first promotion of production", "| Replicas | – | 10 |")
	merge(t, dir, "phasegen/coditect/production")
	return dir
}

func TestPromoteLocalNextPhase(t *testing.T) {
	f := shipped(t)
	dir := seeded(t, f)
	mainBefore := tip(t, dir, "main")

	out, err := promote.Promote(ctx, f.opts(openRepo(t, dir), "beta"))
	if err != nil {
		t.Fatal(err)
	}
	if out.From != "pre-launch" || out.First || !out.Write.Changed || out.UpToDate {
		t.Fatalf("outcome: from %q first %v write %+v", out.From, out.First, out.Write)
	}
	if out.Title != "coditect/production: pre-launch → beta" {
		t.Errorf("title %q", out.Title)
	}
	if got := tip(t, dir, "main"); got != mainBefore {
		t.Errorf("main moved")
	}
	head := tip(t, dir, "phasegen/coditect/production")
	if head != out.Write.Commit {
		t.Errorf("branch at %s, outcome says %s", head, out.Write.Commit)
	}
	// Byte for byte the local render, and nothing else under the root.
	want := f.tree(t, f.b, "production", "beta")
	got := treeFiles(t, dir, "phasegen/coditect/production", root)
	if !fileset.Equal(got, want) {
		t.Errorf("files under %s differ from the render:\ngot  %v\nwant %v", root, got.Paths(), want.Paths())
	}
	if all := treeFiles(t, dir, "phasegen/coditect/production", ""); string(all["README.md"]) != "# Argo CD apps\n" {
		t.Errorf("README.md outside the root was not kept")
	}
	mustContain(t, "body", out.Body,
		"Promotes **production** of app **coditect** from **pre-launch** to **beta**", "It changes one environment, production: its tree `apps/coditect/production/` and its Application. staging is not touched.",
		"| Replicas | 10 | 10 |", "| HPA range | 10–30 | 10–30 |",
		"| Monthly cost (min–max) |", "Monthly cost change: **none**",
		"- [ ] Onboard 10-15 users", "<details>",
		"| Phase | Users |", // the capacity plan
		// The phase annotation is said once, not on every object: beta
		// sizes the workload as pre-launch did, so nothing else changes.
		"phasegen.dev/phase: pre-launch → beta on every object (6); the diff leaves it out", "_No change in the built manifests._")
	if strings.Contains(out.Body, "+    phasegen.dev/phase: beta") {
		t.Errorf("the phase annotation's change is in the diff of every object")
	}
	if strings.Contains(out.Body, "Cut to stay under") {
		t.Errorf("nothing should be cut")
	}
	if strings.Join(out.Labels, ",") != "phasegen,phase/beta" {
		t.Errorf("labels %v", out.Labels)
	}
	// The counts are what git says the commit changes.
	var counts gitops.Counts
	for _, line := range strings.Split(strings.TrimSpace(gittest.At(t, dir, time.Now(), "diff", "--name-status", "main", "phasegen/coditect/production")), "\n") {
		switch line[0] {
		case 'A':
			counts.Added++
		case 'M':
			counts.Modified++
		case 'D':
			counts.Deleted++
		default:
			t.Fatalf("git diff: %q", line)
		}
	}
	counts.Unchanged = len(out.Files) - counts.Added - counts.Modified
	t.Logf("pre-launch → beta: %s", out.Counts)
	if out.Counts != counts || counts.Changed() == 0 || counts.Unchanged == 0 {
		t.Errorf("counts %+v, git says %+v", out.Counts, counts)
	}

	// A rerun writes nothing.
	again, err := promote.Promote(ctx, f.opts(openRepo(t, dir), "beta"))
	if err != nil {
		t.Fatal(err)
	}
	if again.Write.Changed || again.Write.Commit != head || tip(t, dir, "phasegen/coditect/production") != head {
		t.Errorf("rerun wrote: %+v", again.Write)
	}
	if again.Body != out.Body {
		t.Errorf("rerun composed another body")
	}
}

func TestPromoteLocalRefusesSkip(t *testing.T) {
	f := shipped(t)
	dir := seeded(t, f)
	_, err := promote.Promote(ctx, f.opts(openRepo(t, dir), "full-mvp"))
	if !gate.IsRefused(err) {
		t.Fatalf("want a refusal, got %v", err)
	}
	mustContain(t, "refusal", err.Error(), "promote to beta first, or pass --allow-skip")
	if tip(t, dir, "phasegen/coditect/production") != tip(t, dir, "main") {
		t.Errorf("a refused promotion moved the branch")
	}

	o := f.opts(openRepo(t, dir), "full-mvp")
	o.AllowSkip = true
	out, err := promote.Promote(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "body", out.Body, "skips beta")
}

func TestPromoteLocalRefusesGrownVolume(t *testing.T) {
	f := shipped(t)
	dir := seeded(t, f)
	o := f.opts(openRepo(t, dir), "beta")
	o.Base = grown(t, f)
	out, err := promote.Promote(ctx, o)
	if !gate.IsRefused(err) {
		t.Fatalf("want a refusal, got %v", err)
	}
	mustContain(t, "refusal", err.Error(), "volumeClaimTemplates", "workspace 50Gi", "workspace 100Gi",
		"--cascade=orphan", "--allow-recreate")
	if out.Write.Commit != "" || tip(t, dir, "phasegen/coditect/production") != tip(t, dir, "main") {
		t.Errorf("a refused promotion wrote")
	}

	o.AllowRecreate = true
	out, err = promote.Promote(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "body", out.Body, "### Runbook", "kubectl delete statefulset coditect-combined -n coditect-app --cascade=orphan",
		`"storage":"100Gi"`, "-          storage: 50Gi", "+          storage: 100Gi")
}

func TestPromoteDryRunWritesNothing(t *testing.T) {
	f := shipped(t)
	dir := seeded(t, f)
	before := tip(t, dir, "phasegen/coditect/production")
	o := f.opts(openRepo(t, dir), "beta")
	o.DryRun = true
	out, err := promote.Promote(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if out.Body == "" || len(out.Files) == 0 || out.Write.Commit != "" {
		t.Errorf("dry run outcome: %+v", out.Write)
	}
	if tip(t, dir, "phasegen/coditect/production") != before {
		t.Errorf("dry run moved the branch")
	}
}

func TestPromoteUpToDate(t *testing.T) {
	f := shipped(t)
	dir := seeded(t, f)
	out, err := promote.Promote(ctx, f.opts(openRepo(t, dir), "pre-launch"))
	if err != nil {
		t.Fatal(err)
	}
	if !out.UpToDate || out.Write.Changed {
		t.Errorf("want nothing to do, got %+v", out.Write)
	}
}

func TestPromoteRollbackIsFlagged(t *testing.T) {
	f := shipped(t)
	dir := seeded(t, f)
	if _, err := promote.Promote(ctx, f.opts(openRepo(t, dir), "beta")); err != nil {
		t.Fatal(err)
	}
	merge(t, dir, "phasegen/coditect/production")
	out, err := promote.Promote(ctx, f.opts(openRepo(t, dir), "pre-launch"))
	if err != nil {
		t.Fatal(err)
	}
	if !out.Gates.Rollback {
		t.Errorf("not flagged as a rollback")
	}
	mustContain(t, "body", out.Body, "a **rollback**", "⚠️ rollback")
}

func TestPromoteUnknownCurrentPhase(t *testing.T) {
	f := shipped(t)
	dir := seeded(t, f)
	cfg := *f.cfg
	cfg.Phases = nil
	for _, p := range f.cfg.Phases {
		if p.Metadata.Name != "pre-launch" {
			cfg.Phases = append(cfg.Phases, p)
		}
	}
	o := f.opts(openRepo(t, dir), "beta")
	o.Config = &cfg
	_, err := promote.Promote(ctx, o)
	if err == nil || !strings.Contains(err.Error(), `production is at phase "pre-launch" on main`) {
		t.Errorf("got %v", err)
	}
}

// BeforeWrite runs after every read and check, just before the first
// write: its refusal leaves the branch where it was.
func TestPromoteBeforeWriteStops(t *testing.T) {
	f := shipped(t)
	dir := seeded(t, f)
	before := tip(t, dir, "phasegen/coditect/production")
	o := f.opts(openRepo(t, dir), "beta")
	calls := 0
	o.BeforeWrite = func() error { calls++; return errors.New("environments/production.yaml changed") }
	_, err := promote.Promote(ctx, o)
	if err == nil || err.Error() != "environments/production.yaml changed" || calls != 1 {
		t.Fatalf("got %v after %d calls, want the hook's refusal", err, calls)
	}
	if tip(t, dir, "phasegen/coditect/production") != before {
		t.Error("the refused promotion moved the branch")
	}
}
