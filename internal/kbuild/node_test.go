package kbuild

import (
	"reflect"
	"testing"

	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
)

// nodeObject gives exactly what yaml.v3's decoder and jsonRoundTrip give,
// whenever it does not decline.
func FuzzNodeObject(f *testing.F) {
	for _, s := range []string{
		"a: b\n",
		"apiVersion: v1\nkind: Service\nmetadata:\n  name: x\n  labels: {app: x}\nspec:\n  ports:\n  - port: 80\n    targetPort: http\n  clusterIP: None\n",
		"n: -1\nz: 0\nlead: 007\nhex: 0x1F\noct: 0o17\nbig: 99999999999999999999\nneg0: -0\nplus: +1\nund: 1_000\nf: 1.5\ne: 1e3\n",
		"t: true\nT: True\ny: yes\nn: no\non: on\nnull1: null\nnull2: ~\nnull3:\nN: Null\n",
		"s: 'quoted'\nd: \"10800\"\nq: \"true\"\nbin: !!binary aGVsbG8=\ntagged: !!str 10\nint: !!int 10\ncustom: !foo bar\n",
		"1: one\ntrue: yes\n~: nothing\n? [a]\n: b\n",
		"a: &x {b: 1}\nc: *x\n",
		"a: 1\na: 2\n",
		"ts: 2001-12-14\nts2: 2001-12-14t21:59:43.10Z\n",
		"list:\n- - nested\n- {}\n- []\n- \"\\xff\"\n",
		"multi: |\n  line one\n  line two\nfolded: >\n  a\n  b\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		rn, err := kyaml.Parse(doc)
		if err != nil {
			return
		}
		n := rn.YNode()
		got, ok := nodeObject(n)
		if !ok {
			return
		}
		v := map[string]interface{}{}
		if err := n.Decode(&v); err != nil {
			t.Fatalf("nodeObject takes %q, yaml.v3 fails: %v", doc, err)
		}
		want, ok := jsonRoundTrip(v)
		if !ok {
			t.Fatalf("nodeObject takes %q, jsonRoundTrip declines it", doc)
		}
		if !reflect.DeepEqual(any(got), want) {
			t.Fatalf("%q:\nnodeObject %#v\ndecoded    %#v", doc, got, want)
		}
	})
}
