package local

import (
	"context"
	"fmt"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/coditect/phasegen/internal/fileset"
	"github.com/coditect/phasegen/internal/gitops"
	"github.com/coditect/phasegen/internal/gittree"
)

var _ gitops.Historian = (*Repo)(nil)

// Head returns the commit branch points at.
func (r *Repo) Head(ctx context.Context, branch string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	c, err := r.tip(branch)
	if err != nil {
		return "", err
	}
	return c.Hash.String(), nil
}

// History walks branch's first-parent history from its tip and calls visit
// with every commit whose file p differs from its first parent's (or that
// has p and no parent), newest first.
func (r *Repo) History(ctx context.Context, branch, p string, max int, visit func(gitops.Revision) bool) error {
	if !fileset.ValidPath(p) || p == "." {
		return fmt.Errorf("history of %q: invalid path", p)
	}
	c, err := r.tip(branch)
	if err != nil {
		return fmt.Errorf("history of %q: %w", p, err)
	}
	cur, err := r.entryHash(c, p)
	if err != nil {
		return err
	}
	for n := 0; n < max; {
		if err := ctx.Err(); err != nil {
			return err
		}
		var parent *object.Commit
		prev := plumbing.ZeroHash
		if len(c.ParentHashes) > 0 {
			if parent, err = r.repo.CommitObject(c.ParentHashes[0]); err != nil {
				return fmt.Errorf("history of %q on %q: commit %s: %w", p, branch, c.ParentHashes[0], err)
			}
			if prev, err = r.entryHash(parent, p); err != nil {
				return err
			}
		}
		if cur != prev {
			rev := gitops.Revision{Commit: c.Hash.String(), Date: c.Committer.When}
			if !cur.IsZero() {
				if rev.Content, err = r.blobBytes(cur); err != nil {
					return fmt.Errorf("history of %q on %q at %s: %w", p, branch, c.Hash, err)
				}
			}
			n++
			if !visit(rev) {
				return nil
			}
		}
		if parent == nil {
			return nil
		}
		c, cur = parent, prev
	}
	return nil
}

// entryHash returns the blob id of file p in c's tree, zero when c has no
// such file (or p is a directory). A path through a symbolic link, or to
// one, is an error: the tree holds no file there, but treating it as absent
// would read as a first promotion.
func (r *Repo) entryHash(c *object.Commit, p string) (plumbing.Hash, error) {
	tree, err := c.Tree()
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("tree of %s: %w", c.Hash, err)
	}
	parts := strings.Split(p, "/")
	for i, name := range parts {
		en, err := tree.FindEntry(name)
		if err != nil {
			return plumbing.ZeroHash, nil
		}
		at := strings.Join(parts[:i+1], "/")
		switch {
		case en.Mode == filemode.Symlink:
			return plumbing.ZeroHash, fmt.Errorf("%s is a symbolic link at %s, which phasegen does not follow", at, short(c.Hash))
		case i == len(parts)-1 && en.Mode == filemode.Dir:
			return plumbing.ZeroHash, nil
		case i == len(parts)-1:
			if en.Mode == filemode.Submodule {
				return plumbing.ZeroHash, fmt.Errorf("%s is a submodule at %s, not a file", at, short(c.Hash))
			}
			return en.Hash, nil
		case en.Mode != filemode.Dir:
			return plumbing.ZeroHash, fmt.Errorf("%s is a file at %s, not a directory", at, short(c.Hash))
		}
		if tree, err = tree.Tree(name); err != nil {
			return plumbing.ZeroHash, fmt.Errorf("%s at %s: %w", at, short(c.Hash), err)
		}
	}
	return plumbing.ZeroHash, nil
}

// blobBytes reads blob h, refusing one over gitops.MaxFileSize before
// inflating any of it.
func (r *Repo) blobBytes(h plumbing.Hash) ([]byte, error) {
	return gittree.ReadBlob(r.repo.Storer, h, gitops.MaxFileSize)
}

func short(h plumbing.Hash) string { return h.String()[:12] }
