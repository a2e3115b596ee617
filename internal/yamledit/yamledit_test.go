package yamledit

import "testing"

func TestOffset(t *testing.T) {
	raw := []byte("a: 1\nnamé: x\n\nc: 3")
	for _, c := range []struct{ line, col, want int }{
		{1, 1, 0}, {1, 4, 3}, {2, 1, 5}, {2, 7, 12}, {3, 1, 14}, {4, 4, 18},
	} {
		got, err := Offset(raw, c.line, c.col)
		if err != nil || got != c.want {
			t.Errorf("Offset(%d, %d) = %d, %v; want %d", c.line, c.col, got, err, c.want)
		}
	}
	for _, c := range []struct{ line, col int }{{5, 1}, {1, 6}, {3, 2}} {
		if got, err := Offset(raw, c.line, c.col); err == nil {
			t.Errorf("Offset(%d, %d) = %d, want an error", c.line, c.col, got)
		}
	}
}

func TestReplace(t *testing.T) {
	for in, want := range map[string]string{
		"spec:\n  phase: beta # now\n":       "spec:\n  phase: full-mvp # now\n",
		"spec:\n  phase: \"beta\"\n":         "spec:\n  phase: \"full-mvp\"\n",
		"spec: {namespace: a, phase: 'b'}\n": "spec: {namespace: a, phase: 'full-mvp'}\n",
	} {
		got, err := Replace([]byte(in), "spec.phase", "full-mvp")
		if err != nil || string(got) != want {
			t.Errorf("Replace(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := Replace([]byte("spec:\n  namespace: a\n"), "spec.phase", "beta"); err == nil || err.Error() != "spec.phase: not in the document" {
		t.Errorf("a missing field: %v", err)
	}
	if _, err := Replace([]byte("spec:\n  phase: |\n    beta\n"), "spec.phase", "x"); err == nil {
		t.Error("a block scalar: no error")
	}
}
