// Package membw holds memory read loops that measure how fast one core can
// stream a buffer from memory. Only the benchmarks of package simd import
// it: they run it over the same 51 MB block the batch kernels scan, so the
// kernels' distances per second can be set against the bandwidth limit of
// the machine, measured in the same run.
//
// Every loop reads len(p) rounded down to a multiple of [Block] bytes and
// returns the XOR of what it read, so that no load can be optimised away.
package membw

// Block is the granularity of every loop: the bytes read per iteration.
const Block = 256
