package sparse

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/cairn-db/cairn/point"
)

// testVecs returns n seeded vectors (sorted), some points without one.
func testVecs(n int) map[uint32]point.SparseVector {
	r := rand.New(rand.NewPCG(3, 4))
	out := map[uint32]point.SparseVector{}
	for off := range uint32(n) {
		if r.IntN(4) == 0 {
			continue
		}
		var v point.SparseVector
		for t := range uint32(60) {
			if r.IntN(8) == 0 {
				v.Indices = append(v.Indices, t*7)
				v.Values = append(v.Values, r.Float32()-0.5)
			}
		}
		out[off] = v
	}
	return out
}

func build(n int, vecs map[uint32]point.SparseVector) []byte {
	return Build("text", n, func(off uint32) (point.SparseVector, bool) { v, ok := vecs[off]; return v, ok })
}

// aligned copies b into 8-byte aligned memory, as a mapping is.
func aligned(b []byte) []byte {
	w := make([]uint64, (len(b)+7)/8)
	out := unsafeBytes(w)[:len(b)]
	copy(out, b)
	return out
}

func TestBuildOpenRoundTrip(t *testing.T) {
	const n = 300
	vecs := testVecs(n)
	ix, err := Open(aligned(build(n, vecs)), n)
	if err != nil {
		t.Fatal(err)
	}
	if ix.Name() != "text" || ix.Len() != n || ix.Count() != len(vecs) {
		t.Fatalf("name %q, len %d, count %d", ix.Name(), ix.Len(), ix.Count())
	}
	for off := range uint32(n) {
		got, ok := ix.Vector(off)
		want, had := vecs[off]
		if ok != had || !slices.Equal(got.Indices, want.Indices) || !slices.Equal(got.Values, want.Values) {
			t.Fatalf("offset %d: %v %v, want %v %v", off, got, ok, want, had)
		}
	}
	// Accumulate equals the brute-force dot product over shared indices.
	q := point.SparseVector{Indices: []uint32{0, 7, 14, 70, 413, 999}, Values: []float32{1, -2, 0.5, 3, 1, 9}}
	acc := GetAccumulator(n)
	defer acc.Put()
	ix.Accumulate(q, acc)
	touched := map[uint32]bool{}
	for _, off := range acc.Ordered() {
		touched[off] = true
	}
	for off := range uint32(n) {
		v, ok := vecs[off]
		shares := false
		for _, t := range q.Indices {
			if _, f := slices.BinarySearch(v.Indices, t); f && ok {
				shares = true
			}
		}
		if shares != touched[off] {
			t.Fatalf("offset %d: touched %v, shares an index %v", off, touched[off], shares)
		}
		if shares && acc.Score(off) != point.SparseDot(q, v) {
			t.Fatalf("offset %d: score %v, want %v", off, acc.Score(off), point.SparseDot(q, v))
		}
	}
}

// reseal recomputes both checksums after a change to the bytes.
func reseal(b []byte) {
	le := binary.LittleEndian
	cs := crc32.MakeTable(crc32.Castagnoli)
	le.PutUint32(b[48:], crc32.Checksum(b[HeaderSize:], cs))
	le.PutUint32(b[60:], crc32.Checksum(b[:60], cs))
}

func TestOpenRejectsCorruption(t *testing.T) {
	const n = 50
	good := build(n, testVecs(n))
	le := binary.LittleEndian
	tsOff := HeaderSize + 8*(n+1) // term starts
	for _, tc := range []struct {
		what string
		edit func(b []byte) []byte
		want error
	}{
		{"magic", func(b []byte) []byte { b[0] = 'X'; return b }, ErrCorrupt},
		{"header checksum", func(b []byte) []byte { b[20] ^= 1; return b }, ErrCorrupt},
		{"version", func(b []byte) []byte { le.PutUint32(b[8:], 2); reseal(b); return b }, ErrVersion},
		{"body checksum", func(b []byte) []byte { b[len(b)-1] ^= 1; return b }, ErrCorrupt},
		{"truncated", func(b []byte) []byte { b = b[:len(b)-1]; reseal(b); return b }, ErrCorrupt},
		{"point count", func(b []byte) []byte { le.PutUint64(b[16:], n+1); reseal(b); return b }, ErrCorrupt},
		{"term starts", func(b []byte) []byte { le.PutUint64(b[tsOff+8:], 1<<40); reseal(b); return b }, ErrCorrupt},
		{"short", func(b []byte) []byte { return b[:10] }, ErrCorrupt},
	} {
		b := tc.edit(slices.Clone(good))
		if _, err := Open(aligned(b), n); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.what, err, tc.want)
		}
	}
	if _, err := Open(aligned(good), n); err != nil {
		t.Fatal(err)
	}
}
