package githubfake

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// maxContentSize is the size above which the contents API returns no inline
// content (encoding "none"), as GitHub does for files over 1 MB.
const maxContentSize = 1 << 20

func (s *Server) getBlob(r *request) response {
	sha := r.params["sha"]
	h := plumbing.NewHash(sha)
	if t, ok := s.objectType(h); !plumbing.IsHash(sha) || !ok || t != plumbing.BlobObject {
		return notFound()
	}
	b, err := s.blob(h)
	if err != nil {
		return errorResponse(http.StatusInternalServerError, err.Error())
	}
	if strings.Contains(r.header.Get("Accept"), "raw") {
		return response{status: http.StatusOK, header: http.Header{"Content-Type": {"application/octet-stream"}}, body: b}
	}
	return jsonResponse(http.StatusOK, map[string]any{
		"sha":      sha,
		"node_id":  "B_" + sha,
		"size":     len(b),
		"url":      s.repoURL(r) + "/git/blobs/" + sha,
		"content":  wrapBase64(b),
		"encoding": "base64",
	})
}

func (s *Server) createBlob(r *request) response {
	var in struct {
		Content  *string `json:"content"`
		Encoding string  `json:"encoding"`
	}
	if err := json.Unmarshal(r.body, &in); err != nil || in.Content == nil {
		return errorResponse(http.StatusUnprocessableEntity, "Invalid request.\n\n\"content\" is required.")
	}
	b := []byte(*in.Content)
	switch in.Encoding {
	case "", "utf-8":
		if !utf8.Valid(b) {
			return errorResponse(http.StatusUnprocessableEntity, "content is not valid UTF-8")
		}
	case "base64":
		var err error
		if b, err = base64.StdEncoding.DecodeString(*in.Content); err != nil {
			return errorResponse(http.StatusUnprocessableEntity, "content is not valid Base64")
		}
	default:
		return errorResponse(http.StatusUnprocessableEntity, "encoding must be utf-8 or base64")
	}
	h, err := s.putBlob(b)
	if err != nil {
		return errorResponse(http.StatusInternalServerError, err.Error())
	}
	return jsonResponse(http.StatusCreated, map[string]any{"sha": h.String(), "url": s.repoURL(r) + "/git/blobs/" + h.String()})
}

// wrapBase64 encodes b the way GitHub does: base64 in lines of 60 characters.
func wrapBase64(b []byte) string {
	enc := base64.StdEncoding.EncodeToString(b)
	var sb strings.Builder
	for len(enc) > 60 {
		sb.WriteString(enc[:60])
		sb.WriteByte('\n')
		enc = enc[60:]
	}
	sb.WriteString(enc)
	if sb.Len() > 0 {
		sb.WriteByte('\n')
	}
	return sb.String()
}

func (s *Server) getContents(r *request) response {
	ref := r.q("ref")
	if ref == "" {
		ref = s.opts.DefaultBranch
	}
	tip, ok := s.resolveCommitish(ref)
	if !ok {
		return errorResponse(http.StatusNotFound, "No commit found for the ref "+ref)
	}
	c, err := object.GetCommit(s.st, tip)
	if err != nil {
		return errorResponse(http.StatusInternalServerError, err.Error())
	}
	p := r.params["path"]
	root, err := object.GetTree(s.st, c.TreeHash)
	if err != nil {
		return errorResponse(http.StatusInternalServerError, err.Error())
	}
	e, err := root.FindEntry(p)
	if err != nil {
		return notFound()
	}
	html := "https://github.com/" + s.opts.Owner + "/" + s.opts.Repo + "/blob/" + ref + "/" + p
	item := func(p string, e *object.TreeEntry) map[string]any {
		m := map[string]any{
			"type":     map[string]string{"tree": "dir", "blob": "file", "commit": "submodule"}[typeOf(e.Mode)],
			"name":     path.Base(p),
			"path":     p,
			"sha":      e.Hash.String(),
			"size":     0,
			"url":      s.repoURL(r) + "/contents/" + p + "?ref=" + ref,
			"html_url": html,
			"git_url":  s.repoURL(r) + "/git/" + map[bool]string{true: "trees", false: "blobs"}[e.Mode == filemode.Dir] + "/" + e.Hash.String(),
		}
		if e.Mode != filemode.Dir {
			if size, err := s.st.EncodedObjectSize(e.Hash); err == nil {
				m["size"] = size
			}
		}
		return m
	}
	if e.Mode == filemode.Dir {
		t, err := object.GetTree(s.st, e.Hash)
		if err != nil {
			return errorResponse(http.StatusInternalServerError, err.Error())
		}
		list := []any{}
		for i := range t.Entries {
			list = append(list, item(p+"/"+t.Entries[i].Name, &t.Entries[i]))
		}
		return jsonResponse(http.StatusOK, list)
	}
	out := item(p, e)
	if e.Mode == filemode.Submodule {
		return jsonResponse(http.StatusOK, out)
	}
	b, err := s.blob(e.Hash)
	if err != nil {
		return errorResponse(http.StatusInternalServerError, err.Error())
	}
	if e.Mode == filemode.Symlink {
		out["type"] = "symlink"
		out["target"] = string(b)
	}
	if len(b) > maxContentSize {
		out["content"], out["encoding"] = "", "none"
	} else {
		out["content"], out["encoding"] = wrapBase64(b), "base64"
	}
	out["download_url"] = "https://raw.githubusercontent.com/" + s.opts.Owner + "/" + s.opts.Repo + "/" + ref + "/" + p
	return jsonResponse(http.StatusOK, out)
}
