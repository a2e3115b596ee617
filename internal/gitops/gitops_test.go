package gitops

import (
	"strings"
	"testing"

	"github.com/coditect/phasegen/internal/fileset"
)

func TestChangeValidate(t *testing.T) {
	ok := func() Change {
		return Change{Base: "main", Head: "phasegen/production", Root: "apps/x", Message: "m",
			Files: fileset.Set{"overlays/production/kustomization.yaml": []byte("k")}, Owned: []string{"overlays/production"}}
	}
	if err := ok().Validate(); err != nil {
		t.Fatalf("a valid change: %v", err)
	}
	for want, edit := range map[string]func(*Change){
		"base and head branches are required": func(c *Change) { c.Base = "" },
		"is the base branch":                  func(c *Change) { c.Head = "main" },
		"a commit message is required":        func(c *Change) { c.Message = " \n" },
		`invalid branch name "bad..name"`:     func(c *Change) { c.Head = "bad..name" },
		`invalid branch name "refs/heads/x"`:  func(c *Change) { c.Head = "refs/heads/x" },
		`root: invalid path "apps/.git"`:      func(c *Change) { c.Root = "apps/.git" },
		`owned: invalid path "../x"`:          func(c *Change) { c.Owned = []string{"../x"} },
		`invalid path ".GIT/config"`:          func(c *Change) { c.Files = fileset.Set{".GIT/config": nil} },
	} {
		c := ok()
		edit(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v", want, err)
		}
	}
}
