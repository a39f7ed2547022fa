package segment

import (
	"bytes"
	"hash/crc32"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cairn-db/cairn/point"
)

// TestVectorDataHole: VectorData names exactly the float data of every
// vectors file (with and without a presence bitmap) and nothing in other
// files; a copy of the segment with that range zeroed opens, and its
// VerifyChecks pass when the original files' checksums are vouched for, as
// a snapshot verification's spill relies on.
func TestVectorDataHole(t *testing.T) {
	specs := []VectorSpec{{Name: "", Dim: 4, Distance: point.Dot}, {Name: "x", Dim: 3, Distance: point.Euclid}}
	recs := genRecords(rand.New(rand.NewPCG(3, 4)), 300, specs, 0.3)
	dir := writeTestSegment(t, recs, WriteOptions{Vectors: specs})
	hole := filepath.Join(t.TempDir(), "seg")
	if err := os.Mkdir(hole, 0o755); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	sums := map[string]uint32{}
	holes := 0
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		sums[e.Name()] = crc32.Checksum(b, castagnoli)
		off, n, ok := VectorData(e.Name(), b)
		if isVec := strings.HasPrefix(e.Name(), "vectors-"); ok != isVec {
			t.Fatalf("%s: VectorData ok %v", e.Name(), ok)
		}
		if ok {
			holes++
			if off != HeaderSize || off+n > int64(len(b)) || n%4 != 0 || n == 0 {
				t.Fatalf("%s: hole [%d, %d) in %d bytes", e.Name(), off, off+n, len(b))
			}
			b = bytes.Clone(b)
			clear(b[off : off+n])
		}
		if err := os.WriteFile(filepath.Join(hole, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if holes != 2 {
		t.Fatalf("%d vectors files", holes)
	}
	if _, _, ok := VectorData("vectors-default.seg", make([]byte, HeaderSize)); ok {
		t.Fatal("a zero header accepted")
	}
	s := openTestSegment(t, hole)
	for _, c := range s.VerifyChecks(func(name string) (uint32, bool) { crc, ok := sums[name]; return crc, ok }) {
		if err := c.Run(); err != nil {
			t.Fatal(err)
		}
	}
}
