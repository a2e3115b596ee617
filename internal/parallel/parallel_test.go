package parallel

import (
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
)

func TestDoRunsEveryIndexOnce(t *testing.T) {
	for _, n := range []int{0, 1, 7, 1000} {
		counts := make([]atomic.Int32, n)
		if err := Do(n, func(i int) error { counts[i].Add(1); return nil }); err != nil {
			t.Fatal(err)
		}
		for i := range counts {
			if c := counts[i].Load(); c != 1 {
				t.Fatalf("n=%d: index %d ran %d times", n, i, c)
			}
		}
	}
}

// The error is the one of the lowest failing index, whichever goroutine
// failed first, and every index before it ran.
func TestDoReturnsTheFirstErrorInOrder(t *testing.T) {
	const n = 500
	failing := map[int]bool{137: true, 138: true, 400: true, 499: true}
	for range 20 {
		var ran [n]atomic.Bool
		err := Do(n, func(i int) error {
			ran[i].Store(true)
			if failing[i] {
				return fmt.Errorf("index %d", i)
			}
			return nil
		})
		if err == nil || err.Error() != "index 137" {
			t.Fatalf("error %v, want index 137", err)
		}
		for i := 0; i < 137; i++ {
			if !ran[i].Load() {
				t.Fatalf("index %d before the failure did not run", i)
			}
		}
	}
	if err := Do(1, func(int) error { return errors.New("only") }); err == nil || err.Error() != "only" {
		t.Fatalf("one failing index: %v", err)
	}
}
