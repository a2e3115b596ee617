package printer

import (
	"bytes"
	"strings"
	"testing"

	yamlv2 "go.yaml.in/yaml/v2"
)

// valueFrom builds a nested value of the kinds a decoded Kubernetes object
// holds from fuzz input: a small program of one-byte opcodes.
func valueFrom(data []byte, strs []string, depth int) (any, []byte) {
	if len(data) == 0 {
		return "", data
	}
	op, data := data[0], data[1:]
	take := func() string {
		if len(data) == 0 {
			return ""
		}
		n := int(data[0]) % 96
		data = data[1:]
		n = min(n, len(data))
		s := string(data[:n])
		data = data[n:]
		return s
	}
	switch op % 10 {
	case 0, 1:
		if depth > 4 {
			return take(), data
		}
		m := map[string]any{}
		n := 1
		if len(data) > 0 {
			n, data = int(data[0])%6, data[1:]
		}
		for i := 0; i < n && len(data) > 0; i++ {
			var k string
			if data[0]%2 == 0 {
				k = strs[int(data[0])%len(strs)]
				data = data[1:]
			} else {
				k = take()
			}
			var v any
			v, data = valueFrom(data, strs, depth+1)
			m[k] = v
		}
		return m, data
	case 2:
		if depth > 4 {
			return nil, data
		}
		n := 1
		if len(data) > 0 {
			n, data = int(data[0])%4, data[1:]
		}
		l := []any{}
		for i := 0; i < n && len(data) > 0; i++ {
			var v any
			v, data = valueFrom(data, strs, depth+1)
			l = append(l, v)
		}
		return l, data
	case 3:
		return take(), data
	case 4, 5:
		if len(data) == 0 {
			return strs[0], data
		}
		s := strs[int(data[0])%len(strs)]
		return s, data[1:]
	case 6:
		if len(data) == 0 {
			return 0, data
		}
		return int(int8(data[0])) * 1000, data[1:]
	case 7:
		return op%2 == 0, data
	case 8:
		return nil, data
	default:
		// a long string of words: folding at every indentation
		w := take()
		return strings.Repeat(w+" ", int(op)%30) + w, data
	}
}

// Awkward strings the fuzzer combines: everything yaml.v2 quotes, folds
// or prints as a block.
var fuzzStrings = []string{
	"", "a", "name", "apiVersion", "app.kubernetes.io/name", "phasegen.dev/phase",
	"true", "yes", "No", "on", "OFF", "null", "~", "<<", ".inf", "-.Inf", ".nan", ".5", ".",
	"0", "1", "-1", "+1", "007", "0x1F", "0o17", "0b101", "-0b11", "1_000", "1e3", "1.5", "1.", "+.5e-3",
	"12:30", "1:20:30.5", "2001-12-14", "2001-12-14t21:59:43.10Z", "2001-12-14 21:59:43.10", "2001-1-1x",
	"500m", "2Gi", "Parallel", "OnDelete", "y", "Y", "n",
	"a1", "a01", "a10", "a001", "a-1", "a_1", "A", "B", "b", "10", "9", "a0", "a00",
	"- a", "-a", "-", "? x", "?x", ": x", ":x", "x:", "x: y", "x:y", "a #b", "a#b", "#a",
	"---", "--- a", "...", "@x", "`x`", "%x", "!x", "&x", "*x", "|x", ">x", "'x", "\"x", "x'y", "x\"y", "x\\y",
	"[a]", "{a}", "a,b", "a[b]", " a", "a ", "a  b", "a b",
	"line one\nline two", "line one\nline two\n", "\nleading", " indented\nx", "a\n\nb", "a\n\n", "\n",
	"trailing \nspace", "a\n b", "a\nb ", "tab\tx", "caf\u00e9", "\x7f", "\u00a0x", "x\u0085y", "a\u2028b", "\ufeff", "\U0001F600", "\xff",
	"2 pods × 2 sessions per pod " + strings.Repeat("été ", 25), "é:", "é #x", "- é", "sum(rate(x{a=\"b\"}[5m])) > 0.9",
	strings.Repeat("word ", 30) + "end", strings.Repeat("x", 100) + " y z", "'quoted start " + strings.Repeat("w ", 50) + "'",
	"a " + strings.Repeat("b", 90) + "  c d", "Find the pods: `kubectl top pods -n ns -l app=x --sort-by=cpu`. The HPA x-hpa should be adding pods",
	strings.Repeat("k", 129), strings.Repeat("k", 128),
}

func FuzzPrinter(f *testing.F) {
	for i := range 64 {
		seed := []byte{0, 5}
		for j := range 40 {
			seed = append(seed, byte(i*7+j*13), byte(i+j), byte(j*5+1))
		}
		f.Add(seed)
	}
	for i := range fuzzStrings {
		f.Add([]byte{0, 3, byte(2 * i), 4, byte(i), 0, 2, byte(i + 1), 4, byte(i), 2, 3, 9, 5, 'w', 'o', 'r', 'd', 's', 1, 1, byte(2 * i), 9, 3, 'a', ' ', 'b'})
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, _ := valueFrom(append([]byte{0}, data...), fuzzStrings, 0)
		m := v.(map[string]any)
		got, ok := Print(m)
		if !ok {
			return
		}
		want, err := yamlv2.Marshal(m)
		if err != nil {
			t.Fatalf("yaml.v2 fails where the printer does not: %v", err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("printer differs from yaml.v2 for %#v:\n--- printer\n%s\n--- yaml.v2\n%s", m, got, want)
		}
	})
}

// Every string of the fuzz corpus, alone and deep in a structure, either
// prints exactly as yaml.v2 prints it or is left to yaml.v2.
func TestPrinterStrings(t *testing.T) {
	taken := 0
	for _, s := range fuzzStrings {
		for _, m := range []map[string]any{
			{s: s},
			{"k": []any{s, map[string]any{s: []any{s}, "z": map[string]any{"deep": s}}}},
			{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa": map[string]any{"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb": s}},
		} {
			got, ok := Print(m)
			if !ok {
				continue
			}
			taken++
			want, err := yamlv2.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("printer differs from yaml.v2 for %q:\n--- printer\n%s\n--- yaml.v2\n%s", s, got, want)
			}
		}
	}
	if taken < len(fuzzStrings) {
		t.Errorf("the printer took only %d of %d cases", taken, 3*len(fuzzStrings))
	}
}

// yaml.v2's key order is not transitive for these three keys, so the order
// it prints them in depends on the map's iteration order: the printer must
// leave them to it rather than pick one order.
func TestPrinterDeclinesCyclicKeyOrder(t *testing.T) {
	a, b, c := "02200Y1010109100002", "0BbXb1Zb!19Y2717ZcX77", "2200C2210912217017210170000B10"
	if !keyLess(a, b) || !keyLess(b, c) || !keyLess(c, a) {
		t.Fatalf("not a cycle under yaml.v2's order: %v %v %v", keyLess(a, b), keyLess(b, c), keyLess(c, a))
	}
	if out, ok := Print(map[string]any{a: 1, b: 2, c: 3}); ok {
		t.Errorf("the printer picked an order yaml.v2 would not keep:\n%s", out)
	}
}
