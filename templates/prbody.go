package templates

import _ "embed"

//go:embed prbody.md.tmpl
var prBody string

// PRBody returns the text/template of a promotion pull request's body
// (prbody.md.tmpl); package promote documents the data it is executed with.
func PRBody() string { return prBody }
