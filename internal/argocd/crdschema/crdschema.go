// Package crdschema validates objects against the openAPIV3Schema of a
// CustomResourceDefinition, as an API server would, for tests. It knows the
// subset of the structural-schema language that Argo CD's CRDs use (type,
// properties, required, items, additionalProperties, enum, format, minLength,
// pattern, nullable, x-kubernetes-preserve-unknown-fields,
// x-kubernetes-int-or-string and its anyOf, atomic list and map types) and
// refuses to load a schema that uses anything else, so a keyword it does not
// check can never pass silently.
//
// Unlike an API server, which prunes fields its schema lacks, Validate reports
// them: for a generator, a field the schema lacks is a bug.
package crdschema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"

	"sigs.k8s.io/yaml"
)

// Schema is one node of an openAPIV3Schema.
type Schema struct {
	Description          string             `json:"description,omitempty"`
	Type                 string             `json:"type,omitempty"`
	Format               string             `json:"format,omitempty"`
	Properties           map[string]*Schema `json:"properties,omitempty"`
	Required             []string           `json:"required,omitempty"`
	Items                *Schema            `json:"items,omitempty"`
	AdditionalProperties *Additional        `json:"additionalProperties,omitempty"`
	Enum                 []any              `json:"enum,omitempty"`
	Nullable             bool               `json:"nullable,omitempty"`
	MinLength            *int               `json:"minLength,omitempty"`
	Pattern              string             `json:"pattern,omitempty"`
	AnyOf                []*Schema          `json:"anyOf,omitempty"`
	PreserveUnknown      bool               `json:"x-kubernetes-preserve-unknown-fields,omitempty"`
	IntOrString          bool               `json:"x-kubernetes-int-or-string,omitempty"`
	ListType             string             `json:"x-kubernetes-list-type,omitempty"`
	MapType              string             `json:"x-kubernetes-map-type,omitempty"`

	pattern *regexp.Regexp
}

// Additional is additionalProperties: a schema, or a bare true/false.
type Additional struct {
	Allowed bool
	Schema  *Schema
}

// UnmarshalJSON reads a bool or a schema.
func (a *Additional) UnmarshalJSON(b []byte) error {
	if err := json.Unmarshal(b, &a.Allowed); err == nil {
		return nil
	}
	a.Allowed = true
	return strictJSON(b, &a.Schema)
}

// crd is the part of a CustomResourceDefinition that holds its schemas.
type crd struct {
	Spec struct {
		Versions []struct {
			Name   string `json:"name"`
			Schema struct {
				OpenAPIV3Schema json.RawMessage `json:"openAPIV3Schema"`
			} `json:"schema"`
		} `json:"versions"`
	} `json:"spec"`
}

// Load reads the CRD in file and returns the schema of its version. The
// schema is decoded strictly: a keyword this package does not know is an
// error, not a check skipped.
func Load(file, version string) (*Schema, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("loading crd schema: %w", err)
	}
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil, fmt.Errorf("loading crd schema %s: %w", file, err)
	}
	var c crd
	if err := json.Unmarshal(js, &c); err != nil {
		return nil, fmt.Errorf("loading crd schema %s: %w", file, err)
	}
	for _, v := range c.Spec.Versions {
		if v.Name != version {
			continue
		}
		if len(v.Schema.OpenAPIV3Schema) == 0 {
			return nil, fmt.Errorf("loading crd schema %s version %s: no openAPIV3Schema", file, version)
		}
		var s Schema
		if err := strictJSON(v.Schema.OpenAPIV3Schema, &s); err != nil {
			return nil, fmt.Errorf("loading crd schema %s version %s: %w", file, version, err)
		}
		if err := s.compile("<root>"); err != nil {
			return nil, fmt.Errorf("loading crd schema %s version %s: %w", file, version, err)
		}
		return &s, nil
	}
	return nil, fmt.Errorf("loading crd schema %s: no version %q", file, version)
}

func strictJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

var knownTypes = map[string]bool{"": true, "object": true, "array": true, "string": true, "integer": true, "number": true, "boolean": true}

var knownFormats = map[string]bool{"": true, "int32": true, "int64": true, "date-time": true}

// compile checks the schema uses only what Validate implements and compiles
// its patterns.
func (s *Schema) compile(at string) error {
	if !knownTypes[s.Type] {
		return fmt.Errorf("%s: unsupported type %q", at, s.Type)
	}
	if !knownFormats[s.Format] {
		return fmt.Errorf("%s: unsupported format %q", at, s.Format)
	}
	if s.ListType != "" && s.ListType != "atomic" {
		return fmt.Errorf("%s: unsupported x-kubernetes-list-type %q", at, s.ListType)
	}
	if s.MapType != "" && s.MapType != "atomic" {
		return fmt.Errorf("%s: unsupported x-kubernetes-map-type %q", at, s.MapType)
	}
	if len(s.AnyOf) > 0 && !s.IntOrString {
		return fmt.Errorf("%s: anyOf is supported only with x-kubernetes-int-or-string", at)
	}
	if s.Type == "" && !s.IntOrString && !s.PreserveUnknown {
		return fmt.Errorf("%s: no type", at)
	}
	if s.Pattern != "" {
		re, err := regexp.Compile(s.Pattern)
		if err != nil {
			return fmt.Errorf("%s: pattern: %w", at, err)
		}
		s.pattern = re
	}
	for name, p := range s.Properties {
		if err := p.compile(at + "." + name); err != nil {
			return err
		}
	}
	if s.Items != nil {
		if err := s.Items.compile(at + "[]"); err != nil {
			return err
		}
	}
	if s.AdditionalProperties != nil && s.AdditionalProperties.Schema != nil {
		if err := s.AdditionalProperties.Schema.compile(at + ".*"); err != nil {
			return err
		}
	}
	return nil
}

// ValidateYAML parses one YAML document and validates it as a custom
// resource: against s, with its root metadata checked as ObjectMeta.
func (s *Schema) ValidateYAML(doc []byte) error {
	js, err := yaml.YAMLToJSON(doc)
	if err != nil {
		return fmt.Errorf("parsing object: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber()
	var obj any
	if err := dec.Decode(&obj); err != nil {
		return fmt.Errorf("parsing object: %w", err)
	}
	return s.Validate(obj)
}

// Validate checks obj (as decoded by encoding/json with UseNumber) against
// the schema and returns every problem found, joined.
func (s *Schema) Validate(obj any) error {
	var errs []error
	v := validator{report: func(err error) { errs = append(errs, err) }}
	root, ok := obj.(map[string]any)
	if !ok {
		return errors.New("<root>: must be an object")
	}
	// The API server validates metadata as ObjectMeta, whatever the CRD says.
	rest := make(map[string]any, len(root))
	for k, val := range root {
		if k != "metadata" {
			rest[k] = val
		}
	}
	if md, ok := root["metadata"]; ok {
		v.check(objectMeta, md, "metadata")
	}
	withoutMeta := *s
	withoutMeta.Properties = make(map[string]*Schema, len(s.Properties))
	for k, p := range s.Properties {
		if k != "metadata" {
			withoutMeta.Properties[k] = p
		}
	}
	withoutMeta.Required = nil
	for _, r := range s.Required {
		if r == "metadata" {
			if _, ok := root["metadata"]; !ok {
				v.fail("metadata", "required field is missing")
			}
			continue
		}
		withoutMeta.Required = append(withoutMeta.Required, r)
	}
	v.check(&withoutMeta, rest, "")
	return errors.Join(errs...)
}
