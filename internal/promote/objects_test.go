package promote

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/coditect/phasegen/internal/base"
	"github.com/coditect/phasegen/internal/config"
	"github.com/coditect/phasegen/internal/gate"
	"github.com/coditect/phasegen/internal/kbuild"
	"github.com/coditect/phasegen/internal/overlay"
)

// slowKey is how SplitObjects keys a document by decoding it.
func slowKey(doc string) (string, bool) {
	m, err := gate.Objects([]byte(doc))
	if err != nil || len(m.Objects) != 1 {
		return "", false
	}
	return m.Objects[0].Kind + "/" + m.Objects[0].Name, true
}

// TestPlainKindNameMatchesDecoding: for every object the shipped
// environments build to at every phase, the line reader gives the key the
// decoder gives, and never a wrong one on tricky documents.
func TestPlainKindNameMatchesDecoding(t *testing.T) {
	cfg, err := config.Load(filepath.Join("..", "..", "environments"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := base.Load(os.DirFS(filepath.Join("..", "..", "templates")))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, env := range cfg.Environments {
		for _, ph := range cfg.Phases {
			files, err := overlay.Render(overlay.Input{Config: cfg, Base: b, Env: env, Phase: ph})
			if err != nil {
				t.Fatal(err)
			}
			built, err := kbuild.Build(files, overlay.EnvDir(env.Metadata.Name))
			if err != nil {
				t.Fatal(err)
			}
			for _, doc := range documents(string(built)) {
				kind, name, ok := plainKindName(doc)
				want, _ := slowKey(doc)
				if !ok || kind+"/"+name != want {
					t.Errorf("%s at %s: line reader %q/%q (%v), decoder %q", env.Metadata.Name, ph.Metadata.Name, kind, name, ok, want)
				}
				n++
			}
		}
	}
	if n < 20 {
		t.Fatalf("only %d documents checked", n)
	}
	for _, doc := range []string{
		"kind: A\nmetadata:\n  name: 'x'\n",            // quoted
		"kind: A\nmetadata: {name: x}\n",               // flow
		"kind: A\nmetadata:\n  name: true\n",           // a boolean
		"kind: A\nmetadata:\n  name: 012\n",            // a number
		"kind: A\nmetadata:\n  name: x # comment\n",    // a comment
		"kind: A\nkind: B\nmetadata:\n  name: x\n",     // repeated
		"kind: A\nmetadata:\n  labels:\n    name: x\n", // not metadata.name
		"- kind: A\n",                 // a list
		"kind: A\nspec:\n  name: x\n", // not under metadata
	} {
		if kind, name, ok := plainKindName(doc); ok {
			t.Errorf("%q: read %q/%q by lines; want the decoder to decide", doc, kind, name)
		}
	}
}
