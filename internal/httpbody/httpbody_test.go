package httpbody

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestRead(t *testing.T) {
	for _, c := range []struct {
		n       int
		tooBig  bool
		wantLen int
	}{{0, false, 0}, {10, false, 10}, {11, true, 10}, {1 << 20, true, 10}} {
		b, err := Read(strings.NewReader(strings.Repeat("x", c.n)), 10)
		var te *TooLargeError
		if errors.As(err, &te) != c.tooBig || len(b) != c.wantLen || (c.tooBig && !errors.Is(err, ErrTooLarge)) {
			t.Errorf("%d bytes: %d read, %v", c.n, len(b), err)
		}
		if c.tooBig && !strings.Contains(err.Error(), "larger than 10 bytes: cut") {
			t.Errorf("%d bytes: %v", c.n, err)
		}
	}
}

func TestNotJSON(t *testing.T) {
	for _, c := range []struct {
		body, ct, want string
	}{
		{`{"a":1}`, "application/json", ""},
		{" \n[1]", "", ""},
		{"<!DOCTYPE html><html>login</html>", "text/html; charset=utf-8", `not JSON (Content-Type "text/html; charset=utf-8", beginning "<!DOCTYPE html><html>login</html>")`},
		{`{"a":1}`, "text/html", "not JSON"},
		{"", "application/json", "it is empty"},
		{"upstream connect error", "text/plain", `beginning "upstream connect error"`},
	} {
		err := NotJSON([]byte(c.body), c.ct)
		if (c.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%q (%s): %v, want %q", c.body, c.ct, err, c.want)
		}
	}
}

// A server that sends more than the cap, whatever it claims: the reader
// stops at the cap with TooLargeError; exactly the cap reads whole.
func TestTransport(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := 64
		if r.URL.Path == "/big" {
			n = 10 << 20
		}
		_, _ = io.WriteString(w, strings.Repeat("y", n))
	}))
	defer srv.Close()
	hc := &http.Client{Transport: Transport{Next: http.DefaultTransport, Max: 64}}
	for path, tooBig := range map[string]bool{"/exact": false, "/big": true} {
		resp, err := hc.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if errors.Is(err, ErrTooLarge) != tooBig || (!tooBig && len(b) != 64) || len(b) > 64 {
			t.Errorf("%s: %d bytes, %v", path, len(b), err)
		}
	}
}
