// Package simd holds Cairn's distance kernels: the dot product, squared
// Euclidean distance, Manhattan distance and in-place normalisation over
// float32 vectors, in a single-pair form and a batch form that scores one
// query against many vectors laid out contiguously.
//
// # Implementations
//
//   - avx512 (amd64, AVX512F): avx512_amd64.s, ZMM registers, four
//     accumulators of 16 lanes, tails read with zero-masking K-register loads.
//   - avx2 (amd64, AVX2+FMA3): avx2_amd64.s, YMM registers, four
//     accumulators of 8 lanes (64 floats in flight hide the FMA latency),
//     tails read with VMASKMOVPS, |x| as ANDPS with a sign mask.
//   - neon (arm64, ASIMD): neon_arm64.s, four accumulators of 4 lanes
//     (FMLA, FSUB, FABD, FADD), a scalar tail.
//   - go: portable.go, always compiled; the purego build tag makes it the
//     only one.
//
// Each assembly file has its Go declarations in the .go file of the same
// name and is built only without the purego tag. The batch kernels loop in
// assembly (one call scores a whole block), so their per-vector cost is the
// arithmetic and the memory traffic only. The avx2 batch kernels score two
// vectors per step against one load of the query (batch_amd64.go): a batch
// of 64 vectors or more is cut into four equal parts that are read side by
// side, two at a time, which keeps four hardware-prefetch streams busy;
// with the two-vector step it made a 51 MB scan 1.3–1.6× as fast as the
// one-vector kernel (docs/BENCHMARKS.md); each
// batch score still equals the pair kernel's bit for bit. The read loops of
// internal/membw, used only by the benchmarks, measure the memory bandwidth
// such a scan is bound by.
//
// Dispatch happens once, at package initialisation: available (in
// dispatch_amd64.go, dispatch_arm64.go or dispatch_other.go) asks
// github.com/klauspost/cpuid/v2 which implementations the CPU and the OS
// support, best first, and the first becomes the one the exported functions
// call; [Chosen] names it and [Implementations] lists them all for tests and
// benchmarks. Tests compare every listed implementation with the portable
// one; an implementation the CPU cannot run is skipped with a message
// naming the missing feature.
//
// Implementations sum in different orders and may fuse multiply and add,
// so results agree within a relative rounding error (about 1e-6 times the
// sum of the absolute terms), not bit for bit.
//
// # float16 and uint8
//
// dtype.go adds the kernels for dense vectors stored as Qdrant's
// `datatype: float16` (binary16 bits in a uint16) and `uint8`: [DotF16],
// [L2SquaredF16], [DotU8], [L2SquaredU8] and [CosineU8], with
// [F16FromFloat32] / [F16ToFloat32] for the conversion (round to nearest
// even, overflow to infinity, as Rust's half::f16::from_f32 that Qdrant
// uses) and [U8FromFloat32] for uint8 (Qdrant's `x as u8`: truncated,
// saturated to 0–255, NaN to 0), and their slice forms [F16Encode],
// [F16Decode] and [U8Encode]. Both operands have the stored type: as in
// Qdrant, a float32 query is converted to the stored type before scoring,
// never scored in float32 against narrow stored values. float16 is widened
// exactly and summed in float32 (avx512: VCVTPH2PS on ZMM; avx2: F16C
// VCVTPH2PS on YMM; neon: FCVTL/FCVTL2), cosine being the dot product of
// vectors normalised before narrowing. uint8 sums are exact uint32 integers
// (avx512: VPMOVZXBW + VNNI VPDPWSSD when the CPU has AVX512BW and
// AVX512VNNI, else the avx2 kernels; avx2: VPMOVZXBW + VPMADDWD; neon:
// UMULL/UMULL2 + UADALP, UABD for the distance), so every implementation
// returns the same value; [CosineU8] follows Qdrant: dot / sqrt(|a|²·|b|²)
// in float32, not normalised into uint8, 0 for a zero vector. The assembly
// handles whole blocks of 8–32 elements and the portable kernel the rest.
//
// # Preconditions
//
// The pair kernels read len(a) floats of each argument: b must be at least
// as long as a (the exported functions panic otherwise). A batch holds whole
// vectors of len(q) floats (a partial vector at the end is ignored) and out
// must have room for one score per vector. Lengths are validated where
// vectors enter the system; the kernels do no I/O and import nothing of
// Cairn's.
package simd
