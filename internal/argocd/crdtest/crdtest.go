// Package crdtest gives tests the CustomResourceDefinitions of the objects
// phasegen writes: Argo CD's, read from Argo CD's own module as the Go
// module proxy serves it (the module's zip holds manifests/crds/), and the
// Prometheus Operator's PrometheusRule, from its module the same way, so a
// clone of this repository needs nothing beside it. The module is downloaded once into the module cache; only the
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

// PrometheusOperator is the Prometheus Operator release whose
// PrometheusRule CRD the tests install (the newest the proxy serves of
// the repository's root module).
const PrometheusOperator = "github.com/prometheus-operator/prometheus-operator@v0.85.0"

// PrometheusRule is the file of its CRD in that module.
const PrometheusRule = "example/prometheus-operator-crd/monitoring.coreos.com_prometheusrules.yaml"

// Files of the CRDs in Argo CD's module.
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

// Read returns the CRD file name of Argo CD's module.
func Read(name string) ([]byte, error) {
	return ReadFrom(Module, name)
}

// ReadFrom returns the file name of module (path@version), read from the
// module's zip as the Go module proxy serves it; other projects' CRDs
// (the Prometheus Operator's PrometheusRule) come the same way.
func ReadFrom(module, name string) ([]byte, error) {
	zipPath, err := download(module)
	if err != nil {
		return nil, err
	}
	z, err := zip.OpenReader(zipPath)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", zipPath, err)
	}
	defer z.Close()
	want := module + "/" + name
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
func download(module string) (string, error) {
	cmd := exec.Command("go", "mod", "download", "-json", module)
	cmd.Dir = os.TempDir() // outside any module
	cmd.Env = append(os.Environ(), "GOFLAGS=", "GO111MODULE=on")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	runErr := cmd.Run()
	var info struct{ Zip, Error string }
	if err := json.Unmarshal(out.Bytes(), &info); err != nil {
		return "", fmt.Errorf("go mod download %s: %v: %s%s", module, runErr, out.String(), errb.String())
	}
	if info.Zip == "" {
		return "", fmt.Errorf("go mod download %s: %s", module, info.Error)
	}
	if _, err := os.Stat(info.Zip); err != nil {
		return "", fmt.Errorf("go mod download %s: %s (%s)", module, err, info.Error)
	}
	return info.Zip, nil
}

// All returns, as one YAML stream, the CRDs of every custom resource
// phasegen writes: Argo CD's Application and ApplicationSet and the
// Prometheus Operator's PrometheusRule.
func All() ([]byte, error) {
	var out bytes.Buffer
	for _, f := range []struct{ module, name string }{
		{Module, Application}, {Module, ApplicationSet}, {PrometheusOperator, PrometheusRule},
	} {
		data, err := ReadFrom(f.module, f.name)
		if err != nil {
			return nil, err
		}
		out.WriteString("---\n")
		out.Write(bytes.TrimPrefix(data, []byte("---\n")))
		if !bytes.HasSuffix(data, []byte("\n")) {
			out.WriteByte('\n')
		}
	}
	return out.Bytes(), nil
}
