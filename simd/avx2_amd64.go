//go:build !purego

package simd

// The AVX2+FMA kernels of avx2_amd64.s. A pair kernel reads min(len(a),
// len(b)) floats; a batch kernel scores min(len(vecs)/len(q), len(out))
// vectors. The exported wrappers in simd.go check lengths first.

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
