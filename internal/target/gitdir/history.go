package gitdir

import (
	"context"
	"fmt"
	"io"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/coditect/phasegen/internal/fileset"
	"github.com/coditect/phasegen/internal/target"
)

var _ target.Historian = (*Repo)(nil)

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
func (r *Repo) History(ctx context.Context, branch, p string, max int, visit func(target.Revision) bool) error {
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
			rev := target.Revision{Commit: c.Hash.String(), Date: c.Committer.When}
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
// such file.
func (r *Repo) entryHash(c *object.Commit, p string) (plumbing.Hash, error) {
	tree, err := c.Tree()
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("tree of %s: %w", c.Hash, err)
	}
	en, err := tree.FindEntry(p)
	if err != nil || !en.Mode.IsFile() {
		return plumbing.ZeroHash, nil
	}
	return en.Hash, nil
}

func (r *Repo) blobBytes(h plumbing.Hash) ([]byte, error) {
	blob, err := object.GetBlob(r.repo.Storer, h)
	if err != nil {
		return nil, err
	}
	rd, err := blob.Reader()
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	return io.ReadAll(rd)
}
