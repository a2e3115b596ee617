package kbuild

import "github.com/coditect/phasegen/internal/fileset"

// Warm builds a small kustomization and discards the result, so that
// kustomize's one-time set-up (chiefly parsing its built-in OpenAPI
// schema, about 30 ms, during which other builds wait) is done before the
// first real build. A caller runs it on another goroutine while it loads
// its configuration; it is safe to call concurrently with Build.
func Warm() {
	_, _ = Build(warmFiles(), "k")
}

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
