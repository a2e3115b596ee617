// Package secret keeps credentials out of text: the errors and log lines of
// the clients that hold a token (GitHub, Argo CD, Prometheus) pass through it
// before anyone sees them.
package secret

import "strings"

// Mask is what a credential is replaced with.
const Mask = "[REDACTED]"

// String returns s with every non-empty secret replaced by Mask.
func String(s string, secrets ...string) string {
	for _, v := range secrets {
		if v != "" {
			s = strings.ReplaceAll(s, v, Mask)
		}
	}
	return s
}

// Error wraps err so that its text never shows any of secrets; errors.Is
// and errors.As still see err. A nil err stays nil.
func Error(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	for _, v := range secrets {
		if v != "" {
			return &redacted{err: err, secrets: secrets}
		}
	}
	return err
}

type redacted struct {
	err     error
	secrets []string
}

func (e *redacted) Error() string { return String(e.err.Error(), e.secrets...) }

func (e *redacted) Unwrap() error { return e.err }
