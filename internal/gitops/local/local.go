// Package local implements gitops.Repo on a local git repository, bare or
// not, with go-git: it reads files from branches and writes a file set as one
// commit on a branch, without a git binary and without ever touching a work
// tree or an index.
package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage"
	"github.com/go-git/go-git/v5/storage/filesystem"

	"github.com/coditect/phasegen/internal/fileset"
	"github.com/coditect/phasegen/internal/gitops"
)

// Options tune a Repo.
type Options struct {
	// Now gives the author and committer time of new commits; time.Now
	// when nil.
	Now func() time.Time
	// Storage, when set, wraps the repository's object storage (a test
	// counts the objects a promotion reads through it).
	Storage func(storage.Storer) storage.Storer
}

// Repo is a local git repository used as a target.
type Repo struct {
	dir  string
	repo *gogit.Repository
	now  func() time.Time
	mu   sync.Mutex // serialises Write
}

var _ gitops.Repo = (*Repo)(nil)

// Open opens the git repository at dir (a work tree with a .git, or a bare
// repository).
func Open(dir string) (*Repo, error) {
	return OpenWith(dir, Options{})
}

// OpenWith is Open with options.
func OpenWith(dir string, o Options) (*Repo, error) {
	r, err := gogit.PlainOpenWithOptions(dir, &gogit.PlainOpenOptions{DetectDotGit: false})
	if err != nil {
		if errors.Is(err, gogit.ErrRepositoryNotExists) {
			return nil, fmt.Errorf("opening %q: not a git repository: %w", dir, err)
		}
		return nil, fmt.Errorf("opening git repository %q: %w", dir, err)
	}
	now := o.Now
	if now == nil {
		now = time.Now
	}
	if o.Storage != nil {
		r.Storer = o.Storage(r.Storer)
	}
	return &Repo{dir: dir, repo: r, now: now}, nil
}

// Dir returns the directory the repository was opened at.
func (r *Repo) Dir() string { return r.dir }

// ReadFile returns the content of the file at p on branch. It wraps
// gitops.ErrNotFound when the file does not exist (or p names a directory)
// and gitops.ErrNoBranch when the branch does not; a path that leads
// through a symbolic link, or names one, is an error of its own, as is a
// file over gitops.MaxFileSize (refused from its object header, before
// anything of it is inflated).
func (r *Repo) ReadFile(ctx context.Context, branch, p string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if !fileset.ValidPath(p) || p == "." {
		return nil, fmt.Errorf("reading %q: invalid path", p)
	}
	c, err := r.tip(branch)
	if err != nil {
		return nil, fmt.Errorf("reading %q: %w", p, err)
	}
	h, err := r.entryHash(c, p)
	if err != nil {
		return nil, fmt.Errorf("reading %q on branch %q: %w", p, branch, err)
	}
	if h.IsZero() {
		return nil, fmt.Errorf("reading %q on branch %q: %w", p, branch, gitops.ErrNotFound)
	}
	b, err := r.blobBytes(h)
	if err != nil {
		return nil, fmt.Errorf("reading %q on %q: %w", p, branch, err)
	}
	return b, nil
}

// tip returns the commit a branch points at; it wraps gitops.ErrNoBranch
// when the branch does not exist.
func (r *Repo) tip(branch string) (*object.Commit, error) {
	name, err := branchName(branch)
	if err != nil {
		return nil, err
	}
	ref, err := r.repo.Reference(name, true)
	if err != nil {
		if errors.Is(err, plumbing.ErrReferenceNotFound) {
			return nil, fmt.Errorf("branch %q: %w", branch, gitops.ErrNoBranch)
		}
		return nil, fmt.Errorf("branch %q: %w", branch, err)
	}
	c, err := r.repo.CommitObject(ref.Hash())
	if err != nil {
		return nil, fmt.Errorf("branch %q: commit %s: %w", branch, ref.Hash(), err)
	}
	return c, nil
}

func branchName(branch string) (plumbing.ReferenceName, error) {
	if err := gitops.ValidBranch(branch); err != nil {
		return "", err
	}
	return plumbing.NewBranchReferenceName(branch), nil
}

// Write makes c.Head one commit on top of c.Base holding c.Files under
// c.Root in place of everything under c.Owned. It writes nothing when Base
// already holds that tree (UpToDate) or when Head already is that commit.
// It refuses to move a branch checked out in a work tree.
func (r *Repo) Write(ctx context.Context, c gitops.Change) (gitops.Result, error) {
	if err := ctx.Err(); err != nil {
		return gitops.Result{}, err
	}
	if err := c.Validate(); err != nil {
		return gitops.Result{}, err
	}
	headName, err := branchName(c.Head)
	if err != nil {
		return gitops.Result{}, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()

	base, err := r.tip(c.Base)
	if err != nil {
		return gitops.Result{}, fmt.Errorf("base: %w", err)
	}
	res := gitops.Result{BaseTip: base.Hash.String()}
	ed, tree, err := r.editTree(base, c)
	if err != nil {
		return gitops.Result{}, err
	}
	if tree == base.TreeHash {
		res.UpToDate = true
		return res, nil
	}
	old, done, err := r.currentHead(headName, base, tree, c, &res)
	if err != nil || done {
		return res, err
	}
	if wt, err := r.checkedOut(headName); err != nil {
		return gitops.Result{}, err
	} else if wt != "" {
		return gitops.Result{}, fmt.Errorf("branch %q is checked out in work tree %s; refusing to move it", c.Head, wt)
	}
	if err := ctx.Err(); err != nil {
		return gitops.Result{}, err
	}

	author, err := r.author(c.Author)
	if err != nil {
		return gitops.Result{}, err
	}
	if err := ed.store(); err != nil {
		return gitops.Result{}, err
	}
	id, err := r.commit(c.Message, author, base.Hash, tree)
	if err != nil {
		return gitops.Result{}, err
	}
	if err := r.moveRef(headName, id, old, author, c.Message); err != nil {
		return gitops.Result{}, fmt.Errorf("moving branch %q to %s: %w", c.Head, id, err)
	}
	res.Commit, res.Changed = id.String(), true
	return res, nil
}

// editTree returns base's tree with c applied (in an editor whose new
// objects are not stored yet) and its id.
func (r *Repo) editTree(base *object.Commit, c gitops.Change) (*treeEditor, plumbing.Hash, error) {
	ed, err := newTreeEditor(r.repo.Storer, base.TreeHash)
	if err != nil {
		return nil, plumbing.ZeroHash, err
	}
	baseTree, err := base.Tree()
	if err != nil {
		return nil, plumbing.ZeroHash, fmt.Errorf("base tree: %w", err)
	}
	root := gitops.CleanPrefix(c.Root)
	for _, o := range c.Owned {
		if err := ed.remove(join(root, gitops.CleanPrefix(o))); err != nil {
			return nil, plumbing.ZeroHash, fmt.Errorf("removing owned %q: %w", o, err)
		}
	}
	for _, p := range c.Files.Paths() {
		full := join(root, p)
		// An executable file stays executable, as on GitHub.
		mode := filemode.Regular
		if en, err := baseTree.FindEntry(full); err == nil && en.Mode == filemode.Executable {
			mode = filemode.Executable
		}
		if err := ed.put(full, mode, c.Files[p]); err != nil {
			return nil, plumbing.ZeroHash, fmt.Errorf("writing %q: %w", p, err)
		}
	}
	tree, err := ed.finish()
	return ed, tree, err
}

// currentHead reads the head branch: nil when it does not exist. done is
// true when it already is tree on top of base (res.Commit says which); an
// unrelated commit there is refused, or with c.Force recorded in
// res.Replaced.
func (r *Repo) currentHead(name plumbing.ReferenceName, base *object.Commit, tree plumbing.Hash, c gitops.Change, res *gitops.Result) (old *plumbing.Reference, done bool, err error) {
	old, err = r.repo.Storer.Reference(name)
	switch {
	case errors.Is(err, plumbing.ErrReferenceNotFound):
		return nil, false, nil
	case err != nil:
		return nil, false, fmt.Errorf("reading branch %q: %w", c.Head, err)
	case old.Type() != plumbing.HashReference:
		return nil, false, fmt.Errorf("branch %q is a symbolic reference; refusing to move it", c.Head)
	}
	hc, err := r.repo.CommitObject(old.Hash())
	if err != nil {
		return nil, false, fmt.Errorf("branch %q: commit %s: %w", c.Head, old.Hash(), err)
	}
	if !gitops.Marked(hc.Message, c.Mark) {
		return nil, false, gitops.ForeignTip(c, short(hc.Hash), hc.Message)
	}
	if len(hc.ParentHashes) > 0 && hc.ParentHashes[0] == base.Hash && hc.TreeHash == tree {
		res.Commit = hc.Hash.String()
		return old, true, nil
	}
	ok, err := r.descends(hc, base, c)
	if err != nil {
		return nil, false, err
	}
	if !ok {
		res.Replaced = hc.Hash.String()
	}
	return old, false, nil
}

// author returns a, or when it is empty the user.name and user.email of
// the repository's git configuration (local, then global).
func (r *Repo) author(a gitops.Signature) (gitops.Signature, error) {
	if a.Name == "" && a.Email == "" {
		if cfg, err := r.repo.ConfigScoped(config.GlobalScope); err == nil {
			a = gitops.Signature{Name: cfg.User.Name, Email: cfg.User.Email}
		}
	}
	if a.Name == "" || a.Email == "" {
		return a, errors.New("commit author needs a name and an email (none given, none in the git configuration)")
	}
	if strings.ContainsAny(a.Name+a.Email, "<>\n\x00") {
		return a, fmt.Errorf("invalid commit author %q <%s>", a.Name, a.Email)
	}
	return a, nil
}

func (r *Repo) commit(message string, a gitops.Signature, parent, tree plumbing.Hash) (plumbing.Hash, error) {
	sig := object.Signature{Name: a.Name, Email: a.Email, When: r.now()}
	msg := message
	if !strings.HasSuffix(msg, "\n") {
		msg += "\n"
	}
	commit := &object.Commit{
		Author:       sig,
		Committer:    sig,
		Message:      msg,
		TreeHash:     tree,
		ParentHashes: []plumbing.Hash{parent},
	}
	obj := r.repo.Storer.NewEncodedObject()
	if err := commit.Encode(obj); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("encoding commit: %w", err)
	}
	id, err := r.repo.Storer.SetEncodedObject(obj)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("storing commit: %w", err)
	}
	return id, nil
}

// checkedOut returns the work tree that has branch checked out: the main
// one of a non-bare repository, or a linked one (git worktree add); "" when
// none does.
func (r *Repo) checkedOut(branch plumbing.ReferenceName) (string, error) {
	if _, err := r.repo.Worktree(); err == nil {
		head, err := r.repo.Storer.Reference(plumbing.HEAD)
		if err != nil && !errors.Is(err, plumbing.ErrReferenceNotFound) {
			return "", fmt.Errorf("reading HEAD: %w", err)
		}
		if head != nil && head.Type() == plumbing.SymbolicReference && head.Target() == branch {
			return fmt.Sprintf("%q", r.dir), nil
		}
	} else if !errors.Is(err, gogit.ErrIsBareRepository) {
		return "", fmt.Errorf("opening work tree: %w", err)
	}
	fs, ok := r.repo.Storer.(*filesystem.Storage)
	if !ok {
		return "", nil
	}
	gitFS := fs.Filesystem()
	infos, err := gitFS.ReadDir("worktrees")
	if err != nil {
		return "", nil // no linked work trees
	}
	for _, fi := range infos {
		f, err := gitFS.Open(gitFS.Join("worktrees", fi.Name(), "HEAD"))
		if err != nil {
			continue
		}
		b, err := io.ReadAll(io.LimitReader(f, 4096))
		f.Close()
		if err != nil {
			continue
		}
		if strings.TrimSpace(strings.TrimPrefix(string(b), "ref:")) == string(branch) {
			return fmt.Sprintf("%q (linked work tree)", fi.Name()), nil
		}
	}
	return "", nil
}

func join(root, p string) string {
	j := path.Join(root, p)
	if j == "." {
		return ""
	}
	return j
}

// ListDir returns the blob id of each file directly in dir on branch, by
// name; an empty map when dir does not exist.
func (r *Repo) ListDir(ctx context.Context, branch, dir string) (map[string]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if !fileset.ValidPath(dir) || dir == "." {
		return nil, fmt.Errorf("listing %q: invalid path", dir)
	}
	c, err := r.tip(branch)
	if err != nil {
		return nil, fmt.Errorf("listing %q: %w", dir, err)
	}
	root, err := c.Tree()
	if err != nil {
		return nil, fmt.Errorf("listing %q on branch %q: %w", dir, branch, err)
	}
	out := map[string]string{}
	t, err := root.Tree(dir)
	if errors.Is(err, object.ErrDirectoryNotFound) || errors.Is(err, object.ErrEntryNotFound) {
		return out, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing %q on branch %q: %w", dir, branch, err)
	}
	for _, e := range t.Entries {
		if e.Mode.IsFile() {
			out[e.Name] = e.Hash.String()
		}
	}
	return out, nil
}

// ListTree returns every file under dir on branch by its path from the
// repository's top, reading tree objects only, never a blob.
func (r *Repo) ListTree(ctx context.Context, branch, dir string) (map[string]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	dir = gitops.CleanPrefix(dir)
	if dir != "" && !fileset.ValidPath(dir) {
		return nil, fmt.Errorf("listing %q: invalid path", dir)
	}
	c, err := r.tip(branch)
	if err != nil {
		return nil, fmt.Errorf("listing %q: %w", dir, err)
	}
	t, err := c.Tree()
	if err == nil && dir != "" {
		t, err = t.Tree(dir)
	}
	out := map[string]string{}
	switch {
	case errors.Is(err, object.ErrDirectoryNotFound) || errors.Is(err, object.ErrEntryNotFound):
		return out, nil
	case err != nil:
		return nil, fmt.Errorf("listing %q on branch %q: %w", dir, branch, err)
	}
	w := object.NewTreeWalker(t, true, nil)
	defer w.Close()
	for {
		name, e, err := w.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("listing %q on branch %q: %w", dir, branch, err)
		}
		if e.Mode.IsFile() {
			out[join(dir, name)] = e.Hash.String()
		}
	}
}

// Branches returns the repository's branches, by name (at most 100).
func (r *Repo) Branches(ctx context.Context) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	refs, err := r.repo.References()
	if err != nil {
		return nil, fmt.Errorf("listing branches: %w", err)
	}
	var out []string
	err = refs.ForEach(func(ref *plumbing.Reference) error {
		if ref.Name().IsBranch() {
			out = append(out, ref.Name().Short())
		}
		return nil
	})
	slices.Sort(out)
	return out[:min(len(out), 100)], err
}
