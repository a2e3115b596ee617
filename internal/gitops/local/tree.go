package local

import (
	"fmt"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// dirNode is one directory of the tree being edited. Only the directories
// on the way to an edited path are loaded; the others keep their hash.
type dirNode struct {
	hash    plumbing.Hash // tree id in the base; zero for a new directory
	entries map[string]object.TreeEntry
	subs    map[string]*dirNode // loaded subdirectories
	dirty   bool
}

// treeEditor rebuilds a tree from a base tree and a list of edits, without
// writing anything: the objects it makes are kept in pending until a caller
// decides to store them.
type treeEditor struct {
	s       storer.EncodedObjectStorer
	root    *dirNode
	pending []plumbing.EncodedObject
}

func newTreeEditor(s storer.EncodedObjectStorer, base plumbing.Hash) (*treeEditor, error) {
	e := &treeEditor{s: s}
	root, err := e.load(base)
	if err != nil {
		return nil, err
	}
	e.root = root
	return e, nil
}

func (e *treeEditor) load(h plumbing.Hash) (*dirNode, error) {
	t, err := object.GetTree(e.s, h)
	if err != nil {
		return nil, fmt.Errorf("reading tree %s: %w", h, err)
	}
	n := &dirNode{hash: h, entries: make(map[string]object.TreeEntry, len(t.Entries)), subs: map[string]*dirNode{}}
	for _, en := range t.Entries {
		n.entries[en.Name] = en
	}
	return n, nil
}

// sub returns the subdirectory name of n, loading it; nil when n has no
// such entry. create makes a missing one. It fails when name is not a
// directory.
func (e *treeEditor) sub(n *dirNode, name, full string, create bool) (*dirNode, error) {
	if s, ok := n.subs[name]; ok {
		return s, nil
	}
	en, ok := n.entries[name]
	switch {
	case !ok && !create:
		return nil, nil
	case !ok:
		s := &dirNode{entries: map[string]object.TreeEntry{}, subs: map[string]*dirNode{}}
		n.entries[name] = object.TreeEntry{Name: name, Mode: filemode.Dir}
		n.subs[name] = s
		return s, nil
	case en.Mode != filemode.Dir:
		if !create {
			return nil, nil
		}
		return nil, fmt.Errorf("%q is a file (in the base tree or the files), not a directory", full)
	}
	s, err := e.load(en.Hash)
	if err != nil {
		return nil, err
	}
	n.subs[name] = s
	return s, nil
}

// remove deletes the file or directory at p ("" = everything).
func (e *treeEditor) remove(p string) error {
	if p == "" {
		e.root.entries = map[string]object.TreeEntry{}
		e.root.subs = map[string]*dirNode{}
		e.root.dirty = true
		return nil
	}
	parts := strings.Split(p, "/")
	path := []*dirNode{e.root}
	n := e.root
	for i, name := range parts[:len(parts)-1] {
		s, err := e.sub(n, name, strings.Join(parts[:i+1], "/"), false)
		if err != nil || s == nil {
			return err
		}
		n = s
		path = append(path, n)
	}
	last := parts[len(parts)-1]
	if _, ok := n.entries[last]; !ok {
		return nil
	}
	delete(n.entries, last)
	delete(n.subs, last)
	for _, d := range path {
		d.dirty = true
	}
	return nil
}

// put writes content as a file of the given mode at p.
func (e *treeEditor) put(p string, mode filemode.FileMode, content []byte) error {
	blob := &plumbing.MemoryObject{}
	blob.SetType(plumbing.BlobObject)
	if _, err := blob.Write(content); err != nil {
		return fmt.Errorf("encoding %q: %w", p, err)
	}
	e.pending = append(e.pending, blob)

	parts := strings.Split(p, "/")
	n := e.root
	n.dirty = true
	for i, name := range parts[:len(parts)-1] {
		s, err := e.sub(n, name, strings.Join(parts[:i+1], "/"), true)
		if err != nil {
			return err
		}
		n = s
		n.dirty = true
	}
	last := parts[len(parts)-1]
	if en, ok := n.entries[last]; ok && en.Mode == filemode.Dir {
		return fmt.Errorf("%q is a directory (in the base tree or the files), not a file", p)
	}
	n.entries[last] = object.TreeEntry{Name: last, Mode: mode, Hash: blob.Hash()}
	return nil
}

// finish encodes the edited directories bottom-up, dropping those left
// empty, and returns the id of the root tree.
func (e *treeEditor) finish() (plumbing.Hash, error) {
	h, _, err := e.encode(e.root, true)
	return h, err
}

func (e *treeEditor) encode(n *dirNode, isRoot bool) (plumbing.Hash, bool, error) {
	if !n.dirty {
		return n.hash, len(n.entries) == 0, nil
	}
	t := &object.Tree{}
	for name, en := range n.entries {
		if s, ok := n.subs[name]; ok {
			h, empty, err := e.encode(s, false)
			if err != nil {
				return plumbing.ZeroHash, false, err
			}
			if empty {
				continue
			}
			en.Hash = h
		}
		t.Entries = append(t.Entries, en)
	}
	if len(t.Entries) == 0 && !isRoot {
		return plumbing.ZeroHash, true, nil
	}
	sort.Sort(object.TreeEntrySorter(t.Entries))
	obj := &plumbing.MemoryObject{}
	if err := t.Encode(obj); err != nil {
		return plumbing.ZeroHash, false, fmt.Errorf("encoding tree: %w", err)
	}
	e.pending = append(e.pending, obj)
	return obj.Hash(), len(t.Entries) == 0, nil
}

// store writes the pending objects the repository lacks.
func (e *treeEditor) store() error {
	for _, o := range e.pending {
		if e.s.HasEncodedObject(o.Hash()) == nil {
			continue
		}
		if _, err := e.s.SetEncodedObject(o); err != nil {
			return fmt.Errorf("storing object %s: %w", o.Hash(), err)
		}
	}
	return nil
}
