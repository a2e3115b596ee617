package config

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad feeds arbitrary bytes through decoding and validation: no panic,
// and either a document or problems that name the file.
func FuzzLoad(f *testing.F) {
	for _, pattern := range []string{"testdata/*.yaml", "../testdata/example/environments/*.yaml", "../testdata/example/environments/phases/*.yaml"} {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			if data, err := os.ReadFile(file); err == nil {
				f.Add(data)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, ps := Parse("fuzz.yaml", data, "")
		if doc == nil && len(ps) == 0 {
			t.Fatal("neither a document nor a problem")
		}
		for _, p := range ps {
			if p.File != "fuzz.yaml" || p.Msg == "" {
				t.Fatalf("problem without file or message: %#v", p)
			}
		}
	})
}
