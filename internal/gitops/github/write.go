package github

import (
	"context"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"path"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/google/go-github/v62/github"

	"github.com/coditect/phasegen/internal/fileset"
	"github.com/coditect/phasegen/internal/gitops"
)

// Write makes c.Head one commit on top of c.Base holding c.Files under
// c.Root (see gitops.Change). It costs a constant number of API calls:
//
//   - Base already holds the content: 2 (base ref, base tree), nothing written;
//   - Head already is that commit: 4 (plus head ref and head commit), nothing written;
//   - otherwise 6 or 7: plus one tree, one commit, and the ref creation
//     (or update; creation that finds the ref already there adds the update).
//
// Only files that are not valid UTF-8 cost one blob upload each, since the
// tree API takes inline content as text.
func (t *Repo) Write(ctx context.Context, c gitops.Change) (gitops.Result, error) {
	res, err := t.write(ctx, c)
	return res, t.redact(err)
}

func (t *Repo) write(ctx context.Context, c gitops.Change) (gitops.Result, error) {
	if err := c.Validate(); err != nil {
		return gitops.Result{}, fmt.Errorf("writing to github: %w", err)
	}
	baseTip, err := t.refSHA(ctx, c.Base)
	if errors.Is(err, gitops.ErrNotFound) {
		return gitops.Result{}, fmt.Errorf("base branch %s not found in %s/%s (or the token cannot read that repository): %w", c.Base, t.owner, t.repo, err)
	}
	if err != nil {
		return gitops.Result{}, err
	}
	tree, err := t.recursiveTree(ctx, c.Base, baseTip)
	if err != nil {
		return gitops.Result{}, err
	}
	p := planChange(tree, c)
	res := gitops.Result{BaseTip: baseTip}
	if len(p.upserts) == 0 && len(p.deletes) == 0 {
		res.UpToDate = true
		return res, nil
	}

	headTip, err := t.refSHA(ctx, c.Head)
	headExists := err == nil
	if err != nil && !errors.Is(err, gitops.ErrNotFound) {
		return res, err
	}
	if headExists {
		var head *github.Commit
		err := t.call(ctx, fmt.Sprintf("reading commit %s of %s", short(headTip), c.Head), func() (*github.Response, error) {
			var resp *github.Response
			var err error
			head, resp, err = t.gh.Git.GetCommit(ctx, t.owner, t.repo, headTip)
			return resp, err
		})
		if err != nil {
			return res, err
		}
		if !gitops.Marked(head.GetMessage(), c.Mark) {
			return res, gitops.ForeignTip(c, short(headTip), head.GetMessage())
		}
		if len(head.Parents) == 1 && head.Parents[0].GetSHA() == baseTip && head.GetTree().GetSHA() == p.tree {
			res.Commit = headTip
			return res, nil
		}
		ok, err := t.descends(ctx, c, baseTip, head)
		if err != nil {
			return res, err
		}
		if !ok {
			res.Replaced = headTip
		}
	}

	entries, err := t.treeEntries(ctx, p)
	if err != nil {
		return res, err
	}
	var newTree *github.Tree
	err = t.call(ctx, "creating tree", func() (*github.Response, error) {
		var resp *github.Response
		var err error
		newTree, resp, err = t.gh.Git.CreateTree(ctx, t.owner, t.repo, tree.GetSHA(), entries)
		return resp, err
	})
	if err != nil {
		return res, err
	}
	commit := &github.Commit{
		Message: github.String(c.Message),
		Tree:    &github.Tree{SHA: newTree.SHA},
		Parents: []*github.Commit{{SHA: github.String(baseTip)}},
	}
	if c.Author.Name != "" {
		sig := &github.CommitAuthor{Name: github.String(c.Author.Name), Email: github.String(c.Author.Email), Date: &github.Timestamp{Time: t.now()}}
		commit.Author, commit.Committer = sig, sig
	}
	var created *github.Commit
	err = t.call(ctx, "creating commit", func() (*github.Response, error) {
		var resp *github.Response
		var err error
		created, resp, err = t.gh.Git.CreateCommit(ctx, t.owner, t.repo, commit, nil)
		return resp, err
	})
	if err != nil {
		return res, err
	}
	if err := t.moveBranch(ctx, c.Head, created.GetSHA(), headExists); err != nil {
		return res, err
	}
	res.Commit, res.Changed = created.GetSHA(), true
	return res, nil
}

// descends reports whether head, the tip of c.Head, shares history with
// the base branch (its tip baseTip): a commit on top of baseTip does; else
// one compare call asks GitHub for their merge base. An unrelated commit
// under that name is an error wrapping gitops.ErrForeignHead, unless
// c.Force (then it reports false, and no compare is asked).
func (t *Repo) descends(ctx context.Context, c gitops.Change, baseTip string, head *github.Commit) (bool, error) {
	for _, p := range head.Parents {
		if p.GetSHA() == baseTip {
			return true, nil
		}
	}
	err := t.call(ctx, fmt.Sprintf("comparing %s with %s", c.Head, c.Base), func() (*github.Response, error) {
		_, resp, err := t.gh.Repositories.CompareCommits(ctx, t.owner, t.repo, baseTip, head.GetSHA(), &github.ListOptions{PerPage: 1})
		return resp, err
	})
	switch {
	case err == nil:
		return true, nil
	case !errors.Is(err, gitops.ErrNotFound) || !strings.Contains(apiMessage(err), "No common ancestor"):
		return false, err
	case c.Force:
		return false, nil
	}
	return false, fmt.Errorf("branch %s is at %s (%q), which does not descend from %s: %w",
		c.Head, short(head.GetSHA()), gitops.Subject(head.GetMessage()), c.Base, gitops.ErrForeignHead)
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

// refSHA returns the commit branch points at; it wraps gitops.ErrNotFound
// when the branch does not exist.
func (t *Repo) refSHA(ctx context.Context, branch string) (string, error) {
	var ref *github.Reference
	err := t.call(ctx, "reading branch "+branch, func() (*github.Response, error) {
		var resp *github.Response
		var err error
		ref, resp, err = t.gh.Git.GetRef(ctx, t.owner, t.repo, "heads/"+branch)
		return resp, err
	})
	if err != nil {
		return "", err
	}
	return ref.GetObject().GetSHA(), nil
}

// moveBranch points branch at sha: creates it, or force-updates it. Either
// way, an answer saying the other case holds (someone created or deleted the
// branch in between, or a lost response to our own creation) switches over.
func (t *Repo) moveBranch(ctx context.Context, branch, sha string, exists bool) error {
	ref := &github.Reference{Ref: github.String("refs/heads/" + branch), Object: &github.GitObject{SHA: github.String(sha)}}
	create := func() error {
		return t.call(ctx, "creating branch "+branch, func() (*github.Response, error) {
			_, resp, err := t.gh.Git.CreateRef(ctx, t.owner, t.repo, ref)
			return resp, err
		})
	}
	update := func() error {
		return t.call(ctx, "moving branch "+branch, func() (*github.Response, error) {
			_, resp, err := t.gh.Git.UpdateRef(ctx, t.owner, t.repo, ref, true)
			return resp, err
		})
	}
	if exists {
		err := update()
		if unprocessable(err, "does not exist") {
			return create()
		}
		return err
	}
	err := create()
	if unprocessable(err, "already exists") {
		t.logf("github: branch %s already exists, created by a concurrent run or by this run's lost request: moving it to %s", branch, short(sha))
		return update()
	}
	return err
}

// upsert is a file Write writes: its full path, mode and content.
type upsert struct {
	path, mode string
	content    []byte
}

// plan is what a change does to Base's tree, and the tree id it gives.
type plan struct {
	upserts []upsert
	deletes []upsert // content unused
	tree    string
}

type entry struct{ mode, typ, sha string }

// planChange compares c with the recursive listing of Base's tree by git
// blob ids, so unchanged files are neither fetched nor sent, and computes
// the id of the resulting tree locally.
func planChange(base *github.Tree, c gitops.Change) plan {
	root := gitops.CleanPrefix(c.Root)
	full := func(rel string) string {
		if root == "" {
			return rel
		}
		return root + "/" + rel
	}
	entries := map[string]entry{}
	for _, e := range base.Entries {
		entries[e.GetPath()] = entry{mode: e.GetMode(), typ: e.GetType(), sha: e.GetSHA()}
	}
	var p plan
	for _, rel := range c.Files.Paths() {
		fp := full(rel)
		content := c.Files[rel]
		old, ok := entries[fp]
		if ok && old.typ == "blob" && (old.mode == "100644" || old.mode == "100755") && old.sha == fileset.BlobHash(content) {
			continue
		}
		mode := "100644"
		if ok && old.mode == "100755" {
			mode = "100755"
		}
		p.upserts = append(p.upserts, upsert{path: fp, mode: mode, content: content})
	}
	for _, fp := range slices.Sorted(maps.Keys(entries)) {
		e := entries[fp]
		if e.typ == "tree" {
			continue
		}
		rel, ok := fp, root == ""
		if !ok {
			rel, ok = strings.CutPrefix(fp, root+"/")
		}
		if !ok || !c.Owns(rel) {
			continue
		}
		if _, keep := c.Files[rel]; !keep {
			p.deletes = append(p.deletes, upsert{path: fp, mode: e.mode})
		}
	}
	if len(p.upserts) > 0 || len(p.deletes) > 0 {
		p.tree = resultTree(entries, p)
	}
	return p
}

// resultTree applies p to the listing entries (modified in place) and
// returns the id git gives the resulting top tree. Unchanged directories
// keep the ids the listing gave them.
func resultTree(entries map[string]entry, p plan) string {
	dirty := map[string]bool{"": true}
	touch := func(fp string) {
		for dir := path.Dir(fp); dir != "."; dir = path.Dir(dir) {
			dirty[dir] = true
			if e, ok := entries[dir]; !ok || e.typ != "tree" {
				entries[dir] = entry{mode: "040000", typ: "tree"}
			}
		}
	}
	removeBelow := func(fp string) {
		for k := range entries {
			if strings.HasPrefix(k, fp+"/") {
				delete(entries, k)
			}
		}
	}
	for _, u := range p.upserts {
		if e, ok := entries[u.path]; ok && e.typ == "tree" {
			removeBelow(u.path)
		}
		entries[u.path] = entry{mode: u.mode, typ: "blob", sha: fileset.BlobHash(u.content)}
		touch(u.path)
	}
	for _, d := range p.deletes {
		delete(entries, d.path)
		touch(d.path)
	}
	children := map[string][]string{}
	for fp := range entries {
		dir := path.Dir(fp)
		if dir == "." {
			dir = ""
		}
		children[dir] = append(children[dir], fp)
	}
	var hashDir func(dir string) string
	hashDir = func(dir string) string {
		if dir != "" && !dirty[dir] {
			return entries[dir].sha
		}
		type line struct{ sortName, mode, name, sha string }
		var lines []line
		for _, fp := range children[dir] {
			e := entries[fp]
			name := path.Base(fp)
			if e.typ == "tree" {
				sha := hashDir(fp)
				if sha == "" {
					continue // an empty directory vanishes, as in git
				}
				lines = append(lines, line{name + "/", "40000", name, sha})
				continue
			}
			lines = append(lines, line{name, strings.TrimLeft(e.mode, "0"), name, e.sha})
		}
		if len(lines) == 0 && dir != "" {
			return ""
		}
		sort.Slice(lines, func(i, j int) bool { return lines[i].sortName < lines[j].sortName })
		var body []byte
		for _, l := range lines {
			raw, err := hex.DecodeString(l.sha)
			if err != nil {
				return "invalid:" + l.sha // never matches a real tree id
			}
			body = append(body, l.mode+" "+l.name+"\x00"...)
			body = append(body, raw...)
		}
		h := sha1.New()
		fmt.Fprintf(h, "tree %d\x00", len(body))
		h.Write(body)
		return hex.EncodeToString(h.Sum(nil))
	}
	return hashDir("")
}

// treeEntries turns p into the entries of one tree creation: inline content
// for text files, an uploaded blob for the rare file that is not UTF-8, and
// "sha": null for deletions.
func (t *Repo) treeEntries(ctx context.Context, p plan) ([]*github.TreeEntry, error) {
	var out []*github.TreeEntry
	for _, u := range p.upserts {
		e := &github.TreeEntry{Path: github.String(u.path), Mode: github.String(u.mode), Type: github.String("blob")}
		if utf8.Valid(u.content) {
			e.Content = github.String(string(u.content))
		} else {
			var blob *github.Blob
			err := t.call(ctx, "uploading "+u.path, func() (*github.Response, error) {
				var resp *github.Response
				var err error
				blob, resp, err = t.gh.Git.CreateBlob(ctx, t.owner, t.repo, &github.Blob{
					Content: github.String(base64.StdEncoding.EncodeToString(u.content)), Encoding: github.String("base64"),
				})
				return resp, err
			})
			if err != nil {
				return nil, err
			}
			e.SHA = blob.SHA
		}
		out = append(out, e)
	}
	for _, d := range p.deletes {
		typ := "blob"
		if d.mode == "160000" {
			typ = "commit"
		}
		out = append(out, &github.TreeEntry{Path: github.String(d.path), Mode: github.String(d.mode), Type: github.String(typ)})
	}
	return out, nil
}
