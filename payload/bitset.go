package payload

import "math/bits"

// bitset is a set of offsets below n.
type bitset []uint64

func newBitset(n int) bitset { return make(bitset, (n+63)/64) }

func fullBitset(n int) bitset {
	b := newBitset(n)
	for i := range b {
		b[i] = ^uint64(0)
	}
	if r := n % 64; r != 0 {
		b[len(b)-1] = 1<<r - 1
	}
	return b
}

func (b bitset) set(i uint32)      { b[i>>6] |= 1 << (i & 63) }
func (b bitset) has(i uint32) bool { return int(i>>6) < len(b) && b[i>>6]&(1<<(i&63)) != 0 }

func (b bitset) setAll(offs []uint32) bitset {
	for _, o := range offs {
		b.set(o)
	}
	return b
}

func (b bitset) count() int {
	n := 0
	for _, w := range b {
		n += bits.OnesCount64(w)
	}
	return n
}

func (b bitset) and(o bitset) bitset {
	for i := range b {
		b[i] &= o[i]
	}
	return b
}

func (b bitset) or(o bitset) bitset {
	for i := range b {
		b[i] |= o[i]
	}
	return b
}

func (b bitset) andNot(o bitset) bitset {
	for i := range b {
		b[i] &^= o[i]
	}
	return b
}

func (b bitset) clone() bitset { return append(bitset(nil), b...) }

// list returns the members in increasing order.
func (b bitset) list() []uint32 {
	out := make([]uint32, 0, b.count())
	for i, w := range b {
		for w != 0 {
			t := bits.TrailingZeros64(w)
			out = append(out, uint32(i*64+t))
			w &= w - 1
		}
	}
	return out
}
