package overlay

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// parallel calls f(0) … f(n-1) on up to GOMAXPROCS goroutines and returns
// the error of the lowest index that failed, as a loop would; indices after
// a failure may be skipped.
func parallel(n int, f func(i int) error) error {
	errs := make([]error, n)
	var next atomic.Int64
	var failed atomic.Int64
	failed.Store(int64(n))
	var wg sync.WaitGroup
	for w := 0; w < min(runtime.GOMAXPROCS(0), n); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
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
		}()
	}
	wg.Wait()
	if f := failed.Load(); f < int64(n) {
		return errs[f]
	}
	return nil
}
