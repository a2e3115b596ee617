package retry

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestLoop(t *testing.T) {
	var waits []time.Duration
	l := Loop{Attempts: 3, Sleep: func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }}
	boom := errors.New("boom")

	n := 0
	if err := l.Run(context.Background(), func(int) (time.Duration, error) { n++; return time.Second, boom }); !errors.Is(err, boom) {
		t.Fatalf("exhausted: %v", err)
	} else if ex := (*ExhaustedError)(nil); !errors.As(err, &ex) || ex.Attempts != 3 || err.Error() != "giving up after 3 attempts: boom" {
		t.Fatalf("exhausted: %v", err)
	}
	if n != 3 || len(waits) != 2 {
		t.Errorf("%d attempts, %d waits; want 3 and 2", n, len(waits))
	}

	n = 0
	err := l.Run(context.Background(), func(int) (time.Duration, error) { n++; return Final, boom })
	if err != boom || n != 1 || !IsFinal(err) {
		t.Errorf("final: %v after %d attempts", err, n)
	}
	n = 0
	if err := l.Run(context.Background(), func(a int) (time.Duration, error) {
		n++
		if a < 2 {
			return 0, boom
		}
		return 0, nil
	}); err != nil || n != 2 {
		t.Errorf("success on the second attempt: %v after %d", err, n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	stop := Loop{Attempts: 3, Sleep: Sleep} // never reached: the context is over
	var we *WaitError
	if err := stop.Run(ctx, func(int) (time.Duration, error) { return time.Hour, boom }); errors.As(err, &we) || err != boom {
		t.Errorf("a cancelled context after an attempt: %v, want the attempt's error", err)
	}
	waitCancel := Loop{Attempts: 3, Sleep: func(context.Context, time.Duration) error { return context.Canceled }}
	if err := waitCancel.Run(context.Background(), func(int) (time.Duration, error) { return time.Second, boom }); !errors.As(err, &we) || !strings.Contains(err.Error(), "waiting to retry: context canceled") {
		t.Errorf("a cancelled wait: %v", err)
	}
}

func TestBackoff(t *testing.T) {
	b := Backoff{Base: 500 * time.Millisecond, Max: 30 * time.Second, Rand: func() float64 { return 0.5 }}
	for n, want := range map[int]time.Duration{1: 375 * time.Millisecond, 2: 750 * time.Millisecond, 7: 22500 * time.Millisecond, 40: 22500 * time.Millisecond} {
		if got := b.Delay(n); got != want {
			t.Errorf("Delay(%d) = %s, want %s", n, got, want)
		}
	}
}

func TestAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{"7": 7 * time.Second, " 0 ": 0, "Sun, 01 Mar 2026 12:00:30 GMT": 30 * time.Second} {
		if got, ok := After(v, now); !ok || got != want {
			t.Errorf("After(%q) = %s, %v; want %s", v, got, ok, want)
		}
	}
	for _, v := range []string{"", "soon", "-3"} {
		if _, ok := After(v, now); ok {
			t.Errorf("After(%q) accepted", v)
		}
	}
}
