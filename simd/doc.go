// Package simd holds Cairn's distance kernels: the dot product, squared
// Euclidean distance, Manhattan distance and in-place normalisation over
// float32 vectors, in a single-pair form and a batch form that scores one
// query against many vectors laid out contiguously.
//
// A portable Go implementation always compiles; assembly implementations
// for the host CPU are chosen once at start-up. Kernels do no I/O and import
// nothing of Cairn's.
//
// Precondition of every kernel: the vectors have equal length (and a batch
// holds a whole number of vectors of the query's length, with an output
// slice long enough for one score per vector). Lengths are validated where
// vectors enter the system; a kernel given mismatched lengths may panic.
package simd
