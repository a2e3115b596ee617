// Package crdtest gives tests Argo CD's CustomResourceDefinitions, read
// from Argo CD's own module as the Go module proxy serves it (the module's
// zip holds manifests/crds/), so a clone of this repository needs nothing
// beside it. The module is downloaded once into the module cache; only the
// zip is read, so the module's own Go version does not matter.
package crdtest

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Module is the Argo CD release whose CRDs the tests validate against.
const Module = "github.com/argoproj/argo-cd/v3@v3.6.0"

// Files of the CRDs in the module.
const (
	Application    = "manifests/crds/application-crd.yaml"
	ApplicationSet = "manifests/crds/applicationset-crd.yaml"
)

// Path returns a file holding the CRD at name (Application or
// ApplicationSet), extracted from the module into a directory of the test.
func Path(t testing.TB, name string) string {
	t.Helper()
	data, err := Read(name)
	if err != nil {
		t.Fatalf("argo cd CRD %s: %v", name, err)
	}
	p := filepath.Join(t.TempDir(), filepath.Base(name))
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// Read returns the CRD file name of the module.
func Read(name string) ([]byte, error) {
	zipPath, err := download()
	if err != nil {
		return nil, err
	}
	z, err := zip.OpenReader(zipPath)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", zipPath, err)
	}
	defer z.Close()
	want := Module + "/" + name
	for _, f := range z.File {
		if f.Name != want {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return nil, err
		}
		defer rc.Close()
		return io.ReadAll(io.LimitReader(rc, 16<<20))
	}
	return nil, fmt.Errorf("%s has no %s", zipPath, name)
}

// download fetches the module's zip into the module cache (a no-op when it
// is there) and returns its path. `go mod download` reports an error for a
// module that needs a newer Go, after it has the zip: the zip is what is
// read.
func download() (string, error) {
	cmd := exec.Command("go", "mod", "download", "-json", Module)
	cmd.Dir = os.TempDir() // outside any module
	cmd.Env = append(os.Environ(), "GOFLAGS=", "GO111MODULE=on")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	runErr := cmd.Run()
	var info struct{ Zip, Error string }
	if err := json.Unmarshal(out.Bytes(), &info); err != nil {
		return "", fmt.Errorf("go mod download %s: %v: %s%s", Module, runErr, out.String(), errb.String())
	}
	if info.Zip == "" {
		return "", fmt.Errorf("go mod download %s: %s", Module, info.Error)
	}
	if _, err := os.Stat(info.Zip); err != nil {
		return "", fmt.Errorf("go mod download %s: %s (%s)", Module, err, info.Error)
	}
	return info.Zip, nil
}
