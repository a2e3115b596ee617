package githubfake

import (
	"fmt"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Seed commits files (path → content) on the default branch, on top of its
// tip when it has one, and returns the commit id.
func (s *Server) Seed(files map[string][]byte) (string, error) {
	return s.CommitFiles(s.opts.DefaultBranch, "initial commit", files)
}

// CommitFiles makes one commit on branch (created when missing) that writes
// files on top of the branch's tree; a nil content deletes the path. It
// returns the commit id.
func (s *Server) CommitFiles(branch, message string, files map[string][]byte) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	leaves := map[string]leaf{}
	var parents []plumbing.Hash
	if tip, ok := s.branchTip(branch); ok {
		c, err := object.GetCommit(s.st, tip)
		if err != nil {
			return "", fmt.Errorf("reading %s: %w", branch, err)
		}
		if leaves, err = s.flatten(c.TreeHash); err != nil {
			return "", err
		}
		parents = []plumbing.Hash{tip}
	}
	for p, b := range files {
		if b == nil {
			removePath(leaves, p)
			continue
		}
		h, err := s.putBlob(b)
		if err != nil {
			return "", fmt.Errorf("writing blob %s: %w", p, err)
		}
		setLeaf(leaves, p, leaf{mode: filemode.Regular, hash: h})
	}
	tree, err := s.buildTree(leaves)
	if err != nil {
		return "", fmt.Errorf("writing tree: %w", err)
	}
	sig := object.Signature{Name: "Seeder", Email: "seeder@example.com", When: s.opts.Now()}
	h, err := s.putCommit(&object.Commit{Author: sig, Committer: sig, Message: message, TreeHash: tree, ParentHashes: parents})
	if err != nil {
		return "", fmt.Errorf("writing commit: %w", err)
	}
	if err := s.setBranch(branch, h); err != nil {
		return "", err
	}
	return h.String(), nil
}

// Branch returns the commit id branch points at.
func (s *Server) Branch(branch string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h, ok := s.branchTip(branch)
	if !ok {
		return "", false
	}
	return h.String(), true
}

// Files returns every file of the tree at the tip of ref (a branch or a
// commit id), by path.
func (s *Server) Files(ref string) (map[string][]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	tip, ok := s.resolveCommitish(ref)
	if !ok {
		return nil, fmt.Errorf("no commit found for %q", ref)
	}
	c, err := object.GetCommit(s.st, tip)
	if err != nil {
		return nil, err
	}
	leaves, err := s.flatten(c.TreeHash)
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	for p, l := range leaves {
		if l.mode == filemode.Submodule {
			continue
		}
		if out[p], err = s.blob(l.hash); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Commit describes one commit, for tests.
type Commit struct {
	SHA     string
	Tree    string
	Parents []string
	Message string
	Author  string // "Name <email>"
	When    time.Time
}

// Log returns the commits reachable from ref along first parents, newest
// first, stopping after (excluding) stop when stop is not "".
func (s *Server) Log(ref, stop string) ([]Commit, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h, ok := s.resolveCommitish(ref)
	if !ok {
		return nil, fmt.Errorf("no commit found for %q", ref)
	}
	var out []Commit
	for h != plumbing.ZeroHash && h.String() != stop {
		c, err := object.GetCommit(s.st, h)
		if err != nil {
			return nil, err
		}
		cm := Commit{SHA: h.String(), Tree: c.TreeHash.String(), Message: c.Message,
			Author: c.Author.Name + " <" + c.Author.Email + ">", When: c.Author.When}
		for _, p := range c.ParentHashes {
			cm.Parents = append(cm.Parents, p.String())
		}
		out = append(out, cm)
		h = plumbing.ZeroHash
		if len(c.ParentHashes) > 0 {
			h = c.ParentHashes[0]
		}
	}
	return out, nil
}

// PullRequest is a snapshot of a stored pull request, for tests.
type PullRequest struct {
	Number        int
	Title, Body   string
	Head, Base    string
	State         string // "open" or "closed"
	Merged        bool
	Draft         bool
	Labels        []string
	Reviewers     []string
	TeamReviewers []string
}

// PullRequests returns every pull request, oldest first.
func (s *Server) PullRequests() []PullRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]PullRequest, 0, len(s.pulls))
	for _, p := range s.pulls {
		out = append(out, PullRequest{
			Number: p.number, Title: p.title, Body: p.body, Head: p.head, Base: p.base,
			State: p.state, Merged: p.merged, Draft: p.draft,
			Labels:        append([]string(nil), p.labels...),
			Reviewers:     append([]string(nil), p.reviewers...),
			TeamReviewers: append([]string(nil), p.teamReviewers...),
		})
	}
	return out
}

// MergePR merges open pull request n by moving its base branch to the head
// commit, and closes it as merged.
func (s *Server) MergePR(n int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.openPull(n)
	if err != nil {
		return err
	}
	tip, ok := s.branchTip(p.head)
	if !ok {
		return fmt.Errorf("merging #%d: head branch %s is gone", n, p.head)
	}
	p.mergeBase, _ = s.branchTip(p.base)
	if err := s.setBranch(p.base, tip); err != nil {
		return fmt.Errorf("merging #%d: %w", n, err)
	}
	p.state, p.merged, p.updated, p.mergedHead = "closed", true, s.opts.Now(), tip
	return nil
}

// ClosePR closes open pull request n without merging it.
func (s *Server) ClosePR(n int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.openPull(n)
	if err != nil {
		return err
	}
	p.state, p.updated = "closed", s.opts.Now()
	return nil
}

func (s *Server) openPull(n int) (*pull, error) {
	for _, p := range s.pulls {
		if p.number == n {
			if p.state != "open" {
				return nil, fmt.Errorf("pull request #%d is not open", n)
			}
			return p, nil
		}
	}
	return nil, fmt.Errorf("no pull request #%d", n)
}
