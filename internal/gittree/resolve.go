package gittree

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// shallowHint is added to a failure that a shallow clone explains.
const shallowHint = "in a shallow clone, fetch more history: actions/checkout with fetch-depth: 0"

// Resolve returns the commit rev names, resolved as git resolves it: a
// full commit id; else a ref in git's order (the name itself, refs/NAME,
// refs/tags/NAME, refs/heads/NAME, refs/remotes/NAME,
// refs/remotes/NAME/HEAD; "@" is HEAD); else an abbreviated id of at least
// 4 hex digits that names exactly one commit. Then any of ~N and ^N, as
// git applies them. Anything else git's revision syntax has (@{...}, ^{...},
// :path, ranges) is refused, naming the revision: phasegen would not
// resolve it as git does.
func (r *Repo) Resolve(rev string) (*object.Commit, error) {
	name, ops, err := splitRevision(rev)
	if err != nil {
		return nil, err
	}
	c, err := r.resolveName(name)
	if err != nil {
		return nil, fmt.Errorf("revision %q: %w", rev, err)
	}
	for _, op := range ops {
		if c, err = r.step(c, op); err != nil {
			return nil, fmt.Errorf("revision %q: %w (%s)", rev, err, shallowHint)
		}
	}
	return c, nil
}

// revOp is one ~N (first parent N times) or ^N (the N-th parent; ^0 the
// commit itself).
type revOp struct {
	tilde bool
	n     int
}

// splitRevision splits rev into its name and its ~N and ^N steps.
func splitRevision(rev string) (string, []revOp, error) {
	refuse := func(why string) (string, []revOp, error) {
		return "", nil, fmt.Errorf("revision %q: %s; phasegen reads a name, a commit id, and ~N or ^N after them (resolve others with git rev-parse and pass the commit id)", rev, why)
	}
	i := strings.IndexAny(rev, "~^")
	if i < 0 {
		i = len(rev)
	}
	name, rest := rev[:i], rev[i:]
	switch {
	case name == "":
		return refuse("no name")
	case strings.Contains(name, "@{"):
		return refuse("@{...} (reflog, upstream, push) is not read")
	case strings.ContainsAny(name, ":{}\\ \t\n*?[") || strings.Contains(name, ".."):
		return refuse("not a name git reads as one commit")
	}
	var ops []revOp
	for rest != "" {
		op := revOp{tilde: rest[0] == '~', n: 1}
		rest = rest[1:]
		j := 0
		for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
			j++
		}
		if j > 0 {
			n, err := strconv.Atoi(rest[:j])
			if err != nil || n > 1<<20 {
				return refuse("a step count out of range")
			}
			op.n = n
		}
		if rest = rest[j:]; rest != "" && rest[0] != '~' && rest[0] != '^' {
			return refuse(fmt.Sprintf("%q after a step is not read (^{...}, :path)", rest))
		}
		ops = append(ops, op)
	}
	return name, ops, nil
}

// resolveName resolves a revision's name as git does (see Resolve).
func (r *Repo) resolveName(name string) (*object.Commit, error) {
	if name == "@" {
		name = "HEAD"
	}
	if len(name) == 2*len(plumbing.ZeroHash) && isHex(name) {
		return r.commitish(plumbing.NewHash(name))
	}
	for _, rule := range plumbing.RefRevParseRules {
		if rule == "%s" && !pseudoRef(name) {
			continue // git reads only HEAD-like names and refs/... from $GIT_DIR itself
		}
		ref, err := r.repo.Reference(plumbing.ReferenceName(fmt.Sprintf(rule, name)), true)
		if err == nil {
			return r.commitish(ref.Hash())
		}
		if !errors.Is(err, plumbing.ErrReferenceNotFound) {
			return nil, err
		}
	}
	if len(name) >= 4 && isHex(name) {
		return r.abbreviated(strings.ToLower(name))
	}
	return nil, fmt.Errorf("no branch, tag, remote branch or commit of that name (%s)", shallowHint)
}

// abbreviated resolves an abbreviated commit id: exactly one commit (or tag
// of one) must start with it, as git requires.
func (r *Repo) abbreviated(prefix string) (*object.Commit, error) {
	type prefixer interface {
		HashesWithPrefix(prefix []byte) ([]plumbing.Hash, error)
	}
	pf, ok := r.repo.Storer.(prefixer)
	if !ok {
		return nil, errors.New("abbreviated ids are not read from this storage: give the full commit id")
	}
	even, err := hex.DecodeString(prefix[:len(prefix)&^1])
	if err != nil {
		return nil, err
	}
	hashes, err := pf.HashesWithPrefix(even)
	if err != nil {
		return nil, err
	}
	var found *object.Commit
	for _, h := range hashes {
		if !strings.HasPrefix(h.String(), prefix) {
			continue
		}
		c, err := r.commitish(h)
		if err != nil {
			continue // a tree or blob: git's commit-ish disambiguation skips it
		}
		if found != nil && found.Hash != c.Hash {
			return nil, fmt.Errorf("the abbreviated id is ambiguous (%s and %s): give more digits", found.Hash, c.Hash)
		}
		found = c
	}
	if found == nil {
		return nil, fmt.Errorf("no commit starts with %s (%s)", prefix, shallowHint)
	}
	return found, nil
}

// commitish returns the commit h names, peeling annotated tags.
func (r *Repo) commitish(h plumbing.Hash) (*object.Commit, error) {
	for range 10 {
		if c, err := r.repo.CommitObject(h); err == nil {
			return c, nil
		}
		t, err := r.repo.TagObject(h)
		if err != nil {
			return nil, fmt.Errorf("%s is not a commit in this clone (%s)", h, shallowHint)
		}
		h = t.Target
	}
	return nil, fmt.Errorf("%s: tags nested too deep", h)
}

// step applies one ~N or ^N.
func (r *Repo) step(c *object.Commit, op revOp) (*object.Commit, error) {
	if !op.tilde {
		if op.n == 0 {
			return c, nil
		}
		if op.n > len(c.ParentHashes) {
			return nil, fmt.Errorf("%s has %d parent(s), no parent %d", c.Hash.String()[:12], len(c.ParentHashes), op.n)
		}
		return r.parent(c, op.n-1)
	}
	for range op.n {
		if len(c.ParentHashes) == 0 {
			return nil, fmt.Errorf("%s has no parent", c.Hash.String()[:12])
		}
		var err error
		if c, err = r.parent(c, 0); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func (r *Repo) parent(c *object.Commit, i int) (*object.Commit, error) {
	p, err := r.repo.CommitObject(c.ParentHashes[i])
	if err != nil {
		return nil, fmt.Errorf("parent %s of %s is not in this clone", c.ParentHashes[i].String()[:12], c.Hash.String()[:12])
	}
	return p, nil
}

// pseudoRef reports whether git reads name as a file of $GIT_DIR: HEAD,
// FETCH_HEAD and the like, or a full refs/ name.
func pseudoRef(name string) bool {
	if strings.HasPrefix(name, "refs/") {
		return true
	}
	for _, c := range name {
		if !('A' <= c && c <= 'Z' || c == '_') {
			return false
		}
	}
	return strings.HasSuffix(name, "HEAD")
}

func isHex(s string) bool {
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// DefaultBase returns the commit a review compares with when none is
// given: the merge base of HEAD with the upstream of the current branch
// (branch.<name>.remote and .merge in the git config), else HEAD when the
// branch follows none. what says which it picked, for the log. An upstream
// that is configured but not in this clone, or that shares no merge base
// with HEAD here (a shallow clone), is an error: reviewing against HEAD
// instead would show no change at all.
func (r *Repo) DefaultBase() (c *object.Commit, what string, err error) {
	head, err := r.repo.Head()
	if err != nil {
		return nil, "", fmt.Errorf("reading HEAD: %w", err)
	}
	hc, err := r.repo.CommitObject(head.Hash())
	if err != nil {
		return nil, "", fmt.Errorf("reading HEAD: %w", err)
	}
	up := r.upstream(head)
	if up == "" {
		return hc, "HEAD", nil
	}
	ref, err := r.repo.Reference(plumbing.ReferenceName(up), true)
	if err != nil {
		return nil, "", fmt.Errorf("%s follows %s, which this clone does not have (fetch it, or name the base revision): %w", head.Name().Short(), up, err)
	}
	uc, err := r.commitish(ref.Hash())
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", up, err)
	}
	bases, err := hc.MergeBase(uc)
	if err != nil || len(bases) == 0 {
		why := "they share no history"
		if err != nil {
			why = err.Error()
		}
		return nil, "", fmt.Errorf("no merge base of HEAD and %s in this clone (%s; %s)", up, why, shallowHint)
	}
	return bases[0], "the merge base with " + up, nil
}

// upstream returns the remote-tracking (or local) ref the current branch
// follows, or "".
func (r *Repo) upstream(head *plumbing.Reference) string {
	if !head.Name().IsBranch() {
		return ""
	}
	cfg, err := r.repo.Config()
	if err != nil {
		return ""
	}
	b, ok := cfg.Branches[head.Name().Short()]
	if !ok || b.Merge == "" {
		return ""
	}
	short := strings.TrimPrefix(string(b.Merge), "refs/heads/")
	if b.Remote == "" || b.Remote == "." {
		return "refs/heads/" + short
	}
	return "refs/remotes/" + b.Remote + "/" + short
}
