// Package fileset holds the one value that travels from rendering to every
// consumer: the set of files (slash-separated relative path → bytes) that an
// environment at a phase produces. Disk, diff, local git and GitHub are only
// targets of a Set.
package fileset

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"path"
	"sort"
	"strings"
)

// Set maps slash-separated relative paths to file contents.
type Set map[string][]byte

// Paths returns the paths of s in lexical order.
func (s Set) Paths() []string {
	out := make([]string, 0, len(s))
	for p := range s {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// Clone returns a deep copy of s.
func (s Set) Clone() Set {
	out := make(Set, len(s))
	for p, b := range s {
		out[p] = append([]byte(nil), b...)
	}
	return out
}

// Prefix returns a copy of s with every path placed under dir.
func (s Set) Prefix(dir string) Set {
	out := make(Set, len(s))
	for p, b := range s {
		out[path.Join(dir, p)] = b
	}
	return out
}

// Under returns the files of s below dir, with dir stripped from their paths.
func (s Set) Under(dir string) Set {
	dir = strings.Trim(dir, "/")
	out := Set{}
	for p, b := range s {
		if dir == "" || dir == "." {
			out[p] = b
			continue
		}
		if rest, ok := strings.CutPrefix(p, dir+"/"); ok {
			out[rest] = b
		}
	}
	return out
}

// Equal reports whether a and b hold the same paths with the same bytes.
func Equal(a, b Set) bool {
	if len(a) != len(b) {
		return false
	}
	for p, x := range a {
		y, ok := b[p]
		if !ok || string(x) != string(y) {
			return false
		}
	}
	return true
}

// BlobHash returns the git blob object id (SHA-1) of content, as git
// hash-object computes it, so targets can compare without fetching.
func BlobHash(content []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(content))
	h.Write(content)
	return hex.EncodeToString(h.Sum(nil))
}

// ValidPath reports whether p is a clean, relative, slash-separated path (not
// "." itself) that stays inside its root.
func ValidPath(p string) bool {
	if p == "" || strings.HasPrefix(p, "/") || strings.Contains(p, "\\") {
		return false
	}
	if path.Clean(p) != p {
		return false
	}
	return p != "." && p != ".." && !strings.HasPrefix(p, "../")
}
