//go:build !purego

package simd

import "github.com/klauspost/cpuid/v2"

// The float16 and uint8 kernels of dtype_amd64.s. Each scores all of a,
// whose length must be a multiple of its block, and reads len(a) elements
// of b; withTailF16 and withTailU8 make the Impl fields from them.

//go:noescape
func dotF16AVX2(a, b []uint16) float32

//go:noescape
func l2F16AVX2(a, b []uint16) float32

//go:noescape
func dotU8AVX2(a, b []uint8) uint32

//go:noescape
func l2U8AVX2(a, b []uint8) uint32

//go:noescape
func dotF16AVX512(a, b []uint16) float32

//go:noescape
func l2F16AVX512(a, b []uint16) float32

//go:noescape
func dotU8AVX512(a, b []uint8) uint32

//go:noescape
func l2U8AVX512(a, b []uint8) uint32

// withDtypesAVX2 sets im's float16 and uint8 kernels to the AVX2 ones. The
// float16 kernels widen with F16C's VCVTPH2PS, which cpuid is asked for
// separately; on a CPU without it the portable float16 kernels are used.
func withDtypesAVX2(im Impl) Impl {
	if cpuid.CPU.Supports(cpuid.F16C) {
		im.DotF16 = withTailF16(dotF16AVX2, dotF16Go, 8)
		im.L2SquaredF16 = withTailF16(l2F16AVX2, l2F16Go, 8)
	} else {
		im.DotF16, im.L2SquaredF16 = dotF16Go, l2F16Go
	}
	im.DotU8 = withTailU8(dotU8AVX2, dotU8Go, 16)
	im.L2SquaredU8 = withTailU8(l2U8AVX2, l2U8Go, 16)
	return im
}

// withDtypesAVX512 sets im's float16 kernels to the AVX-512F ones and its
// uint8 kernels to the AVX-512BW+VNNI ones where the CPU has both, else to
// the AVX2 ones.
func withDtypesAVX512(im Impl) Impl {
	im = withDtypesAVX2(im)
	im.DotF16 = withTailF16(dotF16AVX512, dotF16Go, 16)
	im.L2SquaredF16 = withTailF16(l2F16AVX512, l2F16Go, 16)
	if cpuid.CPU.Supports(cpuid.AVX512BW, cpuid.AVX512VNNI) {
		im.DotU8 = withTailU8(dotU8AVX512, dotU8Go, 32)
		im.L2SquaredU8 = withTailU8(l2U8AVX512, l2U8Go, 32)
	}
	return im
}
