package matte

import (
	"runtime"
	"sync"
)

// The pure-Go matte and the edge work are per-pixel loops with no state shared
// between rows: on a machine with two processors, two halves of an image run at
// once. The results are the same bit for bit as one loop's: each half writes only
// its own rows.

// minSplitRows is the fewest rows worth a second goroutine.
const minSplitRows = 64

// inHalves runs fn over rows [0, n) as two halves at once when more than one
// processor may run Go code, else in one call.
func inHalves(n int, fn func(lo, hi int)) {
	if n < minSplitRows || runtime.GOMAXPROCS(0) < 2 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	wg.Go(func() { fn(0, n/2) })
	fn(n/2, n)
	wg.Wait()
}

// together runs f and g at once when more than one processor may run Go code.
func together(f, g func()) {
	if runtime.GOMAXPROCS(0) < 2 {
		f()
		g()
		return
	}
	var wg sync.WaitGroup
	wg.Go(f)
	g()
	wg.Wait()
}
