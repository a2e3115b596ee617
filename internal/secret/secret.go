// Package secret keeps credentials out of text and away from other origins:
// the errors and log lines of the clients that hold a token (GitHub, Argo
// CD, Prometheus) pass through it before anyone sees them, text a server or
// a git history supplied is escaped so it cannot forge a line of output, and
// the clients' redirects never carry a credential to another origin.
package secret

import (
	"encoding/base64"
	"net/url"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Mask is what a credential is replaced with.
const Mask = "[REDACTED]"

// userinfo matches the credentials of a URL written in text:
// "scheme://user:password@" keeps "scheme://" and loses the rest.
var userinfo = regexp.MustCompile(`(?i)\b([a-z][a-z0-9+.-]*://)[^/?#@\s"'<>]+@`)

// bareUserinfo matches "user:password@host" written without a scheme (a
// HOST[:PORT] value such as ARGOCD_SERVER): the pair is lost, the host kept.
var bareUserinfo = regexp.MustCompile(`(^|[\s"'(\[=,;])[^\s/?#@"'<>:()\[\]=,;]+:[^\s/?#@"'<>]*@([a-zA-Z0-9\[])`)

// credentialParam matches a query parameter whose name says it carries a
// credential (token, auth, password, secret, key, signature, session):
// the value is lost, the name kept.
var credentialParam = regexp.MustCompile(`(?i)([?&;][a-z0-9_.\-]*(?:token|auth|passw|pwd|secret|key|sig|credential|session)[a-z0-9_.\-]*=)[^&;#\s"'<>:]*`)

// String returns s with every non-empty secret replaced by Mask, in every
// form Forms gives; the userinfo of every URL in it (user:password@, with
// a scheme or without) replaced by Mask@; and the value of every query
// parameter named like a credential replaced by Mask.
func String(s string, secrets ...string) string {
	for _, v := range Forms(secrets...) {
		s = strings.ReplaceAll(s, v, Mask)
	}
	s = userinfo.ReplaceAllString(s, "${1}"+Mask+"@")
	s = bareUserinfo.ReplaceAllString(s, "${1}"+Mask+"@${2}")
	return credentialParam.ReplaceAllString(s, "${1}"+Mask)
}

// minCore is the shortest encoded run of a secret Forms masks inside a
// longer text: shorter runs could match ordinary text.
const minCore = 8

// Forms returns the secrets with the forms a server may echo them in: each
// as given; base64-encoded, standard and URL-safe, with and without
// padding (for a "user:password" pair, its Authorization: Basic header);
// the part of its base64 that is the same wherever it sits inside a longer
// string ("Bearer TOKEN", "x-access-token:TOKEN"), at each of the three
// alignments; and percent-encoded, as a query or a path. Longest first, so
// a secret that contains another is masked whole; empty ones are left out.
func Forms(secrets ...string) []string {
	var out []string
	seen := map[string]bool{}
	add := func(f string) {
		if f != "" && !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	for _, v := range secrets {
		if v == "" {
			continue
		}
		add(v)
		add(url.QueryEscape(v))
		add(url.PathEscape(v))
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
			b := enc.EncodeToString([]byte(v))
			add(b)
			add(strings.TrimRight(b, "="))
			// Inside a longer string, the encoding of the bytes from the
			// first whole group of three on does not depend on what
			// comes before or after.
			for skip := 0; skip < 3 && skip < len(v); skip++ {
				rest := v[skip:]
				if n := len(rest) / 3 * 3; n > 0 {
					if core := enc.EncodeToString([]byte(rest[:n])); len(core) >= minCore {
						add(core)
					}
				}
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

// OfURL returns the credentials a URL carries: its password, and
// "user:password" (whose base64 is the Basic header it sends).
func OfURL(u *url.URL) []string {
	if u == nil || u.User == nil {
		return nil
	}
	p, ok := u.User.Password()
	if !ok {
		return []string{u.User.Username()}
	}
	return []string{p, u.User.Username() + ":" + p}
}

// URL returns raw as it may be printed: its userinfo masked whole (user
// name and password) and every secret masked.
func URL(raw string, secrets ...string) string { return String(raw, secrets...) }

// Error wraps err so that its text never shows any of secrets nor a URL's
// userinfo; errors.Is and errors.As still see err. A nil err stays nil.
func Error(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	return &redacted{err: err, secrets: secrets}
}

type redacted struct {
	err     error
	secrets []string
}

func (e *redacted) Error() string { return String(e.err.Error(), e.secrets...) }

func (e *redacted) Unwrap() error { return e.err }

// Untrusted returns text a server or a git history supplied as it may be
// shown: secrets masked, and every control character (newlines, escape
// sequences, carriage returns) and invalid UTF-8 written as a Go escape,
// so the text can neither forge a line of phasegen's output nor drive the
// terminal.
func Untrusted(s string, secrets ...string) string {
	return Escape(String(s, secrets...))
}

// Escape writes the control characters and invalid UTF-8 of s as Go
// escapes (\n, \x1b, \u2028); printable text is kept as it is.
func Escape(s string) string {
	if !needsEscape(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			b.WriteString(`\x` + strconv.FormatUint(uint64(s[i]), 16))
		case escaped(r):
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

func needsEscape(s string) bool {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && n == 1) || escaped(r) {
			return true
		}
		i += n
	}
	return false
}

// escaped reports whether r is written as an escape: a control character,
// or a line or paragraph separator.
func escaped(r rune) bool { return unicode.IsControl(r) || r == '\u2028' || r == '\u2029' }

// UntrustedFields applies Untrusted to every string that ptr (a pointer to
// a value decoded from a server's answer) holds: in struct fields, pointers,
// slices, arrays and map values, however deep.
func UntrustedFields(ptr any, secrets ...string) {
	clean(reflect.ValueOf(ptr), secrets)
}

func clean(v reflect.Value, secrets []string) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			clean(v.Elem(), secrets)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				clean(v.Field(i), secrets)
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			clean(v.Index(i), secrets)
		}
	case reflect.Map:
		if v.Type().Elem().Kind() != reflect.String {
			return
		}
		for _, k := range v.MapKeys() {
			v.SetMapIndex(k, reflect.ValueOf(Untrusted(v.MapIndex(k).String(), secrets...)).Convert(v.Type().Elem()))
		}
	case reflect.String:
		if v.CanSet() {
			v.SetString(Untrusted(v.String(), secrets...))
		}
	}
}
