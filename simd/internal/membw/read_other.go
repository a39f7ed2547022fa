//go:build !amd64 || purego

package membw

import (
	"encoding/binary"
)

// Read streams p front to back, eight bytes at a time into four
// independent accumulators.
func Read(p []byte) uint64 {
	p = p[:len(p)/Block*Block]
	var a, b, c, d uint64
	for i := 0; i+32 <= len(p); i += 32 {
		a ^= binary.LittleEndian.Uint64(p[i:])
		b ^= binary.LittleEndian.Uint64(p[i+8:])
		c ^= binary.LittleEndian.Uint64(p[i+16:])
		d ^= binary.LittleEndian.Uint64(p[i+24:])
	}
	return a ^ b ^ c ^ d
}

// ReadNT is Read: this build has no non-temporal load.
func ReadNT(p []byte) uint64 { return Read(p) }

// ReadPrefetchT0 is Read: this build issues no software prefetch.
func ReadPrefetchT0(p []byte, dist int) uint64 { return Read(p) }

// ReadPrefetchNTA is Read: this build issues no software prefetch.
func ReadPrefetchNTA(p []byte, dist int) uint64 { return Read(p) }

// Read4 reads the four quarters of p as interleaved streams.
func Read4(p []byte) uint64 {
	q := len(p) / Block * Block / 4
	var s uint64
	for i := 0; i+8 <= q; i += 8 {
		s ^= binary.LittleEndian.Uint64(p[i:]) ^ binary.LittleEndian.Uint64(p[q+i:]) ^
			binary.LittleEndian.Uint64(p[2*q+i:]) ^ binary.LittleEndian.Uint64(p[3*q+i:])
	}
	return s
}
