package githubfake

import (
	"encoding/json"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

func (s *Server) repoURL(r *request) string {
	return r.base + "/repos/" + s.opts.Owner + "/" + s.opts.Repo
}

func (s *Server) refJSON(r *request, branch string, h plumbing.Hash) map[string]any {
	return map[string]any{
		"ref":     "refs/heads/" + branch,
		"node_id": "REF_" + branch,
		"url":     s.repoURL(r) + "/git/refs/heads/" + branch,
		"object": map[string]any{
			"type": "commit",
			"sha":  h.String(),
			"url":  s.repoURL(r) + "/git/commits/" + h.String(),
		},
	}
}

func (s *Server) getRef(r *request) response {
	b := r.params["branch"]
	h, ok := s.branchTip(b)
	if !ok {
		return notFound()
	}
	return jsonResponse(http.StatusOK, s.refJSON(r, b, h))
}

func (s *Server) createRef(r *request) response {
	var in struct {
		Ref *string `json:"ref"`
		SHA *string `json:"sha"`
	}
	if err := json.Unmarshal(r.body, &in); err != nil || in.Ref == nil || in.SHA == nil {
		return errorResponse(http.StatusUnprocessableEntity, "Invalid request.\n\n\"ref\" and \"sha\" are required.")
	}
	b, ok := strings.CutPrefix(*in.Ref, "refs/heads/")
	if !ok || b == "" || strings.Count(*in.Ref, "/") < 2 {
		return errorResponse(http.StatusUnprocessableEntity, "Reference name is invalid")
	}
	h, ok := s.commit(*in.SHA)
	if !ok {
		return errorResponse(http.StatusUnprocessableEntity, "Object does not exist")
	}
	if _, exists := s.branchTip(b); exists {
		return errorResponse(http.StatusUnprocessableEntity, "Reference already exists")
	}
	if err := s.setBranch(b, h); err != nil {
		return errorResponse(http.StatusInternalServerError, err.Error())
	}
	return jsonResponse(http.StatusCreated, s.refJSON(r, b, h))
}

func (s *Server) updateRef(r *request) response {
	var in struct {
		SHA   *string `json:"sha"`
		Force bool    `json:"force"`
	}
	if err := json.Unmarshal(r.body, &in); err != nil || in.SHA == nil {
		return errorResponse(http.StatusUnprocessableEntity, "Invalid request.\n\n\"sha\" is required.")
	}
	b := r.params["branch"]
	old, exists := s.branchTip(b)
	if !exists {
		return errorResponse(http.StatusUnprocessableEntity, "Reference does not exist")
	}
	h, ok := s.commit(*in.SHA)
	if !ok {
		return errorResponse(http.StatusUnprocessableEntity, "Object does not exist")
	}
	if !in.Force && !s.isAncestor(old, h) {
		return errorResponse(http.StatusUnprocessableEntity, "Update is not a fast forward")
	}
	if err := s.setBranch(b, h); err != nil {
		return errorResponse(http.StatusInternalServerError, err.Error())
	}
	return jsonResponse(http.StatusOK, s.refJSON(r, b, h))
}

func (s *Server) deleteRef(r *request) response {
	b := r.params["branch"]
	if _, ok := s.branchTip(b); !ok {
		return errorResponse(http.StatusUnprocessableEntity, "Reference does not exist")
	}
	if err := s.st.RemoveReference(branchRef(b)); err != nil {
		return errorResponse(http.StatusInternalServerError, err.Error())
	}
	return response{status: http.StatusNoContent}
}

// commit returns the commit with id sha when it exists.
func (s *Server) commit(sha string) (plumbing.Hash, bool) {
	if !plumbing.IsHash(sha) {
		return plumbing.ZeroHash, false
	}
	h := plumbing.NewHash(sha)
	t, ok := s.objectType(h)
	return h, ok && t == plumbing.CommitObject
}

func signatureJSON(sig object.Signature) map[string]any {
	return map[string]any{"name": sig.Name, "email": sig.Email, "date": sig.When.UTC().Format(time.RFC3339)}
}

func (s *Server) commitJSON(r *request, h plumbing.Hash, c *object.Commit) map[string]any {
	parents := []any{}
	for _, p := range c.ParentHashes {
		parents = append(parents, map[string]any{
			"sha":      p.String(),
			"url":      s.repoURL(r) + "/git/commits/" + p.String(),
			"html_url": "https://github.com/" + s.opts.Owner + "/" + s.opts.Repo + "/commit/" + p.String(),
		})
	}
	return map[string]any{
		"sha":       h.String(),
		"node_id":   "C_" + h.String(),
		"url":       s.repoURL(r) + "/git/commits/" + h.String(),
		"html_url":  "https://github.com/" + s.opts.Owner + "/" + s.opts.Repo + "/commit/" + h.String(),
		"author":    signatureJSON(c.Author),
		"committer": signatureJSON(c.Committer),
		"message":   c.Message,
		"tree": map[string]any{
			"sha": c.TreeHash.String(),
			"url": s.repoURL(r) + "/git/trees/" + c.TreeHash.String(),
		},
		"parents": parents,
		"verification": map[string]any{
			"verified": false, "reason": "unsigned", "signature": nil, "payload": nil,
		},
	}
}

func (s *Server) getCommit(r *request) response {
	h, ok := s.commit(r.params["sha"])
	if !ok {
		return notFound()
	}
	c, err := object.GetCommit(s.st, h)
	if err != nil {
		return errorResponse(http.StatusInternalServerError, err.Error())
	}
	return jsonResponse(http.StatusOK, s.commitJSON(r, h, c))
}

type signatureIn struct {
	Name  string     `json:"name"`
	Email string     `json:"email"`
	Date  *time.Time `json:"date"`
}

func (s *Server) signature(in *signatureIn, fallback object.Signature) object.Signature {
	if in == nil {
		return fallback
	}
	sig := object.Signature{Name: in.Name, Email: in.Email, When: s.opts.Now()}
	if in.Date != nil {
		sig.When = *in.Date
	}
	return sig
}

func (s *Server) createCommit(r *request) response {
	var in struct {
		Message   *string      `json:"message"`
		Tree      *string      `json:"tree"`
		Parents   []string     `json:"parents"`
		Author    *signatureIn `json:"author"`
		Committer *signatureIn `json:"committer"`
	}
	if err := json.Unmarshal(r.body, &in); err != nil || in.Message == nil || in.Tree == nil {
		return errorResponse(http.StatusUnprocessableEntity, "Invalid request.\n\n\"message\" and \"tree\" are required.")
	}
	tree := plumbing.NewHash(*in.Tree)
	if t, ok := s.objectType(tree); !plumbing.IsHash(*in.Tree) || !ok || t != plumbing.TreeObject {
		return errorResponse(http.StatusUnprocessableEntity, "Tree SHA does not exist")
	}
	var parents []plumbing.Hash
	for _, p := range in.Parents {
		h, ok := s.commit(p)
		if !ok {
			return errorResponse(http.StatusUnprocessableEntity, "Parent SHA does not exist or is not a commit object")
		}
		parents = append(parents, h)
	}
	user := object.Signature{Name: s.opts.Login, Email: s.opts.Login + "@users.noreply.github.com", When: s.opts.Now()}
	author := s.signature(in.Author, user)
	committer := s.signature(in.Committer, author)
	c := &object.Commit{Author: author, Committer: committer, Message: *in.Message, TreeHash: tree, ParentHashes: parents}
	h, err := s.putCommit(c)
	if err != nil {
		return errorResponse(http.StatusInternalServerError, err.Error())
	}
	return jsonResponse(http.StatusCreated, s.commitJSON(r, h, c))
}

func (s *Server) treeEntryJSON(r *request, p string, e object.TreeEntry) map[string]any {
	out := map[string]any{
		"path": p,
		"mode": modeString(e.Mode),
		"type": typeOf(e.Mode),
		"sha":  e.Hash.String(),
	}
	switch typeOf(e.Mode) {
	case "blob":
		if size, err := s.st.EncodedObjectSize(e.Hash); err == nil {
			out["size"] = size
		}
		out["url"] = s.repoURL(r) + "/git/blobs/" + e.Hash.String()
	case "tree":
		out["url"] = s.repoURL(r) + "/git/trees/" + e.Hash.String()
	}
	return out
}

func (s *Server) treeJSON(r *request, h plumbing.Hash, recursive bool) (map[string]any, error) {
	entries := []any{}
	var err error
	if recursive {
		err = s.walk(h, "", func(p string, e object.TreeEntry) error {
			entries = append(entries, s.treeEntryJSON(r, p, e))
			return nil
		})
	} else {
		var t *object.Tree
		t, err = object.GetTree(s.st, h)
		if err == nil {
			for _, e := range t.Entries {
				entries = append(entries, s.treeEntryJSON(r, e.Name, e))
			}
		}
	}
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"sha":       h.String(),
		"url":       s.repoURL(r) + "/git/trees/" + h.String(),
		"tree":      entries,
		"truncated": false,
	}, nil
}

func (s *Server) getTree(r *request) response {
	h, ok := s.resolveTreeish(r.params["sha"])
	if !ok {
		return notFound()
	}
	rec := r.q("recursive")
	out, err := s.treeJSON(r, h, rec != "" && rec != "0" && rec != "false")
	if err != nil {
		return errorResponse(http.StatusInternalServerError, err.Error())
	}
	return jsonResponse(http.StatusOK, out)
}

// createTree follows GitHub: entries are applied on base_tree (when given);
// an entry has inline content (a new blob), or a sha (an existing blob or
// tree), or "sha": null to delete the path, nested paths included.
func (s *Server) createTree(r *request) response {
	var in struct {
		BaseTree string                       `json:"base_tree"`
		Tree     []map[string]json.RawMessage `json:"tree"`
	}
	if err := json.Unmarshal(r.body, &in); err != nil || in.Tree == nil {
		return errorResponse(http.StatusUnprocessableEntity, "Invalid request.\n\n\"tree\" is required.")
	}
	leaves := map[string]leaf{}
	if in.BaseTree != "" {
		h := plumbing.NewHash(in.BaseTree)
		if t, ok := s.objectType(h); !plumbing.IsHash(in.BaseTree) || !ok || t != plumbing.TreeObject {
			return errorResponse(http.StatusUnprocessableEntity, "Invalid tree info")
		}
		var err error
		if leaves, err = s.flatten(h); err != nil {
			return errorResponse(http.StatusInternalServerError, err.Error())
		}
	}
	for _, raw := range in.Tree {
		if resp, ok := s.applyTreeEntry(leaves, raw, in.BaseTree != ""); !ok {
			return resp
		}
	}
	h, err := s.buildTree(leaves)
	if err != nil {
		return errorResponse(http.StatusInternalServerError, err.Error())
	}
	out, err := s.treeJSON(r, h, false)
	if err != nil {
		return errorResponse(http.StatusInternalServerError, err.Error())
	}
	return jsonResponse(http.StatusCreated, out)
}

func (s *Server) applyTreeEntry(leaves map[string]leaf, raw map[string]json.RawMessage, hasBase bool) (response, bool) {
	var p, mode string
	var sha, content *string
	_ = json.Unmarshal(raw["path"], &p)
	_ = json.Unmarshal(raw["mode"], &mode)
	rawSHA, hasSHA := raw["sha"]
	if hasSHA {
		_ = json.Unmarshal(rawSHA, &sha)
	}
	if c, ok := raw["content"]; ok {
		if err := json.Unmarshal(c, &content); err != nil {
			return errorResponse(http.StatusUnprocessableEntity, "Invalid tree info"), false
		}
	}
	if p == "" || strings.HasPrefix(p, "/") || path.Clean(p) != p || p == ".." || strings.HasPrefix(p, "../") {
		return errorResponse(http.StatusUnprocessableEntity, "tree.path contains a malformed path component"), false
	}
	if content != nil && sha != nil {
		return errorResponse(http.StatusUnprocessableEntity, "Must supply either tree.sha or tree.content. Request will be rejected if both are present."), false
	}
	if content == nil && sha == nil {
		if !hasSHA || !hasBase {
			return errorResponse(http.StatusUnprocessableEntity, "Must supply a valid tree.sha or tree.content"), false
		}
		removePath(leaves, p)
		return response{}, true
	}
	fm, err := parseMode(mode)
	if err != nil {
		return errorResponse(http.StatusUnprocessableEntity, "Invalid tree info: "+err.Error()), false
	}
	if content != nil {
		if fm == filemode.Dir || fm == filemode.Submodule {
			return errorResponse(http.StatusUnprocessableEntity, "Invalid tree info"), false
		}
		h, err := s.putBlob([]byte(*content))
		if err != nil {
			return errorResponse(http.StatusInternalServerError, err.Error()), false
		}
		setLeaf(leaves, p, leaf{mode: fm, hash: h})
		return response{}, true
	}
	h := plumbing.NewHash(*sha)
	t, ok := s.objectType(h)
	switch {
	case fm == filemode.Submodule && plumbing.IsHash(*sha):
		setLeaf(leaves, p, leaf{mode: fm, hash: h})
	case !plumbing.IsHash(*sha) || !ok:
		return errorResponse(http.StatusUnprocessableEntity, "GitRPC::BadObjectState"), false
	case t == plumbing.TreeObject && fm == filemode.Dir:
		sub, err := s.flatten(h)
		if err != nil {
			return errorResponse(http.StatusInternalServerError, err.Error()), false
		}
		removePath(leaves, p)
		for k, l := range sub {
			setLeaf(leaves, p+"/"+k, l)
		}
	case t == plumbing.BlobObject && fm != filemode.Dir:
		setLeaf(leaves, p, leaf{mode: fm, hash: h})
	default:
		return errorResponse(http.StatusUnprocessableEntity, "Invalid tree info"), false
	}
	return response{}, true
}
