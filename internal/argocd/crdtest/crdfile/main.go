// Command crdfile prints, as one YAML stream, the CRDs of every custom
// resource phasegen writes (crdtest.All), read from their projects' Go
// modules through the module proxy. The kube-apiserver test module
// (test/kube), whose dependency graph is its own, installs them this way.
//
//	go run ./internal/argocd/crdtest/crdfile > crds.yaml
package main

import (
	"fmt"
	"os"

	"github.com/coditect/phasegen/internal/argocd/crdtest"
)

func main() {
	data, err := crdtest.All()
	if err != nil {
		fmt.Fprintln(os.Stderr, "crdfile:", err)
		os.Exit(1)
	}
	if _, err := os.Stdout.Write(data); err != nil {
		fmt.Fprintln(os.Stderr, "crdfile:", err)
		os.Exit(1)
	}
}
