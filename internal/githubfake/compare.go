package githubfake

import (
	"net/http"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// compare answers GET /repos/{o}/{r}/compare/{base}...{head} with the part
// of GitHub's answer phasegen reads: status (ahead, behind, diverged,
// identical), ahead_by, behind_by and merge_base_commit. Histories with no
// common ancestor get GitHub's 404 ("No common ancestor between BASE and
// HEAD."); a name that is no branch or commit, its 404 "Not Found".
func (s *Server) compare(r *request) response {
	base, head, ok := strings.Cut(r.params["basehead"], "...")
	if !ok {
		return notFound()
	}
	bh, ok1 := s.resolveCommitish(base)
	hh, ok2 := s.resolveCommitish(head)
	if !ok1 || !ok2 {
		return notFound()
	}
	bc, err := object.GetCommit(s.st, bh)
	if err != nil {
		return errorResponse(http.StatusInternalServerError, err.Error())
	}
	hc, err := object.GetCommit(s.st, hh)
	if err != nil {
		return errorResponse(http.StatusInternalServerError, err.Error())
	}
	mbs, err := bc.MergeBase(hc)
	if err != nil {
		return errorResponse(http.StatusInternalServerError, err.Error())
	}
	if len(mbs) == 0 {
		return errorResponse(http.StatusNotFound, "No common ancestor between "+base+" and "+head+".")
	}
	mb := mbs[0]
	ahead, behind := s.countTo(hh, mb.Hash), s.countTo(bh, mb.Hash)
	status := "diverged"
	switch {
	case ahead == 0 && behind == 0:
		status = "identical"
	case behind == 0:
		status = "ahead"
	case ahead == 0:
		status = "behind"
	}
	return jsonResponse(http.StatusOK, map[string]any{
		"url":               s.repoURL(r) + "/compare/" + r.params["basehead"],
		"status":            status,
		"ahead_by":          ahead,
		"behind_by":         behind,
		"total_commits":     ahead,
		"base_commit":       s.commitJSON(r, bh, bc),
		"merge_base_commit": s.commitJSON(r, mb.Hash, mb),
	})
}

// countTo counts the commits reachable from tip that stop is not an
// ancestor-or-self of.
func (s *Server) countTo(tip, stop plumbing.Hash) int {
	cs, err := s.reachable(tip)
	if err != nil {
		return 0
	}
	n := 0
	for _, c := range cs {
		if c.Hash != stop && !s.reaches(stop, c.Hash) {
			n++
		}
	}
	return n
}
