package membw

import (
	"encoding/binary"
	"testing"
)

// TestRead checks every loop against a byte-wise XOR over the whole blocks,
// on a buffer whose length is not a multiple of Block.
func TestRead(t *testing.T) {
	p := make([]byte, 4*Block*3+17)
	for i := range p {
		p[i] = byte(i*131 + i>>8)
	}
	var want uint64
	whole := len(p) / Block * Block
	for i := 0; i < whole; i += 8 {
		want ^= binary.LittleEndian.Uint64(p[i:])
	}
	loops := map[string]func([]byte) uint64{
		"Read":    Read,
		"ReadNT":  ReadNT,
		"Read4":   Read4,
		"PrefT0":  func(p []byte) uint64 { return ReadPrefetchT0(p, 512) },
		"PrefNTA": func(p []byte) uint64 { return ReadPrefetchNTA(p, 512) },
	}
	for name, f := range loops {
		if got := f(p); got != want {
			t.Errorf("%s = %#x, want %#x", name, got, want)
		}
		if got := f(p[:Block-1]); got != 0 {
			t.Errorf("%s on a partial block = %#x, want 0", name, got)
		}
	}
}
