//go:build !purego

package simd

import "github.com/klauspost/cpuid/v2"

// The AVX2 int8 kernels of int8_amd64.s read exactly len(a) bytes of a and
// b; len(a) must be a multiple of 32 and at most int8Chunk, len(b) >=
// len(a). chunkedI8 guarantees all three.

//go:noescape
func dotI8AVX2(a, b []int8) int32

//go:noescape
func l2I8AVX2(a, b []int8) int32

var i8AVX2 = I8Impl{
	Name: "avx2",
	Dot:  func(a, b []int8) int64 { return chunkedI8(dotI8AVX2, dotI8Go, a, b) },
	L2:   func(a, b []int8) int64 { return chunkedI8(l2I8AVX2, l2I8Go, a, b) },
}

// availableI8 lists the assembly int8 implementations this CPU can run.
func availableI8() []I8Impl {
	if cpuid.CPU.Supports(cpuid.AVX2) {
		return []I8Impl{i8AVX2}
	}
	return nil
}
