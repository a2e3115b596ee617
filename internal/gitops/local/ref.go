package local

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/filesystem"

	"github.com/coditect/phasegen/internal/gitops"
)

// descends reports whether head (the tip of c.Head) shares history with
// base: a phasegen branch is one commit on top of some commit of the base
// branch. An unrelated commit under that name is an error wrapping
// gitops.ErrForeignHead, unless c.Force.
func (r *Repo) descends(head, base *object.Commit, c gitops.Change) (bool, error) {
	bases, err := head.MergeBase(base)
	if err == nil && len(bases) > 0 {
		return true, nil
	}
	if c.Force {
		return false, nil
	}
	why := "they share no history"
	if err != nil {
		why = err.Error()
	}
	return false, fmt.Errorf("branch %q is at %s (%q), which does not descend from %q (%s): %w",
		c.Head, short(head.Hash), gitops.Subject(head.Message), c.Base, why, gitops.ErrForeignHead)
}

// moveRef points name at id when it still is old (nil: absent), as git
// does it: under name's lock file (refusing while git holds it), then the
// ref file replaced by rename, and a reflog entry appended. A repository
// that is not on disk is updated through go-git's own check-and-set.
func (r *Repo) moveRef(name plumbing.ReferenceName, id plumbing.Hash, old *plumbing.Reference, who gitops.Signature, msg string) error {
	st, ok := r.repo.Storer.(*filesystem.Storage)
	if !ok {
		return r.repo.Storer.CheckAndSetReference(plumbing.NewHashReference(name, id), old)
	}
	gitDir := st.Filesystem().Root()
	refPath := filepath.Join(gitDir, filepath.FromSlash(string(name)))
	lock := refPath + ".lock"
	if err := os.MkdirAll(filepath.Dir(refPath), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(lock, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("git holds %s (another git command is updating the branch; if none runs, a crashed one left it: remove it)", lock)
	}
	if err != nil {
		return err
	}
	done := false
	defer func() {
		if !done {
			f.Close()
			os.Remove(lock)
		}
	}()
	// Under the lock: the branch must still be where it was read.
	cur, err := r.repo.Storer.Reference(name)
	switch {
	case errors.Is(err, plumbing.ErrReferenceNotFound):
		cur = nil
	case err != nil:
		return err
	}
	if (cur == nil) != (old == nil) || (cur != nil && cur.Hash() != old.Hash()) {
		return fmt.Errorf("the branch moved while phasegen ran (it is at %s): rerun", refHash(cur))
	}
	if _, err := f.WriteString(id.String() + "\n"); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(lock, refPath); err != nil {
		return err
	}
	done = true
	return r.appendReflog(gitDir, name, old, id, who, msg)
}

func refHash(ref *plumbing.Reference) string {
	if ref == nil {
		return "nothing: deleted"
	}
	return short(ref.Hash())
}

// appendReflog adds the update to logs/<name>, as git writes it: old and
// new ids, the committer, a time and the message's first line.
func (r *Repo) appendReflog(gitDir string, name plumbing.ReferenceName, old *plumbing.Reference, id plumbing.Hash, who gitops.Signature, msg string) error {
	from := plumbing.ZeroHash
	if old != nil {
		from = old.Hash()
	}
	when := r.now()
	line := fmt.Sprintf("%s %s %s <%s> %d %s\tphasegen: %s\n", from, id, who.Name, who.Email, when.Unix(), when.Format("-0700"), gitops.Subject(msg))
	p := filepath.Join(gitDir, "logs", filepath.FromSlash(string(name)))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("reflog: %w", err)
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("reflog: %w", err)
	}
	if _, err := f.WriteString(line); err != nil {
		f.Close()
		return fmt.Errorf("reflog: %w", err)
	}
	return f.Close()
}
