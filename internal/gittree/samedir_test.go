package gittree_test

import (
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	gogit "github.com/go-git/go-git/v5"

	"github.com/coditect/phasegen/internal/gittree"
)

func TestSameDir(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{
		"app/environments/a.yaml":        "a: 1\n",
		"app/environments/phases/b.yaml": "b: 2\n",
		"app/templates/base/k.yaml":      "k: 3\n",
	})
	r, err := gogit.PlainInit(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	commit(t, r, "one")
	repo, err := gittree.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	c, err := repo.Resolve("HEAD")
	if err != nil {
		t.Fatal(err)
	}
	tree, err := repo.FS(c)
	if err != nil {
		t.Fatal(err)
	}
	envs := filepath.Join(dir, "app", "environments")
	same := func() bool { return repo.SameDir(tree, "app/environments", envs) }
	if !same() || !repo.SameDir(tree, "app", filepath.Join(dir, "app")) {
		t.Fatal("an unchanged folder differs")
	}
	for _, tc := range []struct {
		name       string
		edit, undo func() error
	}{
		{"content", func() error { return os.WriteFile(filepath.Join(envs, "phases", "b.yaml"), []byte("b: 3\n"), 0o644) },
			func() error { return os.WriteFile(filepath.Join(envs, "phases", "b.yaml"), []byte("b: 2\n"), 0o644) }},
		{"new file", func() error { return os.WriteFile(filepath.Join(envs, "c.yaml"), nil, 0o644) },
			func() error { return os.Remove(filepath.Join(envs, "c.yaml")) }},
		{"removed file", func() error { return os.Rename(filepath.Join(envs, "a.yaml"), filepath.Join(dir, "a.yaml")) },
			func() error { return os.Rename(filepath.Join(dir, "a.yaml"), filepath.Join(envs, "a.yaml")) }},
		{"empty folder", func() error { return os.Mkdir(filepath.Join(envs, "empty"), 0o755) },
			func() error { return os.Remove(filepath.Join(envs, "empty")) }},
		{"file made a link", func() error {
			if err := os.Remove(filepath.Join(envs, "a.yaml")); err != nil {
				return err
			}
			return os.Symlink(filepath.Join(dir, "elsewhere"), filepath.Join(envs, "a.yaml"))
		}, func() error {
			if err := os.Remove(filepath.Join(envs, "a.yaml")); err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(envs, "a.yaml"), []byte("a: 1\n"), 0o644)
		}},
	} {
		if err := tc.edit(); err != nil {
			t.Fatal(err)
		}
		if same() {
			t.Errorf("%s: the folder is the same", tc.name)
		}
		if err := tc.undo(); err != nil {
			t.Fatal(err)
		}
		if !same() {
			t.Fatalf("%s undone: the folder differs", tc.name)
		}
	}
	if repo.SameDir(tree, "app/nope", envs) || repo.SameDir(fstest.MapFS{}, ".", envs) {
		t.Error("a folder the tree lacks, or a tree that is no git tree, is the same")
	}
}
