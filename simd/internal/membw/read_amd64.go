//go:build !purego

package membw

// Read streams p front to back with 32-byte loads (VPXOR from memory into
// four independent accumulators).
//
//go:noescape
func Read(p []byte) uint64

// ReadNT is Read with VMOVNTDQA (non-temporal hint) loads.
//
//go:noescape
func ReadNT(p []byte) uint64

// ReadPrefetchT0 is Read plus one PREFETCHT0 per 64-byte line, dist bytes
// ahead of the line being read.
//
//go:noescape
func ReadPrefetchT0(p []byte, dist int) uint64

// ReadPrefetchNTA is Read plus one PREFETCHNTA per line, dist bytes ahead.
//
//go:noescape
func ReadPrefetchNTA(p []byte, dist int) uint64

// Read4 splits p into four quarters and reads them as four interleaved
// sequential streams, 64 bytes of each per step.
//
//go:noescape
func Read4(p []byte) uint64
