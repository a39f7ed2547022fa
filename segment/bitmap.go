package segment

import "math/bits"

// Bitmap is a fixed-size set of point offsets, used for a segment's deleted
// points. It is not safe for concurrent mutation; Clone it to publish a copy.
type Bitmap struct {
	words []uint64
	n     int
}

// NewBitmap returns an empty bitmap over offsets 0..n-1.
func NewBitmap(n int) *Bitmap {
	return &Bitmap{words: make([]uint64, (n+63)/64), n: n}
}

// Len returns the number of offsets the bitmap covers.
func (b *Bitmap) Len() int { return b.n }

func (b *Bitmap) check(i int) {
	if i < 0 || i >= b.n {
		panic("segment: bitmap index out of range")
	}
}

// Set adds offset i. It panics if i is out of range.
func (b *Bitmap) Set(i int) {
	b.check(i)
	b.words[i>>6] |= 1 << (i & 63)
}

// Clear removes offset i. It panics if i is out of range.
func (b *Bitmap) Clear(i int) {
	b.check(i)
	b.words[i>>6] &^= 1 << (i & 63)
}

// Has reports whether offset i is set; an offset out of range is not.
func (b *Bitmap) Has(i int) bool {
	if i < 0 || i >= b.n {
		return false
	}
	return b.words[i>>6]>>(i&63)&1 != 0
}

// Count returns the number of offsets set.
func (b *Bitmap) Count() int {
	c := 0
	for _, w := range b.words {
		c += bits.OnesCount64(w)
	}
	return c
}

// Clone returns an independent copy.
func (b *Bitmap) Clone() *Bitmap {
	return &Bitmap{words: append([]uint64(nil), b.words...), n: b.n}
}
