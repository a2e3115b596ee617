package diff

import (
	"strconv"
	"strings"
)

// ANSI escape sequences used by Colorize.
const (
	ansiReset = "\x1b[0m"
	ansiBold  = "\x1b[1m"
	ansiRed   = "\x1b[31m"
	ansiGreen = "\x1b[32m"
	ansiCyan  = "\x1b[36m"
)

// Colorize adds ANSI colours to a unified diff for a terminal: bold file
// headers, cyan hunk headers, red removed and green added lines. It follows
// the line counts of each hunk header, so a removed line that reads "-- x"
// is not mistaken for a file header.
func Colorize(text string) string {
	var sb strings.Builder
	sb.Grow(len(text) + len(text)/4)
	oldLeft, newLeft := 0, 0
	for len(text) > 0 {
		line := text
		rest := ""
		if i := strings.IndexByte(text, '\n'); i >= 0 {
			line, rest = text[:i], text[i+1:]
		}
		nl := len(line) < len(text)
		text = rest
		color := ""
		switch {
		case oldLeft > 0 || newLeft > 0:
			switch {
			case strings.HasPrefix(line, "-"):
				color = ansiRed
				oldLeft--
			case strings.HasPrefix(line, "+"):
				color = ansiGreen
				newLeft--
			case strings.HasPrefix(line, " ") || line == "":
				oldLeft--
				newLeft--
			}
		case strings.HasPrefix(line, "@@ "):
			color = ansiCyan
			oldLeft, newLeft = hunkCounts(line)
		case strings.HasPrefix(line, "--- "), strings.HasPrefix(line, "+++ "),
			strings.HasPrefix(line, "Binary files "):
			color = ansiBold
		}
		if color != "" {
			sb.WriteString(color)
			sb.WriteString(line)
			sb.WriteString(ansiReset)
		} else {
			sb.WriteString(line)
		}
		if nl {
			sb.WriteByte('\n')
		}
	}
	return sb.String()
}

// hunkCounts parses the line counts of "@@ -l,n +l,n @@"; a missing count
// is 1, as in diff -u.
func hunkCounts(line string) (int, int) {
	f := strings.Fields(line)
	if len(f) < 3 {
		return 0, 0
	}
	return rangeCount(f[1]), rangeCount(f[2])
}

func rangeCount(r string) int {
	r = strings.TrimLeft(r, "-+")
	_, n, ok := strings.Cut(r, ",")
	if !ok {
		return 1
	}
	c, err := strconv.Atoi(n)
	if err != nil || c < 0 {
		return 0
	}
	return c
}
