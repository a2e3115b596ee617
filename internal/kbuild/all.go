package kbuild

import (
	"bytes"
	"path"
	"sync"

	"github.com/coditect/phasegen/internal/fileset"
	"github.com/coditect/phasegen/internal/parallel"
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
	// Kustomize keeps the OpenAPI schema a kustomization selects in a
	// global: a build whose kustomization has an openapi field runs alone.
	var schema sync.RWMutex
	err := parallel.Do(n, func(i int) error {
		var err error
		out[i], err = buildOne(i, job, &schema)
		return err
	})
	if err != nil {
		return nil, err
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
