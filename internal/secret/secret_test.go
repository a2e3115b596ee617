package secret

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

func TestError(t *testing.T) {
	base := fmt.Errorf("GET https://x/?token=tok123: %w", context.DeadlineExceeded)
	err := Error(base, "", "tok123")
	if got := err.Error(); got != "GET https://x/?token="+Mask+": context deadline exceeded" {
		t.Errorf("Error() = %q", got)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Error("errors.Is lost the wrapped error")
	}
	if Error(nil, "tok123") != nil {
		t.Error("a nil error became non-nil")
	}
	if Error(base, "") != base {
		t.Error("no secret: the error should come back as it was")
	}
	if got := String("a tok b tok", "tok", ""); got != "a "+Mask+" b "+Mask {
		t.Errorf("String() = %q", got)
	}
}
