package cli

import (
	"bytes"

	"github.com/coditect/phasegen/internal/atomicfs"
	"github.com/coditect/phasegen/internal/promote"
)

// replaceConfig writes out over file, a config file read as raw: as
// atomicfs.ReplaceFile does under the repository the config directory lies
// in (only while the file still holds raw, through links that stay in the
// repository, never a read-only file). It reports whether the file changed.
func replaceConfig(configDir, file string, raw, out []byte) (bool, error) {
	if out == nil || bytes.Equal(out, raw) {
		return false, nil
	}
	root, err := atomicfs.RepoRoot(configDir)
	if err != nil {
		return false, err
	}
	if err := atomicfs.ReplaceFile(root, file, raw, out); err != nil {
		return false, err
	}
	return true, nil
}

// setPhase records phase as spec.phase of the Environment file (read as
// raw), in place, comments kept.
func setPhase(configDir, file string, raw []byte, phase string) (bool, error) {
	return setEnv(configDir, file, raw, phase, "")
}

// setEnv is setPhase that also records the Application name a promotion
// kept (spec.argocd.applicationName), when keptName is not "".
func setEnv(configDir, file string, raw []byte, phase, keptName string) (bool, error) {
	out, err := promote.EditEnv(raw, phase, keptName)
	if err != nil {
		return false, err
	}
	return replaceConfig(configDir, file, raw, out)
}
