// Package templates embeds the workload's Kustomize base (templates/base) and
// the text templates phasegen fills, so the binary works anywhere; the CLI's
// --templates flag points at a directory on disk instead.
package templates

import (
	"embed"
	"io/fs"
)

//go:embed base
var files embed.FS

// FS returns the embedded templates, rooted at this directory (base/… ).
func FS() fs.FS { return files }
