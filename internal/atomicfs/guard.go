package atomicfs

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/coditect/phasegen/internal/fileset"
)

// ErrNotGenerated is wrapped by the refusals of CheckReplaceable and
// CheckGenerated: the directory is not a tree phasegen generated, so
// replacing it could destroy what someone else wrote.
var ErrNotGenerated = errors.New("refusing to replace it")

// CheckReplaceable checks that dir may be replaced whole by a generated
// tree: it is not, does not contain and does not lie inside any of keep
// (the configuration and templates directories); it does not contain the
// top of the git repository it is part of, nor lie inside a .git
// directory. Paths are compared with symbolic links resolved.
func CheckReplaceable(dir string, keep map[string]string) error {
	d, err := realPath(dir)
	if err != nil {
		return fmt.Errorf("%s: %w", dir, err)
	}
	for _, part := range strings.Split(filepath.ToSlash(d), "/") {
		if strings.EqualFold(part, ".git") {
			return fmt.Errorf("%s lies inside a .git directory: %w", dir, ErrNotGenerated)
		}
	}
	tops := []string{gitTop(d)}
	for _, k := range keep {
		kp, err := realPath(k)
		if err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
		tops = append(tops, gitTop(kp))
	}
	for _, top := range tops {
		if top != "" && within(top, d) {
			return fmt.Errorf("%s holds the git repository at %s: %w", dir, top, ErrNotGenerated)
		}
	}
	for _, what := range slices.Sorted(maps.Keys(keep)) {
		k := keep[what]
		kp, _ := realPath(k)
		switch {
		case kp == d:
			return fmt.Errorf("%s is the %s: %w", dir, what, ErrNotGenerated)
		case within(kp, d):
			return fmt.Errorf("%s holds the %s (%s): %w", dir, what, k, ErrNotGenerated)
		case within(d, kp):
			return fmt.Errorf("%s lies inside the %s (%s): %w", dir, what, k, ErrNotGenerated)
		}
	}
	return nil
}

// CheckGenerated checks that every file of files (a tree read from dir)
// starts with marker, the line phasegen begins every generated file with.
func CheckGenerated(dir string, files fileset.Set, marker string) error {
	var foreign []string
	for _, p := range files.Paths() {
		if !strings.HasPrefix(string(files[p]), marker) {
			foreign = append(foreign, p)
		}
	}
	if len(foreign) == 0 {
		return nil
	}
	shown := foreign
	if len(shown) > 5 {
		shown = append(shown[:5:5], fmt.Sprintf("and %d more", len(foreign)-5))
	}
	return fmt.Errorf("%s holds files phasegen did not generate (%s; each generated file starts with %q): %w",
		dir, strings.Join(shown, ", "), marker, ErrNotGenerated)
}

// realPath is p absolute, with the symbolic links of its longest existing
// prefix resolved.
func realPath(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	rest := ""
	for cur := abs; ; {
		if r, err := filepath.EvalSymlinks(cur); err == nil {
			return filepath.Join(r, rest), nil
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		parent := filepath.Dir(cur)
		if parent == cur {
			return abs, nil
		}
		rest = filepath.Join(filepath.Base(cur), rest)
		cur = parent
	}
}

// gitTop returns the nearest directory at or above d that holds a .git,
// or "".
func gitTop(d string) string {
	for cur := d; ; {
		if _, err := os.Lstat(filepath.Join(cur, ".git")); err == nil {
			return cur
		}
		parent := filepath.Dir(cur)
		if parent == cur {
			return ""
		}
		cur = parent
	}
}

// within reports whether p is inside dir or is dir.
func within(p, dir string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// RepoRoot returns the top of the git repository dir lies in (symbolic
// links resolved), or dir itself resolved when it lies in none: the root
// below which phasegen edits configuration files.
func RepoRoot(dir string) (string, error) {
	d, err := realPath(dir)
	if err != nil {
		return "", err
	}
	if top := gitTop(d); top != "" {
		return top, nil
	}
	return d, nil
}

// ErrLinkOutside is wrapped when a directory phasegen reads is a symbolic
// link leading out of the repository it lies in.
var ErrLinkOutside = errors.New("a symbolic link leading outside the repository")

// CheckDirLinks checks dir and each dir/sub that is a symbolic link: it
// must lead to a directory inside the git repository the link lies in (or,
// outside any repository, inside the link's own directory), as a linked
// file must. A missing path is no error here.
func CheckDirLinks(dir string, subs ...string) error {
	for _, p := range append([]string{dir}, joinAll(dir, subs)...) {
		fi, err := os.Lstat(p)
		if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			continue
		}
		parent, err := realPath(filepath.Dir(p))
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		home := gitTop(parent)
		if home == "" {
			home = parent
		}
		target, err := filepath.EvalSymlinks(p)
		if err != nil {
			return fmt.Errorf("%s: resolving its symbolic link: %w", p, err)
		}
		if !within(target, home) {
			return fmt.Errorf("%s leads to %s, outside %s: %w; refusing to read it", p, target, home, ErrLinkOutside)
		}
	}
	return nil
}

func joinAll(dir string, subs []string) []string {
	out := make([]string, len(subs))
	for i, s := range subs {
		out[i] = filepath.Join(dir, s)
	}
	return out
}
