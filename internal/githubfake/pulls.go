package githubfake

import (
	"github.com/go-git/go-git/v5/plumbing"

	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// pull is a stored pull request.
type pull struct {
	number        int
	title, body   string
	head, base    string // branch names
	state         string // "open" or "closed"
	merged        bool
	draft         bool
	labels        []string
	reviewers     []string
	teamReviewers []string
	created       time.Time
	updated       time.Time
	// mergeBase and mergedHead are the base's and head's tips when the
	// pull request was merged (commits/{sha}/pulls).
	mergeBase, mergedHead plumbing.Hash
}

func (s *Server) pullJSON(r *request, p *pull) map[string]any {
	reviewers := []any{}
	for _, l := range p.reviewers {
		reviewers = append(reviewers, map[string]any{"login": l, "type": "User"})
	}
	teams := []any{}
	for _, t := range p.teamReviewers {
		teams = append(teams, map[string]any{"slug": t, "name": t})
	}
	branch := func(b string) map[string]any {
		sha := ""
		if h, ok := s.branchTip(b); ok {
			sha = h.String()
		}
		return map[string]any{
			"label": s.opts.Owner + ":" + b,
			"ref":   b,
			"sha":   sha,
			"user":  map[string]any{"login": s.opts.Owner},
			"repo":  map[string]any{"name": s.opts.Repo, "full_name": s.opts.Owner + "/" + s.opts.Repo},
		}
	}
	out := map[string]any{
		"id":                  1000 + p.number,
		"node_id":             fmt.Sprintf("PR_%d", p.number),
		"number":              p.number,
		"state":               p.state,
		"title":               p.title,
		"body":                p.body,
		"draft":               p.draft,
		"merged":              p.merged,
		"url":                 fmt.Sprintf("%s/pulls/%d", s.repoURL(r), p.number),
		"html_url":            fmt.Sprintf("https://github.com/%s/%s/pull/%d", s.opts.Owner, s.opts.Repo, p.number),
		"user":                map[string]any{"login": s.opts.Login},
		"head":                branch(p.head),
		"base":                branch(p.base),
		"labels":              s.labelsJSON(p),
		"requested_reviewers": reviewers,
		"requested_teams":     teams,
		"created_at":          p.created.UTC().Format(time.RFC3339),
		"updated_at":          p.updated.UTC().Format(time.RFC3339),
	}
	if p.state == "closed" {
		out["closed_at"] = p.updated.UTC().Format(time.RFC3339)
	}
	if p.merged {
		out["merged_at"] = p.updated.UTC().Format(time.RFC3339)
	}
	return out
}

// headBranch accepts "branch" or "owner:branch" (same owner only).
func (s *Server) headBranch(h string) (string, bool) {
	if owner, b, ok := strings.Cut(h, ":"); ok {
		return b, strings.EqualFold(owner, s.opts.Owner)
	}
	return h, true
}

func (s *Server) findPull(r *request) (*pull, response, bool) {
	n, err := strconv.Atoi(r.params["number"])
	if err != nil {
		return nil, notFound(), false
	}
	for _, p := range s.pulls {
		if p.number == n {
			return p, response{}, true
		}
	}
	return nil, notFound(), false
}

func (s *Server) listPulls(r *request) response {
	state := r.q("state")
	if state == "" {
		state = "open"
	}
	var head string
	headOK := true
	if h := r.q("head"); h != "" {
		head, headOK = s.headBranch(h)
	}
	base := r.q("base")
	out := []any{}
	for _, p := range s.pulls {
		switch {
		case !headOK:
		case state != "all" && p.state != state:
		case head != "" && p.head != head:
		case base != "" && p.base != base:
		default:
			out = append(out, s.pullJSON(r, p))
		}
	}
	return jsonResponse(http.StatusOK, out)
}

func (s *Server) openPullFor(head string) *pull {
	for _, p := range s.pulls {
		if p.state == "open" && p.head == head {
			return p
		}
	}
	return nil
}

func (s *Server) createPull(r *request) response {
	var in struct {
		Title *string `json:"title"`
		Head  string  `json:"head"`
		Base  string  `json:"base"`
		Body  string  `json:"body"`
		Draft bool    `json:"draft"`
	}
	if err := json.Unmarshal(r.body, &in); err != nil {
		return errorResponse(http.StatusBadRequest, "Problems parsing JSON")
	}
	if in.Title == nil || *in.Title == "" {
		return validationFailed("PullRequest", "title", "missing_field", "")
	}
	head, ok := s.headBranch(in.Head)
	headTip, exists := s.branchTip(head)
	if !ok || !exists {
		return validationFailed("PullRequest", "head", "invalid", "")
	}
	baseTip, exists := s.branchTip(in.Base)
	if !exists {
		return validationFailed("PullRequest", "base", "invalid", "")
	}
	if p := s.openPullFor(head); p != nil {
		return validationFailed("PullRequest", "", "custom", "A pull request already exists for "+s.opts.Owner+":"+head+".")
	}
	if s.isAncestor(headTip, baseTip) {
		return validationFailed("PullRequest", "", "custom", "No commits between "+in.Base+" and "+head)
	}
	now := s.opts.Now()
	p := &pull{
		number: s.nextNumber(), title: *in.Title, body: in.Body, head: head, base: in.Base,
		state: "open", draft: in.Draft, created: now, updated: now,
	}
	s.pulls = append(s.pulls, p)
	return jsonResponse(http.StatusCreated, s.pullJSON(r, p))
}

// nextNumber returns the next issue number; pulls share the issue sequence.
func (s *Server) nextNumber() int {
	return len(s.pulls) + 1
}

func (s *Server) getPull(r *request) response {
	p, resp, ok := s.findPull(r)
	if !ok {
		return resp
	}
	return jsonResponse(http.StatusOK, s.pullJSON(r, p))
}

func (s *Server) editPull(r *request) response {
	p, resp, ok := s.findPull(r)
	if !ok {
		return resp
	}
	var in struct {
		Title *string `json:"title"`
		Body  *string `json:"body"`
		State *string `json:"state"`
		Base  *string `json:"base"`
	}
	if err := json.Unmarshal(r.body, &in); err != nil {
		return errorResponse(http.StatusBadRequest, "Problems parsing JSON")
	}
	if in.State != nil && *in.State != "open" && *in.State != "closed" {
		return validationFailed("PullRequest", "state", "invalid", "")
	}
	if in.State != nil && *in.State == "open" && p.state == "closed" {
		if p.merged {
			return validationFailed("PullRequest", "state", "invalid", "")
		}
		if q := s.openPullFor(p.head); q != nil {
			return validationFailed("PullRequest", "", "custom", "A pull request already exists for "+s.opts.Owner+":"+p.head+".")
		}
	}
	if in.Base != nil {
		if _, ok := s.branchTip(*in.Base); !ok {
			return validationFailed("PullRequest", "base", "invalid", "")
		}
		p.base = *in.Base
	}
	if in.Title != nil {
		p.title = *in.Title
	}
	if in.Body != nil {
		p.body = *in.Body
	}
	if in.State != nil {
		p.state = *in.State
	}
	p.updated = s.opts.Now()
	return jsonResponse(http.StatusOK, s.pullJSON(r, p))
}

func (s *Server) requestReviewers(r *request) response {
	p, resp, ok := s.findPull(r)
	if !ok {
		return resp
	}
	var in struct {
		Reviewers     []string `json:"reviewers"`
		TeamReviewers []string `json:"team_reviewers"`
	}
	if err := json.Unmarshal(r.body, &in); err != nil {
		return errorResponse(http.StatusBadRequest, "Problems parsing JSON")
	}
	for _, l := range in.Reviewers {
		if strings.EqualFold(l, s.opts.Login) {
			return errorResponse(http.StatusUnprocessableEntity, "Review cannot be requested from pull request author.")
		}
	}
	p.reviewers = union(p.reviewers, in.Reviewers)
	p.teamReviewers = union(p.teamReviewers, in.TeamReviewers)
	return jsonResponse(http.StatusCreated, s.pullJSON(r, p))
}

func (s *Server) labelsJSON(p *pull) []any {
	out := []any{}
	for i, l := range p.labels {
		out = append(out, map[string]any{"id": i + 1, "name": l, "color": "ededed", "default": false})
	}
	return out
}

func (s *Server) listLabels(r *request) response {
	p, resp, ok := s.findPull(r)
	if !ok {
		return resp
	}
	return jsonResponse(http.StatusOK, s.labelsJSON(p))
}

// addLabels accepts a JSON array of names or {"labels": [...]}, as GitHub does.
func (s *Server) addLabels(r *request) response {
	p, resp, ok := s.findPull(r)
	if !ok {
		return resp
	}
	var names []string
	if err := json.Unmarshal(r.body, &names); err != nil {
		var in struct {
			Labels []string `json:"labels"`
		}
		if err := json.Unmarshal(r.body, &in); err != nil {
			return errorResponse(http.StatusBadRequest, "Problems parsing JSON")
		}
		names = in.Labels
	}
	p.labels = union(p.labels, names)
	return jsonResponse(http.StatusOK, s.labelsJSON(p))
}

func union(have, add []string) []string {
	out := append([]string(nil), have...)
	for _, a := range add {
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}
