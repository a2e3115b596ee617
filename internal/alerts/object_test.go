package alerts

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/coditect/phasegen/internal/config"
	"github.com/coditect/phasegen/internal/printer"

	"sigs.k8s.io/yaml"
)

// The directly built object is exactly what the JSON round trip of the
// struct gives, for every shipped environment at every phase (with and
// without autoscaling, with and without a next phase) and for the edge
// cases of omitempty and nil slices; and the rule printed from it is what
// sigs.k8s.io/yaml prints for the struct.
func TestObjectIsTheJSONRoundTrip(t *testing.T) {
	s := loadSet(t)
	var objs []prometheusRule
	for _, env := range s.Environments {
		for _, p := range s.Phases {
			for _, phase := range []*config.Phase{p, fixedPhase(p)} {
				groups, err := Groups(env, phase, seed(t, s))
				if err != nil {
					t.Fatal(err)
				}
				objs = append(objs, ruleObject(env, "coditect-combined", groups))
			}
			out, err := PrometheusRule(env, p, seed(t, s))
			if err != nil {
				t.Fatal(err)
			}
			groups, _ := Groups(env, p, seed(t, s))
			if _, ok := printer.Print(ruleObject(env, "coditect-combined", groups).object()); !ok {
				t.Errorf("%s at %s: the printer declines the rule (a slow path for every build)", env.Metadata.Name, p.Metadata.Name)
			}
			want, err := yaml.Marshal(ruleObject(env, "coditect-combined", groups))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out, want) {
				t.Errorf("%s at %s: PrometheusRule differs from sigs.k8s.io/yaml:\n%s\n---\n%s", env.Metadata.Name, p.Metadata.Name, out, want)
			}
		}
	}
	objs = append(objs,
		prometheusRule{},
		prometheusRule{Spec: RuleGroups{Groups: []Group{{Name: "g"}}}},
		prometheusRule{Spec: RuleGroups{Groups: []Group{{Name: "g", Rules: []Rule{{Alert: "a", Labels: map[string]string{}, Annotations: map[string]string{"k": ""}}}}}}},
	)
	for _, o := range objs {
		j, err := json.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		var want any
		if err := json.Unmarshal(j, &want); err != nil {
			t.Fatal(err)
		}
		if got := o.object(); !reflect.DeepEqual(any(got), want) {
			t.Errorf("object() = %#v\nJSON round trip = %#v", got, want)
		}
	}
}
