package config

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

// TestLoadFSMatchesLoad: the shipped configs read through an fs.FS are the
// ones Load reads from disk, byte for byte, with slash paths.
func TestLoadFSMatchesLoad(t *testing.T) {
	disk, err := Load(filepath.Join("..", "testdata", "example", "environments"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := LoadFS(os.DirFS(filepath.Join("..", "testdata", "example")), "environments")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got.EnvironmentNames(), ",") != strings.Join(disk.EnvironmentNames(), ",") ||
		strings.Join(got.PhaseNames(), ",") != strings.Join(disk.PhaseNames(), ",") || len(got.Environments) == 0 {
		t.Fatalf("LoadFS: %v %v, Load: %v %v", got.EnvironmentNames(), got.PhaseNames(), disk.EnvironmentNames(), disk.PhaseNames())
	}
	for i, e := range got.Environments {
		if !bytes.Equal(e.Source.Raw, disk.Environments[i].Source.Raw) || e.Source.File != "environments/"+e.Metadata.Name+".yaml" {
			t.Errorf("%s: file %s, raw differs: %v", e.Metadata.Name, e.Source.File, !bytes.Equal(e.Source.Raw, disk.Environments[i].Source.Raw))
		}
	}
	if !bytes.Equal(got.Capacity.Source.Raw, disk.Capacity.Source.Raw) {
		t.Error("capacity model differs")
	}
}

// TestLoadFSProblems: broken directories give the problems Load gives.
func TestLoadFSProblems(t *testing.T) {
	shipped := filepath.Join("..", "testdata", "example", "environments")
	read := func(p string) []byte {
		b, err := os.ReadFile(filepath.Join(shipped, p))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	bad := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	cases := map[string]fstest.MapFS{
		"no capacity model": {
			"staging.yaml": {Data: read("staging.yaml")}, "phases/beta.yaml": {Data: read("phases/beta.yaml")},
		},
		"no phases": {
			"capacity.yaml": {Data: read("capacity.yaml")}, "staging.yaml": {Data: read("staging.yaml")},
		},
		"bad documents": {
			"capacity.yaml": {Data: read("capacity.yaml")}, "phases/beta.yaml": {Data: read("phases/beta.yaml")},
			"staging.yaml": {Data: read("staging.yaml")}, "other.yaml": {Data: read("staging.yaml")},
			"broken.yaml": {Data: bad("invalid-tab-indent.yaml")},
		},
	}
	for name, files := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			for p, f := range files {
				full := filepath.Join(dir, filepath.FromSlash(p))
				if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(full, f.Data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			_, want := Load(dir)
			_, got := LoadFS(files, ".")
			if want == nil || got == nil {
				t.Fatalf("Load: %v, LoadFS: %v; want both to fail", want, got)
			}
			w := strings.ReplaceAll(want.Error(), dir+string(filepath.Separator), "")
			if got.Error() != w {
				t.Errorf("LoadFS:\n%s\nLoad:\n%s", got, w)
			}
		})
	}
	link := fstest.MapFS{"capacity.yaml": {Data: read("capacity.yaml"), Mode: os.ModeSymlink}}
	if _, err := LoadFS(link, "."); err == nil || !strings.Contains(err.Error(), "capacity.yaml: symbolic link") {
		t.Errorf("a symbolic link: %v", err)
	}
}

// TestLoadFSFromReusesKnownDocuments: a file byte-identical to a known
// document is taken from it (not decoded again), a changed one is decoded.
func TestLoadFSFromReusesKnownDocuments(t *testing.T) {
	root := os.DirFS(filepath.Join("..", "testdata", "example"))
	known, err := LoadFS(root, "environments")
	if err != nil {
		t.Fatal(err)
	}
	staging, _ := known.Environment("staging")
	changed := append([]byte(nil), staging.Source.Raw...)
	changed = bytes.Replace(changed, []byte("phase: beta"), []byte("phase: full-mvp"), 1)
	fsys := fstest.MapFS{}
	for _, p := range []string{"capacity.yaml", "production.yaml", "phases/pre-launch.yaml", "phases/beta.yaml", "phases/full-mvp.yaml", "phases/scale-out.yaml"} {
		b, err := fs.ReadFile(root, "environments/"+p)
		if err != nil {
			t.Fatal(err)
		}
		fsys["cfg/"+p] = &fstest.MapFile{Data: b}
	}
	fsys["cfg/staging.yaml"] = &fstest.MapFile{Data: changed}
	got, err := LoadFSFrom(fsys, "cfg", known)
	if err != nil {
		t.Fatal(err)
	}
	prod, _ := got.Environment("production")
	knownProd, _ := known.Environment("production")
	st, _ := got.Environment("staging")
	if prod == knownProd || prod.Source.File != "cfg/production.yaml" || &prod.Source.Raw[0] != &knownProd.Source.Raw[0] {
		t.Errorf("production was not taken from the known set (file %s)", prod.Source.File)
	}
	if st.Spec.Phase != "full-mvp" || st.Source.File != "cfg/staging.yaml" {
		t.Errorf("the changed staging.yaml was not decoded: phase %s, file %s", st.Spec.Phase, st.Source.File)
	}
}
