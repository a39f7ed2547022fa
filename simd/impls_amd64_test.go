//go:build !purego

package simd

import (
	"testing"

	"github.com/klauspost/cpuid/v2"
)

// expectedImpls names the implementations this amd64 CPU must offer.
func expectedImpls() []string {
	var want []string
	if cpuid.CPU.Supports(cpuid.AVX512F, cpuid.AVX2, cpuid.FMA3) {
		want = append(want, "avx512")
	}
	if cpuid.CPU.Supports(cpuid.AVX2, cpuid.FMA3) {
		want = append(want, "avx2")
	}
	return append(want, "go")
}

// TestAVX512Runs makes the skip visible: the AVX-512 kernels are executed by
// the table tests above only on a CPU with AVX512F.
func TestAVX512Runs(t *testing.T) {
	if !cpuid.CPU.Supports(cpuid.AVX512F) {
		t.Skip("CPU lacks AVX512F: the avx512 kernels are compiled but not executed")
	}
	checkPair(t, kernels[0], dotAVX512, dotGo)
}

// TestAVX2Runs makes the skip visible for the AVX2 kernels.
func TestAVX2Runs(t *testing.T) {
	if !cpuid.CPU.Supports(cpuid.AVX2, cpuid.FMA3) {
		t.Skip("CPU lacks AVX2 or FMA3: the avx2 kernels are compiled but not executed")
	}
	checkPair(t, kernels[0], dotAVX2, dotGo)
}

// avx2OneVector is avx2 with the one-vector batch kernels, which score the
// vectors one after the other front to back (the batch kernels before the
// two-vector, four-part ones); the tests and benchmarks compare both.
var avx2OneVector = Impl{
	Name:           "avx2-1vec",
	Dot:            dotAVX2,
	L2Squared:      l2AVX2,
	L1:             l1AVX2,
	DotBatch:       dotBatchAVX2,
	L2SquaredBatch: l2BatchAVX2,
	L1Batch:        l1BatchAVX2,
}

// extraImpls lists the test-only variants this CPU can run.
func extraImpls() []Impl {
	if cpuid.CPU.Supports(cpuid.AVX2, cpuid.FMA3) {
		return []Impl{avx2OneVector}
	}
	return nil
}
