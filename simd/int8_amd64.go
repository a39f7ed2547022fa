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

// The AVX-512BW+VNNI kernels of int8_avx512_amd64.s, with the same
// contract (VPMOVSXBW to words, VPDPWSSD multiply-adds them into dwords).
//
//go:noescape
func dotI8AVX512(a, b []int8) int32

//go:noescape
func l2I8AVX512(a, b []int8) int32

var i8AVX512 = I8Impl{
	Name: "avx512",
	Dot:  func(a, b []int8) int64 { return chunkedI8(dotI8AVX512, dotI8Go, a, b) },
	L2:   func(a, b []int8) int64 { return chunkedI8(l2I8AVX512, l2I8Go, a, b) },
}

var i8AVX2 = I8Impl{
	Name: "avx2",
	Dot:  func(a, b []int8) int64 { return chunkedI8(dotI8AVX2, dotI8Go, a, b) },
	L2:   func(a, b []int8) int64 { return chunkedI8(l2I8AVX2, l2I8Go, a, b) },
}

// availableI8 lists the assembly int8 implementations this CPU can run.
func availableI8() []I8Impl {
	var a []I8Impl
	if cpuid.CPU.Supports(cpuid.AVX512F, cpuid.AVX512BW, cpuid.AVX512VNNI) {
		a = append(a, i8AVX512)
	}
	if cpuid.CPU.Supports(cpuid.AVX2) {
		a = append(a, i8AVX2)
	}
	return a
}

// rowKernel is set when an assembly implementation is in use: the row
// kernels then call its int32 kernels directly, without the function values
// and chunking of I8Impl (a row of at most int8Chunk bytes is one int32
// kernel call and a Go tail).
var rowKernel = i8Chosen.Name == i8AVX512.Name || i8Chosen.Name == i8AVX2.Name

var rowAVX512 = i8Chosen.Name == i8AVX512.Name

func dotI8Row(a, b []int8) int64 {
	if !rowKernel || len(a) > int8Chunk {
		return i8Chosen.Dot(a, b)
	}
	n := len(a) &^ 31
	var s int64
	if rowAVX512 {
		s = int64(dotI8AVX512(a[:n], b[:n]))
	} else {
		s = int64(dotI8AVX2(a[:n], b[:n]))
	}
	if n < len(a) {
		s += dotI8Go(a[n:], b[n:len(a)])
	}
	return s
}

func l2I8Row(a, b []int8) int64 {
	if !rowKernel || len(a) > int8Chunk {
		return i8Chosen.L2(a, b)
	}
	n := len(a) &^ 31
	var s int64
	if rowAVX512 {
		s = int64(l2I8AVX512(a[:n], b[:n]))
	} else {
		s = int64(l2I8AVX2(a[:n], b[:n]))
	}
	if n < len(a) {
		s += l2I8Go(a[n:], b[n:len(a)])
	}
	return s
}
