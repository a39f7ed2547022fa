//go:build !purego

package simd

import "unsafe"

// The AVX2+FMA kernels of avx2_amd64.s. A pair kernel reads min(len(a),
// len(b)) floats; a one-vector batch kernel (dotBatchAVX2 …) scores
// min(len(vecs)/len(q), len(out)) vectors one after the other. The exported
// wrappers in simd.go check lengths first.

//go:noescape
func dotAVX2(a, b []float32) float32

//go:noescape
func l2AVX2(a, b []float32) float32

//go:noescape
func l1AVX2(a, b []float32) float32

//go:noescape
func dotBatchAVX2(q, vecs, out []float32)

//go:noescape
func l2BatchAVX2(q, vecs, out []float32)

//go:noescape
func l1BatchAVX2(q, vecs, out []float32)

// The two-vector batch kernels score n pairs of vectors in one call: pair i
// is the vectors at a + i*(4*len(q)+vskip) and b + i*(4*len(q)+vskip)
// bytes, scored into oa + i*oskip and ob + i*oskip. Each score is bit for
// bit what the pair kernel returns. len(q) must be > 0 and every address in
// range: streamBatch (batch_amd64.go) guarantees both.

//go:noescape
func dotBatch2AVX2(q []float32, a, b, oa, ob unsafe.Pointer, vskip, oskip uintptr, n int)

//go:noescape
func l2Batch2AVX2(q []float32, a, b, oa, ob unsafe.Pointer, vskip, oskip uintptr, n int)

//go:noescape
func l1Batch2AVX2(q []float32, a, b, oa, ob unsafe.Pointer, vskip, oskip uintptr, n int)
