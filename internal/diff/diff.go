// Package diff renders unified diffs, in the format of `diff -u`, of two
// byte slices or of two file sets, deterministically, and colours them for a
// terminal. Lines are compared with Myers' O(ND) algorithm, so the diff of a
// few thousand lines with few changes is fast.
package diff

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/coditect/phasegen/internal/fileset"
)

// Context is the number of unchanged lines shown around each change.
const Context = 3

// Status says how a file differs between two sets.
type Status string

// Statuses of a FileDiff.
const (
	Added    Status = "added"
	Removed  Status = "removed"
	Modified Status = "modified"
)

// FileDiff is the difference of one path between two file sets.
type FileDiff struct {
	Path   string
	Status Status
	Text   string // unified diff with --- a/PATH and +++ b/PATH headers (/dev/null for added or removed)
}

// Files returns the differences between old and new, sorted by path. Paths
// with identical content are left out.
func Files(old, new fileset.Set) []FileDiff {
	paths := map[string]bool{}
	for p := range old {
		paths[p] = true
	}
	for p := range new {
		paths[p] = true
	}
	all := make(fileset.Set, len(paths))
	for p := range paths {
		all[p] = nil
	}
	var out []FileDiff
	for _, p := range all.Paths() {
		a, inOld := old[p]
		b, inNew := new[p]
		switch {
		case !inOld:
			out = append(out, FileDiff{Path: p, Status: Added, Text: file("/dev/null", "b/"+p, nil, b)})
		case !inNew:
			out = append(out, FileDiff{Path: p, Status: Removed, Text: file("a/"+p, "/dev/null", a, nil)})
		case !bytes.Equal(a, b):
			out = append(out, FileDiff{Path: p, Status: Modified, Text: file("a/"+p, "b/"+p, a, b)})
		}
	}
	return out
}

// Join concatenates the texts of diffs.
func Join(diffs []FileDiff) string {
	var sb strings.Builder
	for _, d := range diffs {
		sb.WriteString(d.Text)
	}
	return sb.String()
}

// file is Unified, but keeps the headers of an added or removed empty file.
func file(oldName, newName string, a, b []byte) string {
	if t := Unified(oldName, newName, a, b); t != "" {
		return t
	}
	return header(oldName, newName)
}

func header(oldName, newName string) string {
	return "--- " + oldName + "\n+++ " + newName + "\n"
}

// Unified returns the unified diff of a and b with headers naming them
// oldName and newName, or "" when a and b are equal. Content holding a NUL
// byte is reported as differing binary files, as diff does.
func Unified(oldName, newName string, a, b []byte) string {
	if bytes.Equal(a, b) {
		return ""
	}
	if bytes.IndexByte(a, 0) >= 0 || bytes.IndexByte(b, 0) >= 0 {
		return fmt.Sprintf("Binary files %s and %s differ\n", oldName, newName)
	}
	al, bl := splitLines(a), splitLines(b)
	del, ins := lineDiff(al, bl)
	var sb strings.Builder
	sb.WriteString(header(oldName, newName))
	for _, h := range hunks(del, ins) {
		writeHunk(&sb, h, al, bl, del, ins)
	}
	return sb.String()
}

// splitLines splits s into lines, each keeping its "\n"; a last line
// without one is kept as is, so it differs from the same line with one.
func splitLines(s []byte) []string {
	var out []string
	for len(s) > 0 {
		i := bytes.IndexByte(s, '\n')
		if i < 0 {
			out = append(out, string(s))
			break
		}
		out = append(out, string(s[:i+1]))
		s = s[i+1:]
	}
	return out
}

// change is a run of deleted lines a[i:i+nd] replaced by b[j:j+ni].
type change struct{ i, j, nd, ni int }

// hunk covers a[a0:a1] and b[b0:b1].
type hunk struct{ a0, a1, b0, b1 int }

func changes(del, ins []bool) []change {
	var out []change
	i, j := 0, 0
	for i < len(del) || j < len(ins) {
		if (i < len(del) && del[i]) || (j < len(ins) && ins[j]) {
			c := change{i: i, j: j}
			for i < len(del) && del[i] {
				i++
				c.nd++
			}
			for j < len(ins) && ins[j] {
				j++
				c.ni++
			}
			out = append(out, c)
			continue
		}
		i++
		j++
	}
	return out
}

// hunks groups changes that are at most 2×Context unchanged lines apart.
func hunks(del, ins []bool) []hunk {
	cs := changes(del, ins)
	var out []hunk
	for k := 0; k < len(cs); {
		first := cs[k]
		last := first
		for k++; k < len(cs) && cs[k].i-(last.i+last.nd) <= 2*Context; k++ {
			last = cs[k]
		}
		pre := min(Context, first.i)
		post := min(Context, len(del)-(last.i+last.nd))
		out = append(out, hunk{
			a0: first.i - pre, a1: last.i + last.nd + post,
			b0: first.j - pre, b1: last.j + last.ni + post,
		})
	}
	return out
}

// rangeString formats a 0-based half-open range as diff -u does: "l" for
// one line, "l,n" otherwise, with l the line before an empty range.
func rangeString(lo, hi int) string {
	switch hi - lo {
	case 0:
		return fmt.Sprintf("%d,0", lo)
	case 1:
		return fmt.Sprintf("%d", lo+1)
	}
	return fmt.Sprintf("%d,%d", lo+1, hi-lo)
}

func writeHunk(sb *strings.Builder, h hunk, a, b []string, del, ins []bool) {
	fmt.Fprintf(sb, "@@ -%s +%s @@\n", rangeString(h.a0, h.a1), rangeString(h.b0, h.b1))
	line := func(prefix byte, l string) {
		sb.WriteByte(prefix)
		sb.WriteString(l)
		if !strings.HasSuffix(l, "\n") {
			sb.WriteString("\n\\ No newline at end of file\n")
		}
	}
	i, j := h.a0, h.b0
	for i < h.a1 || j < h.b1 {
		switch {
		case i < h.a1 && del[i]:
			line('-', a[i])
			i++
		case j < h.b1 && ins[j]:
			line('+', b[j])
			j++
		default:
			line(' ', a[i])
			i++
			j++
		}
	}
}

// Fence returns a Markdown code fence for s (a diff, a runbook) longer than
// any run of backticks in it, so the text cannot close the block early.
func Fence(s string) string {
	longest, run := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return strings.Repeat("`", max(3, longest+1))
}
