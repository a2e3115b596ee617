package gitops

import (
	"fmt"
	"strings"

	"github.com/coditect/phasegen/internal/fileset"
)

// Owns reports whether rel (relative to c.Root) is under one of c.Owned:
// a path the change replaces with what Files holds of it.
func (c Change) Owns(rel string) bool {
	for _, o := range c.Owned {
		o = CleanPrefix(o)
		if o == "" || rel == o || strings.HasPrefix(rel, o+"/") {
			return true
		}
	}
	return false
}

// Counts are the files a change adds, modifies and deletes, and those of
// Files it leaves as they are.
type Counts struct {
	Added, Modified, Deleted, Unchanged int
}

// Changed is how many files the commit changes.
func (n Counts) Changed() int { return n.Added + n.Modified + n.Deleted }

// String says it in one phrase: "2 files change (2 modified); 73 stay as they are".
func (n Counts) String() string {
	var parts []string
	for _, p := range []struct {
		n    int
		what string
	}{{n.Added, "added"}, {n.Modified, "modified"}, {n.Deleted, "deleted"}} {
		if p.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", p.n, p.what))
		}
	}
	s := plural(n.Changed(), "file changes", "files change")
	if len(parts) > 0 {
		s += " (" + strings.Join(parts, ", ") + ")"
	}
	if n.Unchanged > 0 {
		s += fmt.Sprintf("; %d stay as they are", n.Unchanged)
	}
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// CountAgainst counts what c changes in a branch whose files under c.Root
// are list (path relative to Root → blob id, as ListTree gives them).
func (c Change) CountAgainst(list map[string]string) Counts {
	var n Counts
	for p, data := range c.Files {
		switch blob, ok := list[p]; {
		case !ok:
			n.Added++
		case blob != fileset.BlobHash(data):
			n.Modified++
		default:
			n.Unchanged++
		}
	}
	for p := range list {
		if _, kept := c.Files[p]; !kept && c.Owns(p) {
			n.Deleted++
		}
	}
	return n
}
