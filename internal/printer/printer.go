// Package printer prints decoded YAML values exactly as yaml.v2 prints
// them, and so as sigs.k8s.io/yaml and kustomize do, without yaml.v2's
// reflective event emitter: the byte-identical fast path for the manifests
// phasegen renders and builds. It declines (and callers use yaml.v2) for
// anything outside the subset it is proven on.
package printer

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Print returns what yaml.v2's Marshal prints for m, a decoded
// Kubernetes object (nested map[string]any and []any of strings, ints,
// bools and nils), without going through yaml.v2's reflective event
// emitter. It reproduces yaml.v2's output for the values it accepts: keys
// in yaml.v2's natural order, its choice of plain, single-quoted,
// double-quoted and literal styles, its line folding at 80 columns and its
// indentless sequences. It reports false for anything outside the subset
// it is proven on (FuzzPrinter and the fleet test compare it with yaml.v2
// byte for byte): control characters, non-ASCII keys, characters outside
// U+00A0–U+D7FF, floats, sequences in
// sequences, double-quoted strings that need escapes or could fold, keys
// yaml.v2 would print as complex keys, literal blocks with kept trailing
// newlines. The caller then uses yaml.v2.
func Print(m map[string]any) ([]byte, bool) {
	return Append(nil, m)
}

// Append is Print appending to dst; on false dst is unchanged (its spare
// capacity may have been written).
func Append(dst []byte, m map[string]any) ([]byte, bool) {
	if len(m) == 0 {
		return dst, false
	}
	p := printer{buf: dst}
	if !p.mapping(m, 0, false) {
		return dst, false
	}
	return p.buf, true
}

// bestWidth is yaml.v2's preferred line width: plain and quoted scalars
// are folded at a space once a line is longer.
const bestWidth = 80

type printer struct {
	buf []byte
	col int // column of the next character, as yaml.v2 counts: one per rune
}

func (p *printer) write(s string) {
	p.buf = append(p.buf, s...)
	p.col += len(s)
}

func (p *printer) writeByte(c byte) {
	p.buf = append(p.buf, c)
	p.col++
}

func (p *printer) newline() {
	p.buf = append(p.buf, '\n')
	p.col = 0
}

// endLine ends the current line unless it is empty.
func (p *printer) endLine() {
	if p.col != 0 {
		p.newline()
	}
}

func (p *printer) pad(indent int) {
	for p.col < indent {
		p.writeByte(' ')
	}
}

// mapping prints a non-empty block mapping whose keys are at column indent;
// inline means the first key goes where the printer stands (after "- ").
func (p *printer) mapping(m map[string]any, indent int, inline bool) bool {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keyLess(keys[i], keys[j]) })
	if !strictlyOrdered(keys) {
		return false
	}
	for i, k := range keys {
		if i > 0 || !inline {
			p.pad(indent)
		}
		if !p.str(k, indent, true, false) {
			return false
		}
		p.writeByte(':')
		switch v := m[k].(type) {
		case map[string]any:
			if len(v) == 0 {
				p.write(" {}")
				p.newline()
				continue
			}
			p.newline()
			if !p.mapping(v, indent+2, false) {
				return false
			}
		case []any:
			if len(v) == 0 {
				p.write(" []")
				p.newline()
				continue
			}
			p.newline()
			if !p.sequence(v, indent) {
				return false
			}
		default:
			if !p.scalar(v, indent+2, true) {
				return false
			}
			p.endLine()
		}
	}
	return true
}

// sequence prints a non-empty block sequence with its dashes at column
// indent (yaml.v2 does not indent a sequence inside a mapping).
func (p *printer) sequence(s []any, indent int) bool {
	for _, item := range s {
		p.pad(indent)
		p.write("- ")
		switch v := item.(type) {
		case map[string]any:
			if len(v) == 0 {
				p.write("{}")
				p.newline()
				continue
			}
			if !p.mapping(v, indent+2, true) {
				return false
			}
		case []any:
			return false
		default:
			if !p.scalar(v, indent+2, false) {
				return false
			}
			p.endLine()
		}
	}
	return true
}

// scalar prints v after a mapping key's colon (afterColon: with a space) or
// after a dash; indent is where folded lines continue.
func (p *printer) scalar(v any, indent int, afterColon bool) bool {
	lead := func() {
		if afterColon {
			p.writeByte(' ')
		}
	}
	switch x := v.(type) {
	case nil:
		lead()
		p.write("null")
	case bool:
		lead()
		p.write(strconv.FormatBool(x))
	case int:
		lead()
		p.write(strconv.Itoa(x))
	case int64:
		lead()
		p.write(strconv.FormatInt(x, 10))
	case uint64:
		lead()
		p.write(strconv.FormatUint(x, 10))
	case string:
		return p.str(x, indent, false, afterColon)
	default:
		return false
	}
	return true
}

// str prints a string as yaml.v2's stringv and emitter do: a key (no
// folding) or a value (after a colon, with the space the emitter puts
// there).
func (p *printer) str(s string, indent int, key, afterColon bool) bool {
	newlines := false
	for _, r := range s {
		switch {
		case r == '\n' && !key:
			newlines = true
		case r >= 0x20 && r <= 0x7e:
		case key || r < 0xa0 || r > 0xd7ff || r == 0x2028 || r == 0x2029:
			// Control characters, line separators, characters yaml.v2
			// escapes, and non-ASCII keys (yaml.v2 sorts them by rune).
			return false
		}
	}
	if key && len(s) > 128 {
		return false // not a simple key: yaml.v2 prints "? key"
	}
	space := func() {
		if afterColon {
			p.writeByte(' ')
		}
	}
	switch {
	case newlines:
		return p.literal(s, indent, space)
	case resolvesToString(s) && !isBase60Float(s):
		space()
		if plainAllowed(s) {
			p.folded(s, indent, !key, false)
		} else {
			p.writeByte('\'')
			p.folded(s, indent, !key, true)
			p.writeByte('\'')
		}
		return true
	default:
		// Double-quoted: only what needs no escape and cannot fold.
		if strings.ContainsAny(s, " \"\\") {
			return false
		}
		space()
		p.writeByte('"')
		p.buf = append(p.buf, s...)
		p.col += utf8.RuneCountInString(s)
		p.writeByte('"')
		return true
	}
}

// folded writes a plain or single-quoted scalar's text, breaking a line at
// a single space once it is longer than bestWidth (never for keys).
func (p *printer) folded(s string, indent int, breaks, quoted bool) {
	spaces := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ' ' {
			if breaks && !spaces && p.col > bestWidth && i+1 < len(s) && s[i+1] != ' ' && (!quoted || i > 0) {
				p.newline()
				p.pad(indent)
			} else {
				p.writeByte(' ')
			}
			spaces = true
			continue
		}
		if quoted && c == '\'' {
			p.writeByte('\'')
		}
		p.buf = append(p.buf, c)
		if c&0xc0 != 0x80 { // one column per character, not per byte
			p.col++
		}
		spaces = false
	}
}

// literal writes a multi-line string as a literal block ("|", "|-", with
// an indentation hint when it starts with a space or a newline).
func (p *printer) literal(s string, indent int, space func()) bool {
	// yaml.v2 falls back to double quotes when a line ends in a space (or
	// the whole string does), and "|+" ends the document open: leave those
	// to it.
	if s[len(s)-1] == ' ' || strings.Contains(s, " \n") || s == "\n" || strings.HasSuffix(s, "\n\n") {
		return false
	}
	space()
	p.writeByte('|')
	if s[0] == ' ' || s[0] == '\n' {
		p.writeByte('2')
	}
	if s[len(s)-1] != '\n' {
		p.writeByte('-')
	}
	p.newline()
	for len(s) > 0 {
		line, rest, found := strings.Cut(s, "\n")
		if line != "" {
			p.pad(indent)
			p.buf = append(p.buf, line...)
			p.col += utf8.RuneCountInString(line)
		}
		if found {
			p.newline()
		}
		s = rest
	}
	return true
}

// plainAllowed is yaml.v2's block_plain_allowed for a one-line string of
// printable ASCII: no leading or trailing space, no indicator where YAML
// would read one.
func plainAllowed(s string) bool {
	if s == "" || s[0] == ' ' || s[len(s)-1] == ' ' {
		return false
	}
	if strings.HasPrefix(s, "---") || strings.HasPrefix(s, "...") {
		return false
	}
	blankAfter := func(i int) bool { return i+1 >= len(s) || s[i+1] == ' ' }
	switch s[0] {
	case '#', ',', '[', ']', '{', '}', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`':
		return false
	case '?', ':', '-':
		if blankAfter(0) {
			return false
		}
	}
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case ':':
			if blankAfter(i) {
				return false
			}
		case '#':
			if s[i-1] == ' ' {
				return false
			}
		}
	}
	return true
}

// strictlyOrdered reports whether every pair of keys compares one way
// only: yaml.v2's comparison is not transitive for every set of keys (e.g.
// "09", "0b" and "7"), and where it is not, yaml.v2's order depends on the
// map's iteration order.
func strictlyOrdered(keys []string) bool {
	for i := range keys {
		for j := i + 1; j < len(keys); j++ {
			if !keyLess(keys[i], keys[j]) || keyLess(keys[j], keys[i]) {
				return false
			}
		}
	}
	return true
}

// keyLess is yaml.v2's keyList.Less for two strings of ASCII.
func keyLess(a, b string) bool {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] == b[i] {
			continue
		}
		al, bl := isLetter(a[i]), isLetter(b[i])
		if al && bl {
			return a[i] < b[i]
		}
		if al || bl {
			return bl
		}
		var an, bn int64
		if a[i] == '0' || b[i] == '0' {
			for j := i - 1; j >= 0 && isDigit(a[j]); j-- {
				if a[j] != '0' {
					an, bn = 1, 1
					break
				}
			}
		}
		ai, bi := i, i
		for ; ai < len(a) && isDigit(a[ai]); ai++ {
			an = an*10 + int64(a[ai]-'0')
		}
		for ; bi < len(b) && isDigit(b[bi]); bi++ {
			bn = bn*10 + int64(b[bi]-'0')
		}
		if an != bn {
			return an < bn
		}
		if ai != bi {
			return ai < bi
		}
		return a[i] < b[i]
	}
	return len(a) < len(b)
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }

// resolvesToString is yaml.v2's resolve("", s) == "!!str": s printed plain
// would read back as the same string, not a bool, null, number or time.
func resolvesToString(s string) bool {
	if s == "" {
		return false
	}
	switch s {
	case "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON",
		"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF",
		"~", "null", "Null", "NULL", ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF",
		"+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF":
		return false
	}
	switch c := s[0]; {
	case c == '.':
		_, err := strconv.ParseFloat(s, 64)
		return err != nil
	case c == '+' || c == '-' || isDigit(c):
		if isTimestamp(s) {
			return false
		}
		plain := strings.ReplaceAll(s, "_", "")
		if _, err := strconv.ParseInt(plain, 0, 64); err == nil {
			return false
		}
		if _, err := strconv.ParseUint(plain, 0, 64); err == nil {
			return false
		}
		if yamlStyleFloat.MatchString(plain) {
			if _, err := strconv.ParseFloat(plain, 64); err == nil {
				return false
			}
		}
		if rest, ok := strings.CutPrefix(plain, "0b"); ok {
			if _, err := strconv.ParseInt(rest, 2, 64); err == nil {
				return false
			}
			if _, err := strconv.ParseUint(rest, 2, 64); err == nil {
				return false
			}
		} else if rest, ok := strings.CutPrefix(plain, "-0b"); ok {
			if _, err := strconv.ParseInt("-"+rest, 2, 64); err == nil {
				return false
			}
		}
	}
	return true
}

var (
	yamlStyleFloat = regexp.MustCompile(`^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`)
	base60float    = regexp.MustCompile(`^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`)
)

func isBase60Float(s string) bool {
	if s == "" {
		return false
	}
	if c := s[0]; !(c == '+' || c == '-' || isDigit(c)) || strings.IndexByte(s, ':') < 0 {
		return false
	}
	return base60float.MatchString(s)
}

// isTimestamp is yaml.v2's parseTimestamp succeeding.
func isTimestamp(s string) bool {
	i := 0
	for ; i < len(s) && isDigit(s[i]); i++ {
	}
	if i != 4 || i == len(s) || s[i] != '-' {
		return false
	}
	for _, format := range []string{
		"2006-1-2T15:4:5.999999999Z07:00",
		"2006-1-2t15:4:5.999999999Z07:00",
		"2006-1-2 15:4:5.999999999",
		"2006-1-2",
	} {
		if _, err := time.Parse(format, s); err == nil {
			return true
		}
	}
	return false
}
