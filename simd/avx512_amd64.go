//go:build !purego

package simd

// The AVX-512F kernels of avx512_amd64.s, with the same contract as the
// AVX2 ones: a pair kernel reads min(len(a), len(b)) floats; a batch kernel
// scores min(len(vecs)/len(q), len(out)) vectors.

//go:noescape
func dotAVX512(a, b []float32) float32

//go:noescape
func l2AVX512(a, b []float32) float32

//go:noescape
func l1AVX512(a, b []float32) float32

//go:noescape
func dotBatchAVX512(q, vecs, out []float32)

//go:noescape
func l2BatchAVX512(q, vecs, out []float32)

//go:noescape
func l1BatchAVX512(q, vecs, out []float32)
