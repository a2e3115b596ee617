package gate_test

import (
	"testing"
	"testing/fstest"

	"github.com/coditect/phasegen/internal/base"
)

// loadBase loads a base from files (paths relative to the base folder).
func loadBase(t *testing.T, files map[string][]byte) *base.Base {
	t.Helper()
	fsys := fstest.MapFS{}
	for p, b := range files {
		fsys["base/"+p] = &fstest.MapFile{Data: b}
	}
	b, err := base.Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
