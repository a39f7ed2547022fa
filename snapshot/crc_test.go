package snapshot

import (
	"hash/crc32"
	"math/rand/v2"
	"testing"
)

// TestCRCCombine: the combined CRC-32C of two parts is the CRC-32C of
// the whole, for empty, short and long parts.
func TestCRCCombine(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	buf := make([]byte, 1<<20)
	for i := range buf {
		buf[i] = byte(r.Uint32())
	}
	for _, n := range [][2]int{{0, 0}, {0, 5}, {5, 0}, {1, 1}, {100, 7}, {4096, 1 << 19}, {1<<19 + 3, 1<<19 - 3}} {
		a, b := buf[:n[0]], buf[n[0]:n[0]+n[1]]
		got := crcCombine(crc32.Checksum(a, castagnoli), crc32.Checksum(b, castagnoli), int64(len(b)))
		if want := crc32.Checksum(buf[:n[0]+n[1]], castagnoli); got != want {
			t.Errorf("%v: %08x, want %08x", n, got, want)
		}
	}
}
