//go:build tools

// Package argocdbin pins the binaries test/argocd builds and runs: Argo CD
// (one binary for every component, dispatching on ARGOCD_BINARY_NAME) and
// the kustomize its repo-server calls. It is a module of its own because
// Argo CD needs Go 1.27 (GOTOOLCHAIN=go1.27.3 for this module alone) and
// its own replace block; nothing here is imported by phasegen or its tests.
package argocdbin

import (
	_ "github.com/argoproj/argo-cd/v3/cmd"
	_ "sigs.k8s.io/kustomize/kustomize/v5"
)
