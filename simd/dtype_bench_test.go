package simd

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkDtypes compares the float16 and uint8 kernels of every
// implementation with its float32 kernels at dim 768, one pair per call.
func BenchmarkDtypes(b *testing.B) {
	const dim = 768
	rng := rand.New(rand.NewPCG(27, 28))
	x, y := randVec(rng, dim, 0, 1), randVec(rng, dim, 0, 1)
	hx, hy := randF16(rng, dim, 0, 1), randF16(rng, dim, 0, 1)
	ux, uy := randU8(rng, dim, 0), randU8(rng, dim, 0)
	var isink uint32
	for _, im := range Implementations() {
		type bench struct {
			name string
			fn   func()
		}
		for _, c := range []bench{
			{"Dot/f32", func() { sink += im.Dot(x, y) }},
			{"Dot/f16", func() { sink += im.DotF16(hx, hy) }},
			{"Dot/u8", func() { isink += im.DotU8(ux, uy) }},
			{"L2Squared/f32", func() { sink += im.L2Squared(x, y) }},
			{"L2Squared/f16", func() { sink += im.L2SquaredF16(hx, hy) }},
			{"L2Squared/u8", func() { isink += im.L2SquaredU8(ux, uy) }},
		} {
			b.Run(c.name+"/dim=768/impl="+im.Name, func(b *testing.B) {
				for b.Loop() {
					c.fn()
				}
			})
		}
	}
	sink += float32(isink)
}
