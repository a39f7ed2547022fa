//go:build purego || (!amd64 && !arm64)

package simd

import "unsafe"

// Prefetch is a hint to start loading the cache line holding p. The
// portable build has no prefetch instruction, so it does nothing.
func Prefetch(p unsafe.Pointer) { _ = p }
