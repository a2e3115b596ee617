package argocd

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"text/template"

	"sigs.k8s.io/yaml"
)

// Expand returns the Applications an ApplicationSet generates, the way Argo
// CD's ApplicationSet controller does for what phasegen writes: list
// generators, goTemplate (text/template; Argo CD adds Sprig functions, which
// phasegen's templates do not use), goTemplateOptions, every string of the
// template (map keys too) rendered on its own with the element's values, then
// templatePatch rendered and merged in as Argo CD's strategic merge patch does
// on Application (maps merge, lists are replaced, null deletes). Every
// Application is put in the ApplicationSet's namespace, whatever the template
// says, as the controller does to keep the appsets-in-any-namespace security
// boundary (a template's namespace counts only for an ApplicationSet without
// one, which phasegen never writes). Anything else (other
// generators, fasttemplate, a patch of a merge-by-key list) is an error rather
// than a guess.
func Expand(appset []byte) ([]App, error) {
	var set struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name      string `json:"name"`
			Namespace string `json:"namespace"`
		} `json:"metadata"`
		Spec struct {
			GoTemplate        bool                         `json:"goTemplate"`
			GoTemplateOptions []string                     `json:"goTemplateOptions"`
			Generators        []map[string]json.RawMessage `json:"generators"`
			Template          map[string]any               `json:"template"`
			TemplatePatch     *string                      `json:"templatePatch"`
		} `json:"spec"`
	}
	js, err := yaml.YAMLToJSON(appset)
	if err != nil {
		return nil, fmt.Errorf("expanding applicationset: %w", err)
	}
	if err := json.Unmarshal(js, &set); err != nil {
		return nil, fmt.Errorf("expanding applicationset: %w", err)
	}
	name := set.Metadata.Name
	if set.APIVersion != APIVersion || set.Kind != KindApplicationSet {
		return nil, fmt.Errorf("expanding applicationset %s: not an %s %s", name, APIVersion, KindApplicationSet)
	}
	if !set.Spec.GoTemplate {
		return nil, fmt.Errorf("expanding applicationset %s: only goTemplate is supported", name)
	}
	for _, o := range set.Spec.GoTemplateOptions {
		// template.Option panics on an option it does not know.
		switch o {
		case "missingkey=default", "missingkey=invalid", "missingkey=zero", "missingkey=error":
		default:
			return nil, fmt.Errorf("expanding applicationset %s: unsupported goTemplateOptions %q", name, o)
		}
	}
	elements, err := listElements(set.Spec.Generators)
	if err != nil {
		return nil, fmt.Errorf("expanding applicationset %s: %w", name, err)
	}
	r := renderer{options: set.Spec.GoTemplateOptions}
	apps := make([]App, 0, len(elements))
	for i, params := range elements {
		obj, err := r.value(set.Spec.Template, params)
		if err != nil {
			return nil, fmt.Errorf("expanding applicationset %s: element %d: template: %w", name, i, err)
		}
		if set.Spec.TemplatePatch != nil {
			obj, err = r.patch(obj, *set.Spec.TemplatePatch, params)
			if err != nil {
				return nil, fmt.Errorf("expanding applicationset %s: element %d: templatePatch: %w", name, i, err)
			}
		}
		app, err := toApp(obj, set.Metadata.Namespace)
		if err != nil {
			return nil, fmt.Errorf("expanding applicationset %s: element %d: %w", name, i, err)
		}
		apps = append(apps, app)
	}
	return apps, nil
}

// listElements returns the elements of list generators, in order.
func listElements(gens []map[string]json.RawMessage) ([]map[string]any, error) {
	var out []map[string]any
	for i, g := range gens {
		raw, ok := g["list"]
		if !ok || len(g) != 1 {
			return nil, fmt.Errorf("generator %d: only a list generator is supported", i)
		}
		var list struct {
			Elements []map[string]any `json:"elements"`
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&list); err != nil {
			return nil, fmt.Errorf("generator %d: list: %w", i, err)
		}
		out = append(out, list.Elements...)
	}
	return out, nil
}

type renderer struct {
	options []string
}

// text renders one template string with params.
func (r renderer) text(tmpl string, params map[string]any) (string, error) {
	t := template.New("")
	for _, o := range r.options {
		t = t.Option(o)
	}
	t, err := t.Parse(tmpl)
	if err != nil {
		return "", fmt.Errorf("parsing %q: %w", tmpl, err)
	}
	var b strings.Builder
	if err := t.Execute(&b, params); err != nil {
		return "", fmt.Errorf("executing %q: %w", tmpl, err)
	}
	return b.String(), nil
}

// value renders every string and map key in v, returning a copy.
func (r renderer) value(v any, params map[string]any) (any, error) {
	switch x := v.(type) {
	case string:
		return r.text(x, params)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			key, err := r.text(k, params)
			if err != nil {
				return nil, err
			}
			if out[key], err = r.value(e, params); err != nil {
				return nil, err
			}
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			var err error
			if out[i], err = r.value(e, params); err != nil {
				return nil, err
			}
		}
		return out, nil
	default:
		return v, nil
	}
}

// patch renders patch with params and merges it into obj.
func (r renderer) patch(obj any, patch string, params map[string]any) (any, error) {
	text, err := r.text(patch, params)
	if err != nil {
		return nil, err
	}
	js, err := yaml.YAMLToJSON([]byte(text))
	if err != nil {
		return nil, fmt.Errorf("rendered patch is not YAML: %w\n%s", err, text)
	}
	var p any
	if err := json.Unmarshal(js, &p); err != nil {
		return nil, fmt.Errorf("rendered patch: %w", err)
	}
	if p == nil {
		return obj, nil
	}
	return merge(obj, p, "")
}

// mergedByKey are the Application lists a strategic merge patch merges
// instead of replacing; merge refuses to guess at them.
var mergedByKey = map[string]bool{"metadata.finalizers": true, "metadata.ownerReferences": true}

// merge applies patch to obj: objects merge key by key, null deletes, and
// anything else replaces.
func merge(obj, patch any, at string) (any, error) {
	pm, ok := patch.(map[string]any)
	if !ok {
		if mergedByKey[at] {
			return nil, fmt.Errorf("%s: patching a merge-by-key list is not supported", at)
		}
		return patch, nil
	}
	om, ok := obj.(map[string]any)
	if !ok {
		om = map[string]any{}
	}
	out := make(map[string]any, len(om)+len(pm))
	for k, v := range om {
		out[k] = v
	}
	for k, v := range pm {
		path := k
		if at != "" {
			path = at + "." + k
		}
		if strings.HasPrefix(k, "$") {
			return nil, fmt.Errorf("%s: patch directives are not supported", path)
		}
		if v == nil {
			delete(out, k)
			continue
		}
		m, err := merge(out[k], v, path)
		if err != nil {
			return nil, err
		}
		out[k] = m
	}
	return out, nil
}

// toApp turns a generated object into an App, refusing fields App lacks.
func toApp(obj any, namespace string) (App, error) {
	m, ok := obj.(map[string]any)
	if !ok {
		return App{}, errors.New("template is not an object")
	}
	js, err := json.Marshal(m)
	if err != nil {
		return App{}, err
	}
	var app App
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&app); err != nil {
		return App{}, fmt.Errorf("generated application: %w", err)
	}
	app.APIVersion, app.Kind = APIVersion, KindApplication
	if namespace != "" {
		app.Metadata.Namespace = namespace
	}
	return app, nil
}
