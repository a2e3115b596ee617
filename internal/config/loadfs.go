package config

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/coditect/phasegen/internal/parallel"
)

// LoadFS is Load reading from fsys instead of the disk: dir is a slash path
// in fsys (such as a git tree at a revision, see internal/gittree), and the
// problems name files as path.Join(dir, name). It finds the same problems
// as Load; a symbolic link is refused rather than followed (a tree read
// from git has no disk to resolve it against).
func LoadFS(fsys fs.FS, dir string) (*Set, error) {
	set := &Set{Dir: dir}
	var problems Problems
	envFiles, err := yamlFilesFS(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("reading config directory: %w", err)
	}
	phaseFiles, err := yamlFilesFS(fsys, path.Join(dir, "phases"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("reading phases: %w", err)
	}
	capFile := path.Join(dir, "capacity.yaml")
	kept := envFiles[:0]
	for _, f := range envFiles {
		if f != capFile {
			kept = append(kept, f)
		}
	}
	envFiles = kept
	envs := make([]loaded, len(envFiles))
	_ = parallel.Do(len(envFiles), func(i int) error {
		envs[i].doc, envs[i].problems = loadFileFS(fsys, envFiles[i], KindEnvironment)
		return nil
	})
	for _, r := range envs {
		problems = append(problems, r.problems...)
		if e, ok := r.doc.(*Environment); ok {
			set.Environments = append(set.Environments, e)
		}
	}
	for _, f := range phaseFiles {
		doc, ps := loadFileFS(fsys, f, KindPhase)
		problems = append(problems, ps...)
		if p, ok := doc.(*Phase); ok {
			set.Phases = append(set.Phases, p)
		}
	}
	if _, err := fs.Lstat(fsys, capFile); err != nil {
		problems = append(problems, Problem{File: capFile, Msg: "missing: a CapacityModel is required"})
	} else {
		doc, ps := loadFileFS(fsys, capFile, KindCapacityModel)
		problems = append(problems, ps...)
		if c, ok := doc.(*CapacityModel); ok {
			set.Capacity = c
		}
	}
	if len(set.Phases) == 0 && len(phaseFiles) == 0 {
		problems = append(problems, Problem{File: path.Join(dir, "phases"), Msg: "no Phase files found"})
	}
	problems = append(problems, set.crossCheck()...)
	if err := problems.err(); err != nil {
		return nil, err
	}
	sort.SliceStable(set.Phases, func(i, j int) bool { return set.Phases[i].Spec.Order < set.Phases[j].Spec.Order })
	sort.Slice(set.Environments, func(i, j int) bool {
		return set.Environments[i].Metadata.Name < set.Environments[j].Metadata.Name
	})
	return set, nil
}

// yamlFilesFS lists dir's *.yaml and *.yml files in fsys, sorted.
func yamlFilesFS(fsys fs.FS, dir string) ([]string, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || strings.HasPrefix(n, ".") {
			continue
		}
		if strings.HasSuffix(n, ".yaml") || strings.HasSuffix(n, ".yml") {
			out = append(out, path.Join(dir, n))
		}
	}
	sort.Strings(out)
	return out, nil
}

// loadFileFS reads one file of fsys and parses it.
func loadFileFS(fsys fs.FS, file, want string) (any, Problems) {
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
	return Parse(file, data, want)
}
