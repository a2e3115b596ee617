package githubfake

import (
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// leaf is a non-tree entry of a flattened tree: a blob, symlink or submodule.
type leaf struct {
	mode filemode.FileMode
	hash plumbing.Hash
}

func (s *Server) putBlob(content []byte) (plumbing.Hash, error) {
	obj := s.st.NewEncodedObject()
	obj.SetType(plumbing.BlobObject)
	w, err := obj.Writer()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if _, err := w.Write(content); err != nil {
		return plumbing.ZeroHash, err
	}
	if err := w.Close(); err != nil {
		return plumbing.ZeroHash, err
	}
	return s.st.SetEncodedObject(obj)
}

func (s *Server) blob(h plumbing.Hash) ([]byte, error) {
	b, err := object.GetBlob(s.st, h)
	if err != nil {
		return nil, err
	}
	r, err := b.Reader()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

func (s *Server) putTree(entries []object.TreeEntry) (plumbing.Hash, error) {
	sort.Sort(object.TreeEntrySorter(entries))
	t := &object.Tree{Entries: entries}
	obj := s.st.NewEncodedObject()
	if err := t.Encode(obj); err != nil {
		return plumbing.ZeroHash, err
	}
	return s.st.SetEncodedObject(obj)
}

func (s *Server) putCommit(c *object.Commit) (plumbing.Hash, error) {
	obj := s.st.NewEncodedObject()
	if err := c.Encode(obj); err != nil {
		return plumbing.ZeroHash, err
	}
	return s.st.SetEncodedObject(obj)
}

func branchRef(name string) plumbing.ReferenceName {
	return plumbing.NewBranchReferenceName(name)
}

func (s *Server) branchTip(name string) (plumbing.Hash, bool) {
	ref, err := s.st.Reference(branchRef(name))
	if err != nil {
		return plumbing.ZeroHash, false
	}
	return ref.Hash(), true
}

func (s *Server) setBranch(name string, h plumbing.Hash) error {
	return s.st.SetReference(plumbing.NewHashReference(branchRef(name), h))
}

// objectType returns the type of the object h, or false when it is unknown.
func (s *Server) objectType(h plumbing.Hash) (plumbing.ObjectType, bool) {
	obj, err := s.st.EncodedObject(plumbing.AnyObject, h)
	if err != nil {
		return plumbing.InvalidObject, false
	}
	return obj.Type(), true
}

// resolveTreeish finds the tree named by x: a tree id, a commit id or a
// branch name (GitHub's trees endpoint accepts all three).
func (s *Server) resolveTreeish(x string) (plumbing.Hash, bool) {
	if plumbing.IsHash(x) {
		h := plumbing.NewHash(x)
		switch t, ok := s.objectType(h); {
		case !ok:
		case t == plumbing.TreeObject:
			return h, true
		case t == plumbing.CommitObject:
			c, err := object.GetCommit(s.st, h)
			if err == nil {
				return c.TreeHash, true
			}
		}
	}
	if tip, ok := s.resolveCommitish(x); ok {
		c, err := object.GetCommit(s.st, tip)
		if err == nil {
			return c.TreeHash, true
		}
	}
	return plumbing.ZeroHash, false
}

// resolveCommitish finds the commit named by a commit id or a branch name.
func (s *Server) resolveCommitish(x string) (plumbing.Hash, bool) {
	if plumbing.IsHash(x) {
		h := plumbing.NewHash(x)
		if t, ok := s.objectType(h); ok && t == plumbing.CommitObject {
			return h, true
		}
	}
	name := strings.TrimPrefix(strings.TrimPrefix(x, "refs/"), "heads/")
	return s.branchTip(name)
}

// flatten lists every non-tree entry below tree h by slash-separated path.
func (s *Server) flatten(h plumbing.Hash) (map[string]leaf, error) {
	out := map[string]leaf{}
	err := s.walk(h, "", func(p string, e object.TreeEntry) error {
		if e.Mode != filemode.Dir {
			out[p] = leaf{mode: e.Mode, hash: e.Hash}
		}
		return nil
	})
	return out, err
}

// walk calls fn for every entry below tree h, depth first, parents first.
func (s *Server) walk(h plumbing.Hash, dir string, fn func(path string, e object.TreeEntry) error) error {
	t, err := object.GetTree(s.st, h)
	if err != nil {
		return fmt.Errorf("reading tree %s: %w", h, err)
	}
	for _, e := range t.Entries {
		p := e.Name
		if dir != "" {
			p = dir + "/" + e.Name
		}
		if err := fn(p, e); err != nil {
			return err
		}
		if e.Mode == filemode.Dir {
			if err := s.walk(e.Hash, p, fn); err != nil {
				return err
			}
		}
	}
	return nil
}

// buildTree writes the trees holding leaves and returns the top one's id.
func (s *Server) buildTree(leaves map[string]leaf) (plumbing.Hash, error) {
	var entries []object.TreeEntry
	subdirs := map[string]map[string]leaf{}
	for p, l := range leaves {
		name, rest, nested := strings.Cut(p, "/")
		if !nested {
			entries = append(entries, object.TreeEntry{Name: name, Mode: l.mode, Hash: l.hash})
			continue
		}
		if subdirs[name] == nil {
			subdirs[name] = map[string]leaf{}
		}
		subdirs[name][rest] = l
	}
	for name, sub := range subdirs {
		h, err := s.buildTree(sub)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		entries = append(entries, object.TreeEntry{Name: name, Mode: filemode.Dir, Hash: h})
	}
	return s.putTree(entries)
}

// removePath deletes p and everything below it from leaves.
func removePath(leaves map[string]leaf, p string) {
	delete(leaves, p)
	for k := range leaves {
		if strings.HasPrefix(k, p+"/") {
			delete(leaves, k)
		}
	}
}

// setLeaf puts l at p, removing whatever stood in its way (a file where a
// directory must go, or a directory where the file goes).
func setLeaf(leaves map[string]leaf, p string, l leaf) {
	removePath(leaves, p)
	for dir := p; ; {
		i := strings.LastIndexByte(dir, '/')
		if i < 0 {
			break
		}
		dir = dir[:i]
		delete(leaves, dir)
	}
	leaves[p] = l
}

// isAncestor reports whether anc is desc or one of its ancestors.
func (s *Server) isAncestor(anc, desc plumbing.Hash) bool {
	seen := map[plumbing.Hash]bool{}
	queue := []plumbing.Hash{desc}
	for len(queue) > 0 {
		h := queue[0]
		queue = queue[1:]
		if h == anc {
			return true
		}
		if seen[h] {
			continue
		}
		seen[h] = true
		c, err := object.GetCommit(s.st, h)
		if err != nil {
			continue
		}
		queue = append(queue, c.ParentHashes...)
	}
	return false
}

func parseMode(m string) (filemode.FileMode, error) {
	switch m {
	case "100644", "100755", "040000", "160000", "120000":
		return filemode.New(m)
	}
	return filemode.Empty, fmt.Errorf("invalid tree entry mode %q", m)
}

// modeString formats a mode as GitHub's JSON does ("100644", "040000").
func modeString(m filemode.FileMode) string {
	return fmt.Sprintf("%06o", uint32(m))
}

func typeOf(m filemode.FileMode) string {
	switch m {
	case filemode.Dir:
		return "tree"
	case filemode.Submodule:
		return "commit"
	}
	return "blob"
}

// listBranches answers GET /repos/{owner}/{repo}/branches as GitHub does:
// the branches in name order, each with its tip commit, a page of per_page
// (default 30, at most 100).
func (s *Server) listBranches(r *request) response {
	refs, err := s.st.IterReferences()
	if err != nil {
		return errorResponse(http.StatusInternalServerError, err.Error())
	}
	type branch struct{ name, sha string }
	var all []branch
	_ = refs.ForEach(func(ref *plumbing.Reference) error {
		if ref.Name().IsBranch() && ref.Type() == plumbing.HashReference {
			all = append(all, branch{ref.Name().Short(), ref.Hash().String()})
		}
		return nil
	})
	sort.Slice(all, func(i, j int) bool { return all[i].name < all[j].name })
	perPage := 30
	if v := r.q("per_page"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			perPage = min(n, 100)
		}
	}
	list := []any{}
	for _, b := range all[:min(perPage, len(all))] {
		list = append(list, map[string]any{
			"name":      b.name,
			"commit":    map[string]any{"sha": b.sha, "url": s.repoURL(r) + "/commits/" + b.sha},
			"protected": false,
		})
	}
	return jsonResponse(http.StatusOK, list)
}
