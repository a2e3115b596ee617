package manifest

import (
	"encoding/base64"
	"strings"
	"testing"
)

const secretStream = `apiVersion: v1
data:
  game.properties: |
    enemies=aliens
kind: ConfigMap
metadata:
  name: game
---
apiVersion: v1
data:
  password: Q0FOQVJZLXZhbHVl
  user: YWRtaW4=
kind: Secret
metadata:
  name: creds
stringData:
  config.yaml: |
    token: CANARY-value
    second: line
  plain: CANARY-value
type: Opaque
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
`

// Every value of a Secret is masked (keys kept, the value in no form),
// equal values read equal and changed ones differently, and every other
// byte of the stream is kept.
func TestMaskSecrets(t *testing.T) {
	out, masked := MaskSecrets([]byte(secretStream))
	if !masked {
		t.Fatal("nothing masked")
	}
	s := string(out)
	for _, leak := range []string{"CANARY-value", "Q0FOQVJZLXZhbHVl", "YWRtaW4=", base64.StdEncoding.EncodeToString([]byte("CANARY-value")), "second: line"} {
		if strings.Contains(s, leak) {
			t.Errorf("the masked stream holds %q:\n%s", leak, s)
		}
	}
	for _, keep := range []string{"  password: \"" + SecretMask, "  user: \"" + SecretMask, "  config.yaml: \"" + SecretMask, "  plain: \"" + SecretMask,
		"enemies=aliens", "type: Opaque\n---\napiVersion: apps/v1\nkind: Deployment"} {
		if !strings.Contains(s, keep) {
			t.Errorf("the masked stream lacks %q:\n%s", keep, s)
		}
	}
	docs := documents(s)
	if len(docs) != 3 || docs[0] != documents(secretStream)[0] || docs[2] != documents(secretStream)[2] {
		t.Errorf("the other documents changed:\n%s", s)
	}
	// data and stringData of one value under one key: one digest.
	if maskValue("k", base64.StdEncoding.EncodeToString([]byte("v1")), true) != maskValue("k", "v1", false) {
		t.Error("data and stringData of one value differ")
	}
	if maskValue("k", "v1", false) == maskValue("k", "v2", false) {
		t.Error("two values read the same")
	}
	// A stream without a Secret is returned as it is.
	if out, masked := MaskSecrets([]byte("kind: ConfigMap\n")); masked || string(out) != "kind: ConfigMap\n" {
		t.Errorf("%q %v", out, masked)
	}
	// The diff of a changed value shows the digest change only.
	d := BuiltDiff([]byte(secretStream), []byte(strings.Replace(secretStream, "Q0FOQVJZLXZhbHVl", "bmV3", 1)))
	if !strings.Contains(d, "-  password: \""+SecretMask) || !strings.Contains(d, "+  password: \""+SecretMask) || strings.Contains(d, "bmV3") {
		t.Errorf("diff:\n%s", d)
	}
}
