package githubfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// maxCommentChars is GitHub's limit on a comment body, in characters.
const maxCommentChars = 65536

// firstCommentID is the id of the first comment; GitHub's are large numbers.
const firstCommentID = 2000000001

// comment is a stored issue (pull request) comment.
type comment struct {
	id      int64
	issue   int
	body    string
	login   string
	created time.Time
	updated time.Time
}

// commentRoutes are the issue comment endpoints, registered in match.
func commentRoutes() []struct{ method, pattern string } {
	return []struct{ method, pattern string }{
		{http.MethodGet, "issues/{number}/comments"},
		{http.MethodPost, "issues/{number}/comments"},
		{http.MethodPatch, "issues/comments/{id}"},
	}
}

// handleComments answers the comment routes; ok is false for other routes.
func (s *Server) handleComments(r *request) (response, bool) {
	switch r.method + " " + r.route {
	case "GET issues/{number}/comments":
		return s.listComments(r), true
	case "POST issues/{number}/comments":
		return s.createComment(r), true
	case "PATCH issues/comments/{id}":
		return s.editComment(r), true
	}
	return response{}, false
}

func (s *Server) commentJSON(r *request, c *comment) map[string]any {
	return map[string]any{
		"id":                 c.id,
		"node_id":            fmt.Sprintf("IC_%d", c.id),
		"url":                fmt.Sprintf("%s/issues/comments/%d", s.repoURL(r), c.id),
		"html_url":           fmt.Sprintf("https://github.com/%s/%s/pull/%d#issuecomment-%d", s.opts.Owner, s.opts.Repo, c.issue, c.id),
		"issue_url":          fmt.Sprintf("%s/issues/%d", s.repoURL(r), c.issue),
		"body":               c.body,
		"user":               map[string]any{"login": c.login, "id": 1, "type": "Bot"},
		"author_association": "NONE",
		"created_at":         c.created.UTC().Format(time.RFC3339),
		"updated_at":         c.updated.UTC().Format(time.RFC3339),
	}
}

// commentIssue returns the pull request number a comment route names, or
// GitHub's 404 when there is no such pull request.
func (s *Server) commentIssue(r *request, doc string) (int, response, bool) {
	n, err := strconv.Atoi(r.params["number"])
	if err == nil {
		for _, p := range s.pulls {
			if p.number == n {
				return n, response{}, true
			}
		}
	}
	return 0, jsonResponse(http.StatusNotFound, map[string]string{
		"message": "Not Found", "documentation_url": "https://docs.github.com/rest/issues/comments#" + doc,
	}), false
}

// listComments pages as GitHub does: per_page (default 30, at most 100),
// page from 1, and a Link header with rel="next" and rel="last" while more
// pages follow.
func (s *Server) listComments(r *request) response {
	n, resp, ok := s.commentIssue(r, "list-issue-comments")
	if !ok {
		return resp
	}
	per, page := 30, 1
	if v, err := strconv.Atoi(r.q("per_page")); err == nil && v > 0 {
		per = min(v, 100)
	}
	if v, err := strconv.Atoi(r.q("page")); err == nil && v > 0 {
		page = v
	}
	var all []*comment
	for _, c := range s.comments {
		if c.issue == n {
			all = append(all, c)
		}
	}
	out := []any{}
	for i := (page - 1) * per; i < len(all) && i < page*per; i++ {
		out = append(out, s.commentJSON(r, all[i]))
	}
	resp = jsonResponse(http.StatusOK, out)
	if last := (len(all) + per - 1) / per; page < last {
		link := func(p int, rel string) string {
			return fmt.Sprintf(`<%s/issues/%d/comments?page=%d&per_page=%d>; rel="%s"`, s.repoURL(r), n, p, per, rel)
		}
		resp.header = http.Header{"Link": {link(page+1, "next") + ", " + link(last, "last")}}
	}
	return resp
}

// commentBody decodes {"body": ...} and applies GitHub's validation.
func commentBody(r *request) (string, response, bool) {
	var in struct {
		Body *string `json:"body"`
	}
	if err := json.Unmarshal(r.body, &in); err != nil {
		return "", errorResponse(http.StatusBadRequest, "Problems parsing JSON"), false
	}
	fail := func(code, msg string) response {
		e := map[string]string{"resource": "IssueComment", "code": code, "field": "body"}
		if msg != "" {
			e["message"] = msg
		}
		return jsonResponse(http.StatusUnprocessableEntity, map[string]any{
			"message":           "Validation Failed",
			"errors":            []any{e},
			"documentation_url": "https://docs.github.com/rest/issues/comments#create-an-issue-comment",
		})
	}
	switch {
	case in.Body == nil || strings.TrimSpace(*in.Body) == "":
		return "", fail("missing_field", ""), false
	case utf8.RuneCountInString(*in.Body) > maxCommentChars:
		return "", fail("custom", fmt.Sprintf("body is too long (maximum is %d characters)", maxCommentChars)), false
	}
	return *in.Body, response{}, true
}

func (s *Server) createComment(r *request) response {
	n, resp, ok := s.commentIssue(r, "create-an-issue-comment")
	if !ok {
		return resp
	}
	body, resp, ok := commentBody(r)
	if !ok {
		return resp
	}
	now := s.opts.Now()
	c := &comment{id: firstCommentID + int64(len(s.comments)), issue: n, body: body, login: s.login(r.header.Get("Authorization")), created: now, updated: now}
	s.comments = append(s.comments, c)
	return jsonResponse(http.StatusCreated, s.commentJSON(r, c))
}

func (s *Server) editComment(r *request) response {
	id, err := strconv.ParseInt(r.params["id"], 10, 64)
	var c *comment
	for _, x := range s.comments {
		if err == nil && x.id == id {
			c = x
		}
	}
	if c == nil {
		return jsonResponse(http.StatusNotFound, map[string]string{
			"message": "Not Found", "documentation_url": "https://docs.github.com/rest/issues/comments#update-an-issue-comment",
		})
	}
	body, resp, ok := commentBody(r)
	if !ok {
		return resp
	}
	c.body, c.updated = body, s.opts.Now()
	return jsonResponse(http.StatusOK, s.commentJSON(r, c))
}

// Comment is a snapshot of a stored comment, for tests.
type Comment struct {
	ID    int64
	Issue int
	Body  string
	Login string
}

// Comments returns every comment on pull request n, oldest first.
func (s *Server) Comments(n int) []Comment {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Comment
	for _, c := range s.comments {
		if c.issue == n {
			out = append(out, Comment{ID: c.id, Issue: c.issue, Body: c.body, Login: c.login})
		}
	}
	return out
}

// AddComment stores a comment on pull request n as login wrote it (a
// reviewer's, or one left by an earlier run), for tests.
func (s *Server) AddComment(n int, login, body string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	found := false
	for _, p := range s.pulls {
		found = found || p.number == n
	}
	if !found {
		return fmt.Errorf("no pull request #%d", n)
	}
	now := s.opts.Now()
	s.comments = append(s.comments, &comment{id: firstCommentID + int64(len(s.comments)), issue: n, body: body, login: login, created: now, updated: now})
	return nil
}

// OpenPR opens a pull request of head (created from base's tip with one
// commit when missing) into base, as a person would, and returns its
// number: for tests of what runs on a pull request.
func (s *Server) OpenPR(head, base, title string) (int, error) {
	if _, ok := s.Branch(head); !ok {
		if _, err := s.CommitFiles(head, title, map[string][]byte{".pr-" + head: []byte(title + "\n")}); err != nil {
			return 0, err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.branchTip(base); !ok {
		return 0, fmt.Errorf("no branch %s", base)
	}
	now := s.opts.Now()
	p := &pull{number: s.nextNumber(), title: title, head: head, base: base, state: "open", created: now, updated: now}
	s.pulls = append(s.pulls, p)
	return p.number, nil
}
