//go:build !purego

package simd

import "github.com/klauspost/cpuid/v2"

var neon = Impl{
	Name:           "neon",
	Dot:            dotNEON,
	L2Squared:      l2NEON,
	L1:             l1NEON,
	DotBatch:       dotBatchNEON,
	L2SquaredBatch: l2BatchNEON,
	L1Batch:        l1BatchNEON,
}

// available lists the assembly implementations this CPU can run, best first.
// ASIMD is architecturally required on arm64 Linux; cpuid is asked anyway so
// that a CPU reporting otherwise falls back to the portable kernels.
func available() []Impl {
	if cpuid.CPU.Supports(cpuid.ASIMD) {
		return []Impl{withDtypesNEON(neon)}
	}
	return nil
}
