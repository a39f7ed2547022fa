//go:build !purego

package simd

import "unsafe"

// Prefetch asks the CPU to start loading the cache line holding p into the
// L1 data cache (PRFM PLDL1KEEP). It never faults and has no visible
// effect, so any address, even an invalid one, is allowed.
//
//go:noescape
func Prefetch(p unsafe.Pointer)
