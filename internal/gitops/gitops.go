// Package gitops is the GitOps repository Argo CD deploys from, as
// phasegen reads and writes it: files on a branch, one commit of a file set
// on a head branch, a branch's head and the history of a file. A local git
// repository (package local) and a GitHub repository through pull requests
// (package github) implement it. It knows only file sets and commits, never
// phases or environments.
package gitops

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/coditect/phasegen/internal/fileset"
)

// ErrNotFound is returned (wrapped) by ReadFile when the file does not
// exist on a branch that does.
var ErrNotFound = errors.New("not found")

// ErrNoBranch is returned (wrapped) by ReadFile, Head and History when the
// branch does not exist: not a first promotion, a repository without the
// branch its configs name.
var ErrNoBranch = errors.New("no such branch")

// MaxFileSize is the largest file read from a repository; a larger one is
// refused before it is read.
const MaxFileSize = 8 << 20

// Change asks a target to make Head one commit on top of Base in which every
// path under one of Owned (relative to Root) is replaced by Files: files of Files
// are written, files under an Owned prefix that Files lacks are deleted, and
// everything else in Base's tree is kept as it is.
type Change struct {
	Base    string      // branch the commit goes on top of, e.g. "main"
	Head    string      // branch to create or move, e.g. "phasegen/production"
	Root    string      // directory in the repository under which Files live ("" = top)
	Files   fileset.Set // paths relative to Root
	Owned   []string    // path prefixes relative to Root owned wholly by Files (a file or a directory)
	Message string      // commit message
	Author  Signature
	// Force replaces a Head branch that does not descend from Base (an
	// unrelated commit under that name); without it that is ErrForeignHead.
	Force bool
	// Mark is a line the message of every commit written on Head holds
	// (phasegen's trailer naming the app and environment). An existing Head
	// whose tip's message lacks it holds someone else's commit: Write wraps
	// ErrForeignHead, whatever Force says, and writes nothing.
	Mark string
}

// Marked reports whether msg holds mark as a line of its own; every
// message is marked when mark is "".
func Marked(msg, mark string) bool {
	if mark == "" {
		return true
	}
	for _, l := range strings.Split(msg, "\n") {
		if strings.TrimSpace(l) == mark {
			return true
		}
	}
	return false
}

// ForeignTip is the error of a Head whose tip lacks the Change's Mark.
func ForeignTip(c Change, tip, msg string) error {
	return fmt.Errorf("branch %s is at %s (%q), a commit that is not this promotion's (it lacks %q): refusing to replace it; merge or close its pull request, or delete the branch: %w",
		c.Head, tip, Subject(msg), c.Mark, ErrForeignHead)
}

// ErrForeignHead is wrapped by Write when Head exists and does not descend
// from Base: replacing it would lose commits that are not phasegen's.
var ErrForeignHead = errors.New("the branch does not descend from the base branch")

// Signature names the author and committer of the commit.
type Signature struct {
	Name  string
	Email string
}

// Result reports what Write did.
type Result struct {
	Commit   string // commit id at Head afterwards ("" when Unchanged because Base already holds the content)
	Changed  bool   // a new commit was written and Head moved
	UpToDate bool   // Base already holds exactly this content: nothing was written
	BaseTip  string // commit id of Base the change was made against
	// Replaced is, with Change.Force, the commit of an unrelated Head branch
	// the write replaced ("" when none was).
	Replaced string
}

// Repo is a repository that file sets are read from and written to.
type Repo interface {
	// ReadFile returns the content of one file (a slash-separated path from the
	// repository's top) on branch. It wraps ErrNotFound when the file does
	// not exist and ErrNoBranch when the branch does not. It costs a constant amount of work (one or two API
	// calls on GitHub), whatever the size of the repository.
	ReadFile(ctx context.Context, branch, path string) ([]byte, error)
	// Write applies c; it is idempotent: when Head already is a commit on top of
	// Base's tip with the same tree, it writes nothing and returns Changed false.
	Write(ctx context.Context, c Change) (Result, error)
}

// Lister is a Repo that also lists a folder: the git blob id of each file
// directly in dir on branch, by name, in one call whatever the folder holds
// (an empty map when dir does not exist). Comparing blob ids with the local
// files' tells which files differ without reading them. Both shipped
// targets are Listers.
type Lister interface {
	Repo
	ListDir(ctx context.Context, branch, dir string) (map[string]string, error)
	// ListTree returns the blob id of every file under dir on branch, by its
	// path from the repository's top ("" lists the whole repository), in a
	// number of calls that does not grow with the repository (two on
	// GitHub: the branch, then its tree), reading no file's content. It
	// wraps ErrNoBranch when the branch does not exist.
	ListTree(ctx context.Context, branch, dir string) (map[string]string, error)
}

// Brancher is a Repo that also lists its branches (at most 100, by name),
// to say which exist when the configured one does not. Both shipped
// targets are Branchers.
type Brancher interface {
	Repo
	Branches(ctx context.Context) ([]string, error)
}

// Revision is one commit of a branch's history that changed a file.
type Revision struct {
	Commit string
	// Date is the commit's committer date: when it landed on the branch.
	Date time.Time
	// Content is the file at that commit; nil when the commit deleted it.
	Content []byte
}

// Historian is a Repo that also reads a branch's head and the history of
// one file on it. Both shipped targets are Historians.
type Historian interface {
	Repo
	// Head returns the commit branch points at; it wraps ErrNoBranch when
	// the branch does not exist.
	Head(ctx context.Context, branch string) (string, error)
	// History calls visit with the commits of branch's history that changed
	// file p, newest first, with the file's content at each, until visit
	// returns false, the history ends or max revisions were visited. A local
	// repository follows the first-parent history (the commits as they
	// landed on the branch); GitHub lists what its commits API lists for
	// the path. The cost is bounded by max, not by the history's length.
	History(ctx context.Context, branch, p string, max int, visit func(Revision) bool) error
}

// Lander is a Historian whose History dates a commit by its committer date,
// which need not be when it landed on the branch (GitHub: a pull request
// merged with a merge commit). Landed returns when commit was merged into
// branch by a pull request; ok is false when no merged pull request brought
// it there (it was pushed, or its pull request was squashed or rebased, and
// its own date is the landing time).
type Lander interface {
	Landed(ctx context.Context, branch, commit string) (at time.Time, ok bool, err error)
}

// Subject is the first line of a commit message, cut at 60 characters: how
// an error names a commit someone else made.
func Subject(msg string) string {
	s, _, _ := strings.Cut(strings.TrimSpace(msg), "\n")
	if r := []rune(s); len(r) > 60 {
		s = string(r[:60]) + "…"
	}
	return s
}

// Validate checks c as both repositories take it: two different branches
// with valid names, a commit message, and a root, owned prefixes and file
// paths that are clean relative paths with no ".git", "." or ".."
// component.
func (c Change) Validate() error {
	switch {
	case c.Base == "" || c.Head == "":
		return errors.New("base and head branches are required")
	case c.Base == c.Head:
		return fmt.Errorf("head branch %q is the base branch", c.Head)
	case strings.TrimSpace(c.Message) == "":
		return errors.New("a commit message is required")
	}
	for _, b := range []string{c.Base, c.Head} {
		if err := ValidBranch(b); err != nil {
			return err
		}
	}
	if root := CleanPrefix(c.Root); root != "" {
		if err := checkPath(root); err != nil {
			return fmt.Errorf("root: %w", err)
		}
	}
	for _, o := range c.Owned {
		if o := CleanPrefix(o); o != "" {
			if err := checkPath(o); err != nil {
				return fmt.Errorf("owned: %w", err)
			}
		}
	}
	for _, p := range c.Files.Paths() {
		if err := checkPath(p); err != nil {
			return err
		}
	}
	return nil
}

// ValidBranch accepts a branch name git accepts under refs/heads/ (given
// without that prefix).
func ValidBranch(branch string) error {
	name := plumbing.NewBranchReferenceName(branch)
	if branch == "" || strings.HasPrefix(branch, "refs/") || name.Validate() != nil {
		return fmt.Errorf("invalid branch name %q", branch)
	}
	return nil
}

// checkPath accepts a clean relative path that stays inside its root and
// has no ".git" component.
func checkPath(p string) error {
	if p == "." || !fileset.ValidPath(p) {
		return fmt.Errorf("invalid path %q", p)
	}
	for _, part := range strings.Split(p, "/") {
		if strings.EqualFold(part, ".git") || part == "." || part == ".." {
			return fmt.Errorf("invalid path %q", p)
		}
	}
	return nil
}

// CleanPrefix trims slashes from a root or owned prefix; "" and "." mean
// the top.
func CleanPrefix(p string) string {
	p = strings.Trim(p, "/")
	if p == "." {
		return ""
	}
	return p
}

// MaxBodyChars is the most characters a pull request body may hold
// (GitHub's limit).
const MaxBodyChars = 65536

// PR is a pull request a repository with pull requests makes sure exists.
type PR struct {
	Base, Head  string // branches: the PR merges Head into Base
	Title, Body string
	Draft       bool     // only when creating: GitHub's REST API cannot toggle it later
	Labels      []string // added when missing, never removed
	Reviewers   []string // logins, or "org/team" for a team; requested when missing
}

// PRResult reports what opening a pull request did.
type PRResult struct {
	Number  int
	URL     string // the PR's web page
	Created bool   // a new PR was opened
	Updated bool   // the open PR's title, body or base was edited, or labels or reviewers were added
}
