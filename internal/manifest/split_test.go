package manifest

import (
	"strings"
	"testing"
)

// builtStream is a stream as kustomize prints it: top-level kind, metadata
// with its name among other keys, nested names that are not metadata.name.
const builtStream = `apiVersion: v1
kind: Service
metadata:
  annotations:
    phasegen.dev/phase: beta
  labels:
    app: coditect-combined
  name: coditect-combined
  namespace: coditect-app
spec:
  ports:
  - name: http
    port: 80
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: coditect-combined
spec:
  serviceName: coditect-combined
  template:
    spec:
      containers:
      - name: coditect-combined
        image: x
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: coditect-combined-hpa
spec:
  scaleTargetRef:
    kind: StatefulSet
    name: coditect-combined
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: coditect-combined-pdb
---
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: coditect-combined-alerts
spec:
  groups:
  - name: coditect-combined.rules
`

// slowKey is how Split keys a document by decoding it.
func slowKey(doc string) (string, bool) {
	m, err := Decode([]byte(doc), Lenient)
	if err != nil || len(m.Objects) != 1 {
		return "", false
	}
	return m.Objects[0].Kind + "/" + m.Objects[0].Name, true
}

// TestPlainKindNameMatchesDecoding: for every object of a built stream the
// line reader gives the key the decoder gives, and never a wrong one on
// tricky documents.
func TestPlainKindNameMatchesDecoding(t *testing.T) {
	docs := documents(builtStream)
	if len(docs) != 5 {
		t.Fatalf("%d documents, want 5", len(docs))
	}
	for _, doc := range docs {
		kind, name, ok := plainKindName(doc)
		want, _ := slowKey(doc)
		if !ok || kind+"/"+name != want {
			t.Errorf("line reader %q/%q (%v), decoder %q:\n%s", kind, name, ok, want, doc)
		}
	}
	if got := Split([]byte(builtStream)).Paths(); len(got) != 5 || got[0] != "HorizontalPodAutoscaler/coditect-combined-hpa" {
		t.Errorf("Split keys: %v", got)
	}
	for _, doc := range []string{
		"kind: A\nmetadata:\n  name: 'x'\n",            // quoted
		"kind: A\nmetadata: {name: x}\n",               // flow
		"kind: A\nmetadata:\n  name: true\n",           // a boolean
		"kind: A\nmetadata:\n  name: 012\n",            // a number
		"kind: A\nmetadata:\n  name: x # comment\n",    // a comment
		"kind: A\nkind: B\nmetadata:\n  name: x\n",     // repeated
		"kind: A\nmetadata:\n  labels:\n    name: x\n", // not metadata.name
		"- kind: A\n",                 // a list
		"kind: A\nspec:\n  name: x\n", // not under metadata
	} {
		if kind, name, ok := plainKindName(doc); ok {
			t.Errorf("%q: read %q/%q by lines; want the decoder to decide", doc, kind, name)
		}
	}
}

func TestSplitKeysEveryObject(t *testing.T) {
	s := Split([]byte("kind: A\nmetadata:\n  name: x\n---\nkind: B\nmetadata:\n  name: y\n---\nkind: A\nmetadata:\n  name: x\n"))
	if got := strings.Join(s.Paths(), ","); got != "A/x,A/x-2,B/y" {
		t.Errorf("keys %s", got)
	}
	if string(s["B/y"]) != "kind: B\nmetadata:\n  name: y\n" {
		t.Errorf("B/y = %q", s["B/y"])
	}
}
