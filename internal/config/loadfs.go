package config

import (
	"bytes"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
)

// LoadFS is Load reading from fsys instead of the disk: dir is a slash path
// in fsys (such as a git tree at a revision, see internal/gittree), and the
// problems name files as path.Join(dir, name). It finds the same problems
// as Load; a symbolic link is refused rather than followed (a tree read
// from git has no disk to resolve it against).
func LoadFS(fsys fs.FS, dir string) (*Set, error) {
	return LoadFSFrom(fsys, dir, nil)
}

// LoadFSFrom is LoadFS that takes from known (a configuration already
// loaded, such as the working tree's when reading a git revision) every
// document whose file has the same name and the same bytes, instead of
// decoding and validating it again; the document is copied with its
// Source.File set to the path in fsys. The checks across files run on the
// result as LoadFS runs them.
func LoadFSFrom(fsys fs.FS, dir string, known *Set) (*Set, error) {
	reuse := knownDocs(known)
	return assemble(layout{
		dir: dir, join: path.Join,
		list:   func(d string) ([]string, error) { return yamlFilesFS(fsys, d) },
		exists: func(f string) bool { _, err := fs.Lstat(fsys, f); return err == nil },
		load:   func(f, want string) (any, Problems) { return loadFileFS(fsys, f, want, reuse) },
	})
}

// yamlFilesFS lists dir's *.yaml and *.yml files in fsys, sorted.
func yamlFilesFS(fsys fs.FS, dir string) ([]string, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	return yamlNames(entries, func(n string) string { return path.Join(dir, n) }), nil
}

// ContentFS is an fs.FS that can tell whether a file holds given bytes
// without reading it (a git tree compares blob ids). LoadFSFrom uses it to
// take known documents without reading their files.
type ContentFS interface {
	fs.FS
	SameContent(name string, data []byte) bool
}

// knownDocs indexes known's documents by kind and file name.
func knownDocs(known *Set) map[string]any {
	if known == nil {
		return nil
	}
	out := map[string]any{}
	for _, e := range known.Environments {
		out[KindEnvironment+"/"+path.Base(filepath.ToSlash(e.Source.File))] = e
	}
	for _, p := range known.Phases {
		out[KindPhase+"/"+path.Base(filepath.ToSlash(p.Source.File))] = p
	}
	if c := known.Capacity; c != nil {
		out[KindCapacityModel+"/"+path.Base(filepath.ToSlash(c.Source.File))] = c
	}
	return out
}

// reused returns a copy of the known document of kind want named like file
// when it was read from exactly data.
func reused(reuse map[string]any, file, want string, data []byte) (any, bool) {
	switch d := reuse[want+"/"+path.Base(file)].(type) {
	case *Environment:
		if bytes.Equal(d.Source.Raw, data) {
			c := *d
			c.Source.File = file
			return &c, true
		}
	case *Phase:
		// A phase that extends another is resolved again: its parent may
		// have changed.
		if bytes.Equal(d.Source.Raw, data) && d.Spec.Extends == "" {
			c := *d
			c.Source.File = file
			return &c, true
		}
	case *CapacityModel:
		if bytes.Equal(d.Source.Raw, data) {
			c := *d
			c.Source.File = file
			return &c, true
		}
	}
	return nil, false
}

// rawOf returns the bytes a known document was read from.
func rawOf(doc any) []byte {
	switch d := doc.(type) {
	case *Environment:
		return d.Source.Raw
	case *Phase:
		return d.Source.Raw
	case *CapacityModel:
		return d.Source.Raw
	}
	return nil
}

// loadFileFS reads one file of fsys and parses it (or takes it from reuse).
func loadFileFS(fsys fs.FS, file, want string, reuse map[string]any) (any, Problems) {
	if cfs, ok := fsys.(ContentFS); ok {
		if raw := rawOf(reuse[want+"/"+path.Base(file)]); raw != nil && cfs.SameContent(file, raw) {
			if doc, ok := reused(reuse, file, want, raw); ok {
				return doc, nil
			}
		}
	}
	fi, err := fs.Lstat(fsys, file)
	if err != nil {
		return nil, Problems{{File: file, Msg: err.Error()}}
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return nil, Problems{{File: file, Msg: "symbolic link: not followed in a tree read from git"}}
	}
	if fi.Size() > MaxFileSize {
		return nil, Problems{{File: file, Msg: fmt.Sprintf("file is larger than %d bytes", MaxFileSize)}}
	}
	data, err := fs.ReadFile(fsys, file)
	if err != nil {
		return nil, Problems{{File: file, Msg: err.Error()}}
	}
	if doc, ok := reused(reuse, file, want, data); ok {
		return doc, nil
	}
	return Parse(file, data, want)
}
