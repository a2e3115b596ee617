package kbuild

import (
	"path"
	"sync"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/coditect/phasegen/internal/fileset"
)

// schemaOnce runs kustomize's one-time set-up before any build. kyaml
// parses its built-in OpenAPI schema into a package-level index on first
// use, and reads that index without its lock once parsing has started:
// two first builds at once race (the race detector sees it). Every build
// waits for this one, so the index is whole before any reads it. It is
// package state because kyaml's is.
var schemaOnce sync.Once

// initSchema builds a small kustomization, so that kyaml's schema is
// parsed (about 30 ms) before the first real build.
func initSchema() {
	fs := filesys.MakeFsInMemory()
	for p, data := range warmFiles() {
		if err := fs.WriteFile(path.Join(root, p), data); err != nil {
			return
		}
	}
	_, _ = krusty.MakeKustomizer(Options()).Run(fs, path.Join(root, "k"))
}

// Warm does kustomize's one-time set-up now (see schemaOnce), so that the
// first real build does not wait for it. A caller runs it on another
// goroutine while it loads its configuration; it is safe to call
// concurrently with Build, which waits for it.
func Warm() { schemaOnce.Do(initSchema) }

func warmFiles() fileset.Set {
	return fileset.Set{
		"k/kustomization.yaml": []byte(`apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: warm
resources:
- sts.yaml
patches:
- path: patch.yaml
`),
		"k/sts.yaml": []byte(`apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: warm
spec:
  replicas: 1
  template:
    spec:
      containers:
      - name: warm
        image: warm
`),
		"k/patch.yaml": []byte(`apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: warm
spec:
  replicas: 2
  template:
    spec:
      containers:
      - name: warm
        resources:
          requests:
            cpu: 1m
`),
	}
}
