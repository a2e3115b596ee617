package promote_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/storage"

	"github.com/coditect/phasegen/internal/fileset"
	"github.com/coditect/phasegen/internal/gitops"
	"github.com/coditect/phasegen/internal/gitops/local"
	"github.com/coditect/phasegen/internal/promote"
)

// fleetRepo is a repository holding the shipped app's production at
// pre-launch and apps other apps × 3 environments, each environment's tree
// the shipped one with its names replaced, so no two apps share a blob. It
// returns the repository and the blob ids of the other apps' files.
func fleetRepo(tb testing.TB, f fixture, apps int) (string, map[string]bool) {
	tb.Helper()
	dir := seeded(tb, f)
	held := fileset.Set{}
	other := map[string]bool{}
	tree := f.tree(tb, f.b, "production", "pre-launch")
	for i := range apps {
		app := fmt.Sprintf("app%03d", i)
		for _, env := range []string{"production", "staging", "dev"} {
			rep := strings.NewReplacer("coditect", app, "production", env)
			for p, data := range tree {
				out := []byte(rep.Replace(string(data)))
				held["apps/"+app+"/"+rep.Replace(p)] = out
				other[plumbing.ComputeHash(plumbing.BlobObject, out).String()] = true
			}
		}
	}
	if apps == 0 {
		return dir, other
	}
	r, err := local.Open(dir)
	if err != nil {
		tb.Fatal(err)
	}
	res, err := r.Write(ctx, gitops.Change{Base: "main", Head: "fleet", Files: held, Message: "300 environments\n",
		Author: gitops.Signature{Name: "seed", Email: "seed@example.com"}})
	if err != nil || !res.Changed {
		tb.Fatalf("seeding the fleet: %v", err)
	}
	merge(tb, dir, "fleet")
	return dir, other
}

// blobReads counts the blobs read through a repository's storage.
type blobReads struct {
	storage.Storer
	mu   sync.Mutex
	read map[string]bool
}

func (b *blobReads) EncodedObject(t plumbing.ObjectType, h plumbing.Hash) (plumbing.EncodedObject, error) {
	obj, err := b.Storer.EncodedObject(t, h)
	if err == nil && obj.Type() == plumbing.BlobObject {
		b.mu.Lock()
		b.read[h.String()] = true
		b.mu.Unlock()
	}
	return obj, err
}

// Performance: in a repository of 100 other apps × 3 environments, a local
// promotion reads no other app's blob: it lists trees, and reads its own
// environment's files only.
func TestPromoteReadsNoOtherAppsBlobs(t *testing.T) {
	f := shipped(t)
	dir, other := fleetRepo(t, f, 100)
	counter := &blobReads{read: map[string]bool{}}
	r, err := local.OpenWith(dir, local.Options{Now: func() time.Time { return fixedNow }, Storage: func(s storage.Storer) storage.Storer {
		counter.Storer = s
		return counter
	}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := promote.Promote(ctx, f.opts(r, "beta")); err != nil {
		t.Fatal(err)
	}
	var theirs []string
	for h := range counter.read {
		if other[h] {
			theirs = append(theirs, h)
		}
	}
	if len(theirs) > 0 || len(counter.read) == 0 {
		t.Errorf("the promotion read %d blobs, %d of other apps'", len(counter.read), len(theirs))
	}
	t.Logf("blobs read: %d (the repository holds %d of other apps')", len(counter.read), len(other))
}

// BenchmarkPromoteInFleet: a dry-run promotion (every read, build, gate and
// the body; no write) of one environment in a repository of one app, and in
// one of 100 more apps × 3 environments.
func BenchmarkPromoteInFleet(b *testing.B) {
	f := shipped(b)
	for _, apps := range []int{0, 100} {
		b.Run(fmt.Sprintf("other-apps=%d", apps), func(b *testing.B) {
			dir, _ := fleetRepo(b, f, apps)
			r, err := local.Open(dir)
			if err != nil {
				b.Fatal(err)
			}
			o := f.opts(r, "beta")
			o.DryRun = true
			for b.Loop() {
				if _, err := promote.Promote(ctx, o); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
