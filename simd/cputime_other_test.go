//go:build !linux

package simd

// threadCPU is unavailable off Linux: the benchmarks report wall time only.
func threadCPU() (int64, bool) { return 0, false }
