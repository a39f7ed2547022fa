//go:build !purego

package simd

// The NEON kernels of neon_arm64.s. A pair kernel reads min(len(a), len(b))
// floats; a batch kernel scores min(len(vecs)/len(q), len(out)) vectors.

//go:noescape
func dotNEON(a, b []float32) float32

//go:noescape
func l2NEON(a, b []float32) float32

//go:noescape
func l1NEON(a, b []float32) float32

//go:noescape
func dotBatchNEON(q, vecs, out []float32)

//go:noescape
func l2BatchNEON(q, vecs, out []float32)

//go:noescape
func l1BatchNEON(q, vecs, out []float32)
