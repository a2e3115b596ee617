// Package parallel runs the iterations of a loop on every core: the
// environments of a fleet are loaded, rendered and built this way.
package parallel

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Do calls f(0) … f(n-1) on up to GOMAXPROCS goroutines and returns the
// error of the lowest index that failed, as a loop would; indices after a
// failure may be skipped, indices before it all run. f must be safe to call
// concurrently; results go where f puts them (by index).
func Do(n int, f func(i int) error) error {
	errs := make([]error, n)
	var next atomic.Int64
	// failed is the lowest index that failed so far (n: none).
	var failed atomic.Int64
	failed.Store(int64(n))
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), n) {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(n) || i > failed.Load() {
					return
				}
				if errs[i] = f(int(i)); errs[i] != nil {
					for f := failed.Load(); i < f && !failed.CompareAndSwap(f, i); f = failed.Load() {
					}
				}
			}
		})
	}
	wg.Wait()
	if f := failed.Load(); f < int64(n) {
		return errs[f]
	}
	return nil
}
