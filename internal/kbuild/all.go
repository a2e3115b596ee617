package kbuild

import (
	"bytes"
	"path"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/coditect/phasegen/internal/fileset"
)

// Job is one build: a file set and the kustomization directory in it, as
// Build takes them.
type Job struct {
	Files fileset.Set
	Dir   string
}

// BuildAll builds n kustomizations concurrently, on as many goroutines as
// GOMAXPROCS allows, and returns their outputs in index order, each exactly
// what Build returns. job(i) produces the i-th job; it runs on the workers
// too, so rendering is spread over the cores as well, and must be safe to
// call concurrently. On failure BuildAll returns the error of the lowest
// index that failed (jobs after it may not have run), as a loop over the
// indices would.
func BuildAll(n int, job func(i int) (Job, error)) ([][]byte, error) {
	out := make([][]byte, n)
	errs := make([]error, n)
	workers := min(runtime.GOMAXPROCS(0), n)
	var next atomic.Int64
	// failed is the lowest index that failed so far (n: none); jobs after
	// it are skipped, jobs before it still run so the reported error is the
	// first in order.
	var failed atomic.Int64
	failed.Store(int64(n))
	// Kustomize keeps the OpenAPI schema a kustomization selects in a
	// global: a build whose kustomization has an openapi field runs alone.
	var schema sync.RWMutex
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || int64(i) > failed.Load() {
					return
				}
				out[i], errs[i] = buildOne(i, job, &schema)
				if errs[i] != nil {
					for {
						f := failed.Load()
						if int64(i) >= f || failed.CompareAndSwap(f, int64(i)) {
							break
						}
					}
				}
			}
		}()
	}
	wg.Wait()
	if f := int(failed.Load()); f < n {
		return nil, errs[f]
	}
	return out, nil
}

func buildOne(i int, job func(i int) (Job, error), schema *sync.RWMutex) ([]byte, error) {
	j, err := job(i)
	if err != nil {
		return nil, err
	}
	if bytes.Contains(j.Files[path.Join(j.Dir, "kustomization.yaml")], []byte("openapi")) ||
		bytes.Contains(j.Files[path.Join(j.Dir, "kustomization.yml")], []byte("openapi")) ||
		bytes.Contains(j.Files[path.Join(j.Dir, "Kustomization")], []byte("openapi")) {
		schema.Lock()
		defer schema.Unlock()
	} else {
		schema.RLock()
		defer schema.RUnlock()
	}
	return Build(j.Files, j.Dir)
}
