//go:build !purego

package simd

import "github.com/klauspost/cpuid/v2"

var avx2 = Impl{
	Name:           "avx2",
	Dot:            dotAVX2,
	L2Squared:      l2AVX2,
	L1:             l1AVX2,
	DotBatch:       dotBatchStreamAVX2,
	L2SquaredBatch: l2BatchStreamAVX2,
	L1Batch:        l1BatchStreamAVX2,
}

// available lists the assembly implementations this CPU can run, best first.
func available() []Impl {
	var impls []Impl
	if cpuid.CPU.Supports(cpuid.AVX512F, cpuid.AVX2, cpuid.FMA3) {
		impls = append(impls, withDtypesAVX512(avx512))
	}
	if cpuid.CPU.Supports(cpuid.AVX2, cpuid.FMA3) {
		impls = append(impls, withDtypesAVX2(avx2))
	}
	return impls
}

var avx512 = Impl{
	Name:           "avx512",
	Dot:            dotAVX512,
	L2Squared:      l2AVX512,
	L1:             l1AVX512,
	DotBatch:       dotBatchAVX512,
	L2SquaredBatch: l2BatchAVX512,
	L1Batch:        l1BatchAVX512,
}
