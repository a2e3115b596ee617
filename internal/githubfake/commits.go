package githubfake

import (
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// listCommits answers GET /repos/{o}/{r}/commits?sha=REF&path=P&per_page=N&page=K
// as GitHub does: the commits reachable from REF (default branch when
// absent), newest committer date first, and with path only those that are
// not the same as any of their parents for it (git log's default history
// simplification, so a merge commit that took the file from one parent is
// left out and the commit that changed it is listed). per_page defaults to
// 30, at most 100.
func (s *Server) listCommits(r *request) response {
	ref := r.q("sha")
	if ref == "" {
		ref = s.opts.DefaultBranch
	}
	tip, ok := s.resolveCommitish(ref)
	if !ok {
		return errorResponse(http.StatusNotFound, "No commit found for SHA: "+ref)
	}
	perPage, page := 30, 1
	if v := r.q("per_page"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			perPage = min(n, 100)
		}
	}
	if v := r.q("page"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			page = n
		}
	}
	commits, err := s.reachable(tip)
	if err != nil {
		return errorResponse(http.StatusInternalServerError, err.Error())
	}
	p := r.q("path")
	var picked []*object.Commit
	for _, c := range commits {
		if p != "" {
			changed, err := s.changes(c, p)
			if err != nil {
				return errorResponse(http.StatusInternalServerError, err.Error())
			}
			if !changed {
				continue
			}
		}
		picked = append(picked, c)
	}
	out := []any{}
	for i := (page - 1) * perPage; i < len(picked) && i < page*perPage; i++ {
		out = append(out, s.listedCommitJSON(r, picked[i]))
	}
	return jsonResponse(http.StatusOK, out)
}

// reachable returns every commit reachable from tip, newest committer date
// first (ties by id, for a stable answer).
func (s *Server) reachable(tip plumbing.Hash) ([]*object.Commit, error) {
	seen := map[plumbing.Hash]bool{}
	var out []*object.Commit
	todo := []plumbing.Hash{tip}
	for len(todo) > 0 {
		h := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		if seen[h] {
			continue
		}
		seen[h] = true
		c, err := object.GetCommit(s.st, h)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
		todo = append(todo, c.ParentHashes...)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i].Committer.When, out[j].Committer.When
		if !a.Equal(b) {
			return a.After(b)
		}
		return out[i].Hash.String() < out[j].Hash.String()
	})
	return out, nil
}

// changes reports whether c is not TREESAME to any of its parents for file
// p (for a root commit: whether it has p).
func (s *Server) changes(c *object.Commit, p string) (bool, error) {
	own, err := s.fileHash(c.TreeHash, p)
	if err != nil {
		return false, err
	}
	if len(c.ParentHashes) == 0 {
		return !own.IsZero(), nil
	}
	for _, ph := range c.ParentHashes {
		pc, err := object.GetCommit(s.st, ph)
		if err != nil {
			return false, err
		}
		theirs, err := s.fileHash(pc.TreeHash, p)
		if err != nil {
			return false, err
		}
		if theirs == own {
			return false, nil
		}
	}
	return true, nil
}

func (s *Server) fileHash(tree plumbing.Hash, p string) (plumbing.Hash, error) {
	t, err := object.GetTree(s.st, tree)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	e, err := t.FindEntry(p)
	if err != nil || !e.Mode.IsFile() {
		return plumbing.ZeroHash, nil
	}
	return e.Hash, nil
}

// listedCommitJSON is one element of the commits list, GitHub's shape.
func (s *Server) listedCommitJSON(r *request, c *object.Commit) map[string]any {
	sha := c.Hash.String()
	html := "https://github.com/" + s.opts.Owner + "/" + s.opts.Repo + "/commit/"
	sig := func(g object.Signature) map[string]any {
		return map[string]any{"name": g.Name, "email": g.Email, "date": g.When.UTC().Format(time.RFC3339)}
	}
	parents := []any{}
	for _, p := range c.ParentHashes {
		parents = append(parents, map[string]any{"sha": p.String(), "url": s.repoURL(r) + "/commits/" + p.String(), "html_url": html + p.String()})
	}
	return map[string]any{
		"sha":     sha,
		"node_id": "C_" + sha,
		"commit": map[string]any{
			"author":        sig(c.Author),
			"committer":     sig(c.Committer),
			"message":       c.Message,
			"tree":          map[string]any{"sha": c.TreeHash.String(), "url": s.repoURL(r) + "/git/trees/" + c.TreeHash.String()},
			"url":           s.repoURL(r) + "/git/commits/" + sha,
			"comment_count": 0,
			"verification":  map[string]any{"verified": false, "reason": "unsigned", "signature": nil, "payload": nil},
		},
		"url":          s.repoURL(r) + "/commits/" + sha,
		"html_url":     html + sha,
		"comments_url": s.repoURL(r) + "/commits/" + sha + "/comments",
		"author":       nil,
		"committer":    nil,
		"parents":      parents,
	}
}

// commitPulls answers GET /repos/{o}/{r}/commits/{sha}/pulls: the merged
// pull requests that brought the commit into their base (reachable from the
// head they merged, not from the base before), and the open ones whose head
// holds it, in GitHub's pull request shape.
func (s *Server) commitPulls(r *request) response {
	h, ok := s.commit(r.params["sha"])
	if !ok {
		return errorResponse(http.StatusUnprocessableEntity, "No commit found for SHA: "+r.params["sha"])
	}
	out := []any{}
	for _, p := range s.pulls {
		var in bool
		switch {
		case p.merged:
			in = s.reaches(p.mergedHead, h) && (p.mergeBase.IsZero() || !s.reaches(p.mergeBase, h))
		case p.state == "open":
			if tip, ok := s.branchTip(p.head); ok {
				in = s.reaches(tip, h)
			}
		}
		if in {
			out = append(out, s.pullJSON(r, p))
		}
	}
	return jsonResponse(http.StatusOK, out)
}

// reaches reports whether commit want is from or one of its ancestors.
func (s *Server) reaches(from, want plumbing.Hash) bool {
	if from.IsZero() {
		return false
	}
	all, err := s.reachable(from)
	if err != nil {
		return false
	}
	for _, c := range all {
		if c.Hash == want {
			return true
		}
	}
	return false
}
