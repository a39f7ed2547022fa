//go:build !purego

package simd

import "unsafe"

// Prefetch asks the CPU to start loading the cache line holding p into all
// cache levels (PREFETCHT0). It never faults and has no visible effect, so
// any address, even an invalid one, is allowed.
//
//go:noescape
func Prefetch(p unsafe.Pointer)
