//go:build !purego

package simd

// The float16 and uint8 kernels of dtype_arm64.s. Each scores all of a,
// whose length must be a multiple of its block (8 halves, 16 bytes), and
// reads len(a) elements of b.

//go:noescape
func dotF16NEON(a, b []uint16) float32

//go:noescape
func l2F16NEON(a, b []uint16) float32

//go:noescape
func dotU8NEON(a, b []uint8) uint32

//go:noescape
func l2U8NEON(a, b []uint8) uint32

// withDtypesNEON sets im's float16 and uint8 kernels to the NEON ones.
func withDtypesNEON(im Impl) Impl {
	im.DotF16 = withTailF16(dotF16NEON, dotF16Go, 8)
	im.L2SquaredF16 = withTailF16(l2F16NEON, l2F16Go, 8)
	im.DotU8 = withTailU8(dotU8NEON, dotU8Go, 16)
	im.L2SquaredU8 = withTailU8(l2U8NEON, l2U8Go, 16)
	return im
}
