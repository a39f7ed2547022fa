package engine

import (
	"bytes"
	"testing"

	"github.com/cairn-db/cairn/point"
)

// FuzzDecodeRecord feeds arbitrary bytes to the WAL record decoder: it must
// never panic, and what it accepts must re-encode to a record that decodes
// to the same operation.
func FuzzDecodeRecord(f *testing.F) {
	f.Add(encodePut([]pointData{{id: point.NumID(7), vectors: map[string][]float32{"": {1, 2}}, payload: []byte(`{"a":1}`)}}, 5))
	f.Add(encodeDelete([]point.ID{point.NumID(1), point.NumID(1 << 63)}, 0))
	f.Add(encodePut([]pointData{{id: point.NumID(8), sparse: map[string]point.SparseVector{"s": {Indices: []uint32{1, 9}, Values: []float32{0.5, 2}}}}}, 6))
	f.Add([]byte{1, 1, 200, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		o, err := decodeRecord(b)
		if err != nil {
			return
		}
		var again []byte
		switch o.kind {
		case kindDelete:
			again = encodeDelete(o.dels, o.ts)
		case kindPut:
			again = encodePut(o.puts, o.ts)
		}
		o2, err := decodeRecord(again)
		if err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		if o2.kind == kindPut && !bytes.Equal(encodePut(o2.puts, o2.ts), again) ||
			o2.kind == kindDelete && !bytes.Equal(encodeDelete(o2.dels, o2.ts), again) {
			t.Fatalf("re-encoding of %x is not stable", b)
		}
	})
}

// FuzzDecodeManifest checks the manifest reader rejects corrupt input
// without panicking and accepts what it writes.
func FuzzDecodeManifest(f *testing.F) {
	good, _ := encodeManifest(&manifest{SealedLSN: 9, NextSegment: 3, Segments: []manifestEntry{{Name: "seg-1", Points: 4, Graphs: []string{""}}}})
	f.Add(good)
	f.Add(good[:10])
	// Lies of issue 21: a segment listed twice, one at next_segment.
	twice, _ := encodeManifest(&manifest{SealedLSN: 9, NextSegment: 3, Segments: []manifestEntry{{Name: "seg-1", Points: 4}, {Name: "seg-1", Points: 4}}})
	f.Add(twice)
	high, _ := encodeManifest(&manifest{SealedLSN: 9, NextSegment: 3, Segments: []manifestEntry{{Name: "seg-0000000000000003", Points: 4}}})
	f.Add(high)
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := decodeManifest(b)
		if err != nil {
			return
		}
		again, err := encodeManifest(m)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := decodeManifest(again); err != nil {
			t.Fatalf("re-decode: %v", err)
		}
	})
}
