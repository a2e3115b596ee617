package diff

import (
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coditect/phasegen/internal/fileset"
)

func TestUnifiedTable(t *testing.T) {
	tests := []struct {
		name string
		a, b string
		want string
	}{
		{"equal", "x\ny\n", "x\ny\n", ""},
		{"both empty", "", "", ""},
		{"add to empty", "", "a\nb\n", "--- o\n+++ n\n@@ -0,0 +1,2 @@\n+a\n+b\n"},
		{"remove all", "a\n", "", "--- o\n+++ n\n@@ -1 +0,0 @@\n-a\n"},
		{"change one", "a\nb\nc\n", "a\nB\nc\n", "--- o\n+++ n\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n"},
		{
			"context trimmed",
			"1\n2\n3\n4\n5\n6\n7\n8\n9\n",
			"1\n2\n3\n4\nfive\n6\n7\n8\n9\n",
			"--- o\n+++ n\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n",
		},
		{
			"two hunks",
			"1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n",
			"one\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\ntwelve\n",
			"--- o\n+++ n\n@@ -1,4 +1,4 @@\n-1\n+one\n 2\n 3\n 4\n@@ -9,4 +9,4 @@\n 9\n 10\n 11\n-12\n+twelve\n",
		},
		{
			"six apart merge",
			"1\n2\n3\n4\n5\n6\n7\n8\n",
			"one\n2\n3\n4\n5\n6\n7\neight\n",
			"--- o\n+++ n\n@@ -1,8 +1,8 @@\n-1\n+one\n 2\n 3\n 4\n 5\n 6\n 7\n-8\n+eight\n",
		},
		{
			"insert middle",
			"a\nb\n", "a\nx\nb\n",
			"--- o\n+++ n\n@@ -1,2 +1,3 @@\n a\n+x\n b\n",
		},
		{
			"newline added at end",
			"a\nb", "a\nb\n",
			"--- o\n+++ n\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n",
		},
		{
			"both without final newline",
			"a\nb\nc", "A\nb\nc",
			"--- o\n+++ n\n@@ -1,3 +1,3 @@\n-a\n+A\n b\n c\n\\ No newline at end of file\n",
		},
		{"binary", "a\x00", "b\x00", "Binary files o and n differ\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Unified("o", "n", []byte(tt.a), []byte(tt.b))
			if got != tt.want {
				t.Errorf("Unified:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

// lcsLen is the textbook dynamic program, to check minimality.
func lcsLen(a, b []string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for i := range a {
		for j := range b {
			if a[i] == b[j] {
				cur[j+1] = prev[j] + 1
			} else {
				cur[j+1] = max(prev[j+1], cur[j])
			}
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func TestLineDiffMinimalAndValid(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for iter := 0; iter < 3000; iter++ {
		a := randLines(rng, rng.Intn(14), 4)
		b := randLines(rng, rng.Intn(14), 4)
		del, ins := lineDiff(a, b)
		var keptA, keptB []string
		nd, ni := 0, 0
		for i, d := range del {
			if d {
				nd++
			} else {
				keptA = append(keptA, a[i])
			}
		}
		for j, x := range ins {
			if x {
				ni++
			} else {
				keptB = append(keptB, b[j])
			}
		}
		if strings.Join(keptA, "|") != strings.Join(keptB, "|") {
			t.Fatalf("a=%q b=%q: kept lines differ: %q vs %q", a, b, keptA, keptB)
		}
		if l := lcsLen(a, b); len(keptA) != l {
			t.Fatalf("a=%q b=%q: kept %d lines, LCS is %d", a, b, len(keptA), l)
		}
	}
}

func randLines(rng *rand.Rand, n, alphabet int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = string(rune('a'+rng.Intn(alphabet))) + "\n"
	}
	return out
}

// TestAgainstSystemDiff compares with /usr/bin/diff -u on edits whose
// longest common subsequence is unique (unique lines, no moves), so any
// minimal diff prints the same text.
func TestAgainstSystemDiff(t *testing.T) {
	diffBin, err := exec.LookPath("diff")
	if err != nil {
		t.Skip("no diff binary")
	}
	dir := t.TempDir()
	rng := rand.New(rand.NewSource(7))
	for iter := 0; iter < 150; iter++ {
		n := rng.Intn(60)
		var a, b []string
		fresh := 0
		for i := 0; i < n; i++ {
			line := fmt.Sprintf("line %d", i)
			a = append(a, line)
			switch r := rng.Intn(10); {
			case r == 0: // delete
			case r == 1: // replace
				fresh++
				b = append(b, fmt.Sprintf("new %d", fresh))
			case r == 2: // insert after
				fresh++
				b = append(b, line, fmt.Sprintf("new %d", fresh))
			default:
				b = append(b, line)
			}
		}
		as, bs := strings.Join(a, "\n"), strings.Join(b, "\n")
		if rng.Intn(3) > 0 && as != "" {
			as += "\n"
		}
		if rng.Intn(3) > 0 && bs != "" {
			bs += "\n"
		}
		pa, pb := filepath.Join(dir, "a"), filepath.Join(dir, "b")
		if err := os.WriteFile(pa, []byte(as), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(pb, []byte(bs), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(diffBin, "-u", pa, pb).Output()
		if ee, ok := err.(*exec.ExitError); err != nil && !(ok && ee.ExitCode() == 1) {
			t.Fatalf("diff: %v", err)
		}
		want := dropHeaders(string(out))
		got := dropHeaders(Unified("a", "b", []byte(as), []byte(bs)))
		if got != want {
			t.Fatalf("case %d: a=%q b=%q\ngot:\n%s\nwant (diff -u):\n%s", iter, as, bs, got, want)
		}
	}
}

func dropHeaders(s string) string {
	lines := strings.SplitAfter(s, "\n")
	if len(lines) >= 2 && strings.HasPrefix(lines[0], "--- ") && strings.HasPrefix(lines[1], "+++ ") {
		lines = lines[2:]
	}
	return strings.Join(lines, "")
}

// largePair is 5,000 lines and the same with every 97th line changed.
func largePair() (string, string) {
	var a, b strings.Builder
	for i := 0; i < 5000; i++ {
		fmt.Fprintf(&a, "key%d: value %d\n", i, i)
		if i%97 == 0 {
			fmt.Fprintf(&b, "key%d: changed %d\n", i, i)
		} else {
			fmt.Fprintf(&b, "key%d: value %d\n", i, i)
		}
	}
	return a.String(), b.String()
}

// TestLargeInput: large and worst-case inputs give the right diff (their
// speed is BenchmarkUnifiedLarge's, not a timed test's).
func TestLargeInput(t *testing.T) {
	a, b := largePair()
	out := Unified("a/x", "b/x", []byte(a), []byte(b))
	if got := strings.Count(out, "\n-key"); got != 52 {
		t.Errorf("removed lines = %d, want 52", got)
	}
	// Completely different inputs: the worst case must still finish.
	var c strings.Builder
	for i := 0; i < 3000; i++ {
		fmt.Fprintf(&c, "other %d\n", i)
	}
	out = Unified("a", "b", []byte(a), []byte(c.String()))
	if got := strings.Count(out, "\n+other"); got != 3000 {
		t.Errorf("added lines = %d, want 3000", got)
	}
	// Shuffled lines from a small alphabet: D is in the thousands.
	rng := rand.New(rand.NewSource(3))
	x := strings.Join(randLines(rng, 3000, 40), "")
	y := strings.Join(randLines(rng, 3000, 40), "")
	if Unified("a", "b", []byte(x), []byte(y)) == "" {
		t.Error("random inputs reported equal")
	}
}

// BenchmarkUnifiedLarge diffs 5,000 lines with 52 changed.
func BenchmarkUnifiedLarge(b *testing.B) {
	x, y := largePair()
	for b.Loop() {
		Unified("a/x", "b/x", []byte(x), []byte(y))
	}
}

func TestFiles(t *testing.T) {
	old := fileset.Set{"a.yaml": []byte("x: 1\n"), "gone.yaml": []byte("g\n"), "same": []byte("s\n"), "empty-gone": nil}
	new := fileset.Set{"a.yaml": []byte("x: 2\n"), "new/b.yaml": []byte("b\n"), "same": []byte("s\n"), "empty-new": {}}
	got := Files(old, new)
	want := []FileDiff{
		{"a.yaml", Modified, "--- a/a.yaml\n+++ b/a.yaml\n@@ -1 +1 @@\n-x: 1\n+x: 2\n"},
		{"empty-gone", Removed, "--- a/empty-gone\n+++ /dev/null\n"},
		{"empty-new", Added, "--- /dev/null\n+++ b/empty-new\n"},
		{"gone.yaml", Removed, "--- a/gone.yaml\n+++ /dev/null\n@@ -1 +0,0 @@\n-g\n"},
		{"new/b.yaml", Added, "--- /dev/null\n+++ b/new/b.yaml\n@@ -0,0 +1 @@\n+b\n"},
	}
	if len(got) != len(want) {
		t.Fatalf("Files = %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("Files[%d] = %+v, want %+v", i, got[i], want[i])
		}
	}
	if j := Join(got); !strings.HasPrefix(j, want[0].Text+want[1].Text) || len(j) != len(Join(want)) {
		t.Errorf("Join = %q", j)
	}
	if Files(old, old) != nil {
		t.Error("Files of equal sets is not empty")
	}
}

func TestColorize(t *testing.T) {
	text := "--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n keep\n--- tricky\n+++ tricky\n-b\n\\ No newline at end of file\n"
	want := ansiBold + "--- a/x" + ansiReset + "\n" +
		ansiBold + "+++ b/x" + ansiReset + "\n" +
		ansiCyan + "@@ -1,3 +1,3 @@" + ansiReset + "\n" +
		" keep\n" +
		ansiRed + "--- tricky" + ansiReset + "\n" +
		ansiGreen + "+++ tricky" + ansiReset + "\n" +
		ansiRed + "-b" + ansiReset + "\n" +
		"\\ No newline at end of file\n"
	if got := Colorize(text); got != want {
		t.Errorf("Colorize:\n%q\nwant:\n%q", got, want)
	}
	if got := Colorize(""); got != "" {
		t.Errorf("Colorize(\"\") = %q", got)
	}
}

// TestPatchApplies feeds diffs of inputs full of repeated lines (where
// several minimal diffs exist) to the system's patch, which must rebuild
// the new text exactly.
func TestPatchApplies(t *testing.T) {
	patchBin, err := exec.LookPath("patch")
	if err != nil {
		t.Skip("no patch binary")
	}
	dir := t.TempDir()
	rng := rand.New(rand.NewSource(11))
	for iter := 0; iter < 60; iter++ {
		a := strings.Join(randLines(rng, rng.Intn(40), 3), "")
		b := strings.Join(randLines(rng, rng.Intn(40), 3), "")
		if rng.Intn(2) == 0 && b != "" {
			b = b[:len(b)-1] // no final newline
		}
		text := Unified("a/f", "b/f", []byte(a), []byte(b))
		if text == "" {
			continue
		}
		f := filepath.Join(dir, "f")
		if err := os.WriteFile(f, []byte(a), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(patchBin, "-s", "--no-backup-if-mismatch", "-F0", f)
		cmd.Stdin = strings.NewReader(text)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("patch: %v\n%s\ndiff:\n%s", err, out, text)
		}
		got, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != b {
			t.Fatalf("patched = %q, want %q\ndiff:\n%s", got, b, text)
		}
	}
}

func TestFence(t *testing.T) {
	for in, want := range map[string]string{"": "```", "a `b` c": "```", "x ```` y `` z": "`````"} {
		if got := Fence(in); got != want {
			t.Errorf("Fence(%q) = %q, want %q", in, got, want)
		}
	}
}
