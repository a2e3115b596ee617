package fileset

import (
	"os/exec"
	"strings"
	"testing"
)

func TestBlobHashMatchesGit(t *testing.T) {
	git, err := exec.LookPath("git")
	if err != nil {
		t.Skip("git not on PATH")
	}
	for _, content := range []string{"", "hello\n", "no newline", strings.Repeat("x", 70000), "ünïcode\r\n"} {
		cmd := exec.Command(git, "hash-object", "--stdin")
		cmd.Stdin = strings.NewReader(content)
		out, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		if got, want := BlobHash([]byte(content)), strings.TrimSpace(string(out)); got != want {
			t.Errorf("BlobHash(%.20q) = %s, git says %s", content, got, want)
		}
	}
}

func TestValidPath(t *testing.T) {
	for p, want := range map[string]bool{
		"a": true, "a/b.yaml": true, "overlays/production/hpa.yaml": true,
		"": false, "/etc/passwd": false, "../x": false, "..": false, "a/../../x": false,
		"a//b": false, "a/": false, "./a": false, `a\b`: false, ".": false,
	} {
		if got := ValidPath(p); got != want {
			t.Errorf("ValidPath(%q) = %v, want %v", p, got, want)
		}
	}
}

func TestPrefixUnderClone(t *testing.T) {
	s := Set{"a.yaml": []byte("a"), "d/b.yaml": []byte("b")}
	p := s.Prefix("apps/x")
	if got := strings.Join(p.Paths(), ","); got != "apps/x/a.yaml,apps/x/d/b.yaml" {
		t.Errorf("Prefix paths %s", got)
	}
	if !Equal(p.Under("apps/x"), s) || !Equal(p.Under("/apps/x/"), s) {
		t.Error("Under does not undo Prefix")
	}
	if len(p.Under("apps")) != 2 || len(p.Under("app")) != 0 {
		t.Error("Under matched a partial directory name")
	}
	c := s.Clone()
	c["a.yaml"][0] = 'z'
	if string(s["a.yaml"]) != "a" {
		t.Error("Clone shares bytes")
	}
	if Equal(s, c) || !Equal(s, s.Clone()) {
		t.Error("Equal is wrong")
	}
}
