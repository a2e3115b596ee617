package promote_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/coditect/phasegen/internal/promote"
)

func TestBodyCutsTheDiffPerObject(t *testing.T) {
	f := shipped(t)
	dir := seeded(t, f)
	// A StatefulSet whose pods gain a 3000-line annotation: its diff alone
	// is over GitHub's limit.
	var note strings.Builder
	note.WriteString("      annotations:\n        example.com/notes: |\n")
	for i := 0; i < 3000; i++ {
		fmt.Fprintf(&note, "          VAR_%05d %s\n", i, strings.Repeat("v", 20))
	}
	o := f.opts(openRepo(t, dir), "beta")
	o.Base = f.withBaseFiles(t, func(files map[string][]byte) {
		files["statefulset.yaml"] = bytes.Replace(files["statefulset.yaml"], []byte("    spec:\n      terminationGracePeriodSeconds"), []byte(note.String()+"    spec:\n      terminationGracePeriodSeconds"), 1)
		// A small change beside it, whose diff stays.
		files["service.yaml"] = bytes.Replace(files["service.yaml"], []byte("  labels:\n    app: coditect-combined\n"), []byte("  labels:\n    app: coditect-combined\n    example.com/tier: web\n"), 1)
	})
	out, err := promote.Promote(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if n := utf8.RuneCountInString(out.Body); n > promote.MaxBodyChars {
		t.Fatalf("body has %d characters", n)
	}
	mustContain(t, "body", out.Body,
		"Cut to stay under GitHub's 65,536-character limit:** the diff of 1 object is not shown: `StatefulSet/coditect-combined`",
		"Run `phasegen diff production --to beta` to see the whole diff",
		"--- a/Service/coditect-combined", "+    example.com/tier: web", "- [ ] Onboard 10-15 users")
	if strings.Contains(out.Body, "VAR_0") {
		t.Errorf("the cut object's diff is in the body")
	}
}
