package argocd

import (
	"fmt"
	"reflect"
	"sort"

	"sigs.k8s.io/yaml"

	"github.com/coditect/phasegen/internal/printer"
)

// UpsertAppSet returns the ApplicationSet called name that a GitOps
// repository should hold once its environment is at its phase: data (the
// ApplicationSet the repository holds, as phasegen wrote it) with that
// environment's list element put in, replacing the element of the same
// Application or added in Application order, every other element as it
// was. Empty data gives an ApplicationSet with that one element, so the
// repository's ApplicationSet lists exactly the environments promoted into
// it. data must be an ApplicationSet phasegen wrote: one list generator and
// phasegen's template; anything else is refused rather than rewritten.
func UpsertAppSet(data []byte, name string, it Item) ([]byte, error) {
	fresh, err := NewAppSet(name, []Item{it})
	if err != nil {
		return nil, err
	}
	if len(data) == 0 {
		return marshalAppSet(fresh)
	}
	var held AppSet
	if err := yaml.UnmarshalStrict(data, &held); err != nil {
		return nil, fmt.Errorf("argocd applicationset %s: reading it: %w", name, err)
	}
	if err := sameShape(&held, fresh); err != nil {
		return nil, fmt.Errorf("argocd applicationset %s: %w", name, err)
	}
	el := fresh.Spec.Generators[0].List.Elements[0]
	app := elementApp(el)
	elements := held.Spec.Generators[0].List.Elements
	replaced := false
	for i, e := range elements {
		if elementApp(e) == app {
			elements[i] = el
			replaced = true
		}
	}
	if !replaced {
		elements = append(elements, el)
		sort.SliceStable(elements, func(i, j int) bool { return elementApp(elements[i]) < elementApp(elements[j]) })
	}
	fresh.Spec.Generators[0].List.Elements = elements
	return marshalAppSet(fresh)
}

// sameShape checks that held is an ApplicationSet phasegen wrote under
// fresh's name: everything but the list's elements equal to fresh, and
// every element naming its environment and Application.
func sameShape(held, fresh *AppSet) error {
	if len(held.Spec.Generators) != 1 || held.Spec.Generators[0].List == nil {
		return fmt.Errorf("not one list generator: not an ApplicationSet phasegen wrote")
	}
	for _, e := range held.Spec.Generators[0].List.Elements {
		if _, ok := e[keyEnv].(string); !ok {
			return fmt.Errorf("a list element without %q: not an ApplicationSet phasegen wrote", keyEnv)
		}
		if _, ok := e[keyName].(string); !ok {
			return fmt.Errorf("a list element without %q: not an ApplicationSet this phasegen wrote: render it again (phasegen render --appset %s) and commit it first", keyName, fresh.Metadata.Name)
		}
	}
	if held.Metadata.Namespace != fresh.Metadata.Namespace {
		return fmt.Errorf("it is in namespace %s but this environment's Application belongs in %s (spec.argocd.namespace), "+
			"and Argo CD's ApplicationSet controller puts every Application it generates in the ApplicationSet's own namespace: "+
			"give the environments of one ApplicationSet the same spec.argocd.namespace, or, if the repository's copy was edited, "+
			"render it again (phasegen render --appset %s) and commit it first",
			held.Metadata.Namespace, fresh.Metadata.Namespace, fresh.Metadata.Name)
	}
	a, b := *held, *fresh
	a.Spec.Generators, b.Spec.Generators = nil, nil
	if !reflect.DeepEqual(a, b) {
		return fmt.Errorf("its name, namespace or template differ from what this phasegen writes: render it again (phasegen render --appset %s) and commit it first", fresh.Metadata.Name)
	}
	return nil
}

// elementApp is the name of the Application a list element yields.
func elementApp(e map[string]any) string {
	name, _ := e[keyName].(string)
	return name
}

func marshalAppSet(set *AppSet) ([]byte, error) {
	out, err := printer.Marshal(set)
	if err != nil {
		return nil, fmt.Errorf("argocd applicationset %s: %w", set.Metadata.Name, err)
	}
	return out, nil
}
