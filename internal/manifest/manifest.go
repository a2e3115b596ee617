// Package manifest reads Kubernetes manifests: it splits a YAML stream into
// its objects (keyed by kind and name, for per-object diffs) and decodes
// them, typing the workloads phasegen sizes (Deployments and StatefulSets). The base's
// user-written files are decoded strictly (an unknown field is an error),
// kustomize's output and what a GitOps repository holds leniently.
package manifest

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"go.yaml.in/yaml/v3"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	sigsyaml "sigs.k8s.io/yaml"
)

// Object names a Kubernetes object by kind and name.
type Object struct {
	Kind string // e.g. HorizontalPodAutoscaler
	Name string
	// APIVersion is the object's, as written (Decode sets it).
	APIVersion string
}

func (o Object) String() string { return o.Kind + "/" + o.Name }

// Manifests are the objects of a YAML stream.
type Manifests struct {
	// Objects are every object's kind and name, in stream order.
	Objects []Object
	// StatefulSets are the StatefulSets, by name.
	StatefulSets map[string]*appsv1.StatefulSet
	// Deployments are the Deployments, by name.
	Deployments map[string]*appsv1.Deployment
	// Services are the Services, by name.
	Services map[string]*corev1.Service
	// PodDisruptionBudgets are the PodDisruptionBudgets, by name.
	PodDisruptionBudgets map[string]*policyv1.PodDisruptionBudget
	// ResourceQuotas are the ResourceQuotas, by name.
	ResourceQuotas map[string]*corev1.ResourceQuota
}

// Strictness says how a typed object is decoded.
type Strictness int

const (
	// Lenient ignores fields the Kubernetes types lack (kustomize's output,
	// a file of the GitOps repository written by another version).
	Lenient Strictness = iota
	// Strict refuses them (a file of the base, written by the user).
	Strict
)

// Decode reads a YAML stream of objects. An empty stream has no objects;
// empty documents are skipped. Errors name the document (1-based) and, for
// a typed object, its kind and name.
func Decode(stream []byte, s Strictness) (Manifests, error) {
	m := Manifests{StatefulSets: map[string]*appsv1.StatefulSet{}, Deployments: map[string]*appsv1.Deployment{}, Services: map[string]*corev1.Service{},
		PodDisruptionBudgets: map[string]*policyv1.PodDisruptionBudget{}, ResourceQuotas: map[string]*corev1.ResourceQuota{}}
	dec := yaml.NewDecoder(bytes.NewReader(stream))
	for i := 1; ; i++ {
		var doc map[string]any
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return m, nil
		}
		if err != nil {
			return m, fmt.Errorf("document %d: %w", i, err)
		}
		if doc == nil {
			continue
		}
		kind, _ := doc["kind"].(string)
		md, _ := doc["metadata"].(map[string]any)
		name, _ := md["name"].(string)
		apiVersion, _ := doc["apiVersion"].(string)
		m.Objects = append(m.Objects, Object{Kind: kind, Name: name, APIVersion: apiVersion})
		switch kind {
		case "StatefulSet":
			var sts appsv1.StatefulSet
			if err := typed(doc, &sts, s); err != nil {
				return m, fmt.Errorf("document %d: StatefulSet %s: %w", i, name, err)
			}
			m.StatefulSets[sts.Name] = &sts
		case "Deployment":
			var d appsv1.Deployment
			if err := typed(doc, &d, s); err != nil {
				return m, fmt.Errorf("document %d: Deployment %s: %w", i, name, err)
			}
			m.Deployments[d.Name] = &d
		case "Service":
			var svc corev1.Service
			if err := typed(doc, &svc, s); err != nil {
				return m, fmt.Errorf("document %d: Service %s: %w", i, name, err)
			}
			m.Services[svc.Name] = &svc
		case "PodDisruptionBudget":
			var pdb policyv1.PodDisruptionBudget
			if err := typed(doc, &pdb, s); err != nil {
				return m, fmt.Errorf("document %d: PodDisruptionBudget %s: %w", i, name, err)
			}
			m.PodDisruptionBudgets[pdb.Name] = &pdb
		case "ResourceQuota":
			var q corev1.ResourceQuota
			if err := typed(doc, &q, s); err != nil {
				return m, fmt.Errorf("document %d: ResourceQuota %s: %w", i, name, err)
			}
			m.ResourceQuotas[q.Name] = &q
		}
	}
}

// typed decodes doc into out through JSON, as the API server reads it.
func typed(doc map[string]any, out any, s Strictness) error {
	js, err := sigsyaml.Marshal(doc)
	if err != nil {
		return err
	}
	if s == Strict {
		return sigsyaml.UnmarshalStrict(js, out)
	}
	return sigsyaml.Unmarshal(js, out)
}

// Removed returns the objects of from that to lacks (by kind and name), in
// from's order.
func Removed(from, to []Object) []Object {
	have := map[string]bool{}
	for _, o := range to {
		have[o.String()] = true
	}
	var out []Object
	for _, o := range from {
		if !have[o.String()] {
			out = append(out, o)
		}
	}
	return out
}
