package segment

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// seedFiles writes a small segment and returns the bytes of its files.
func seedFiles(f *testing.F) map[string][]byte {
	f.Helper()
	rng := rand.New(rand.NewPCG(5, 6))
	recs := genRecords(rng, 20, testSpecs, 0.3)
	dir := filepath.Join(f.TempDir(), "seg")
	if err := Write(dir, recs, WriteOptions{Vectors: testSpecs, Extra: map[string][]byte{"e": {1}}}); err != nil {
		f.Fatal(err)
	}
	out := map[string][]byte{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		out[e.Name()], err = os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			f.Fatal(err)
		}
	}
	return out
}

// reseal returns a copy of a data file with its header checksum (and, when
// body is not nil, the checksum in CRCA over body's range) recomputed, so the
// fuzzer explores the checks behind the checksums.
func reseal(b []byte, body func(h []byte) (lo, hi uint64)) []byte {
	if len(b) < HeaderSize {
		return b
	}
	b = bytes.Clone(b)
	if body != nil {
		if lo, hi := body(b); lo <= hi && hi <= uint64(len(b)) {
			binary.LittleEndian.PutUint32(b[40:], checksum(b[lo:hi]))
		}
	}
	binary.LittleEndian.PutUint32(b[60:], checksum(b[:60]))
	return b
}

func wholeBody(b []byte) (uint64, uint64) { return HeaderSize, uint64(len(b)) }

// withCRC appends the CRC-32C of b, as meta.seg and deleted.bits end.
func withCRC(b []byte) []byte {
	return binary.LittleEndian.AppendUint32(bytes.Clone(b), checksum(b))
}

func FuzzOpenMeta(f *testing.F) {
	f.Add(seedFiles(f)[MetaFile])
	f.Add([]byte("CAIRNSEG"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, in := range [][]byte{b, withCRC(b)} {
			m, err := parseMeta(in)
			if err != nil {
				continue
			}
			if again := m.marshal(); !bytes.Equal(again, in) {
				t.Fatalf("meta does not re-encode to its input")
			}
		}
	})
}

func FuzzParseIDs(f *testing.F) {
	f.Add(seedFiles(f)[IDsFile])
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, in := range [][]byte{b, reseal(b, wholeBody)} {
			tab, err := parseIDs(in)
			if err != nil {
				continue
			}
			s := &Segment{ids: tab}
			for i := range tab.n {
				id := s.ID(uint32(i))
				if off, ok := s.Lookup(id); !ok || off != uint32(i) {
					t.Fatalf("Lookup(ID(%d)) = %d %v", i, off, ok)
				}
			}
		}
	})
}

func FuzzParseVersions(f *testing.F) {
	f.Add(seedFiles(f)[VersionsFile])
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, in := range [][]byte{b, reseal(b, wholeBody)} {
			vers, n, err := parseVersions(in)
			if err != nil {
				continue
			}
			s := &Segment{versions: vers}
			for i := range n {
				s.Version(uint32(i))
			}
		}
	})
}

func FuzzParseVectors(f *testing.F) {
	files := seedFiles(f)
	for _, sp := range testSpecs {
		f.Add(files[vectorFile(sp.Name)], sp.Dim)
	}
	f.Fuzz(func(t *testing.T, b []byte, dim int) {
		fuzzVectors(t, b, dim)
		fuzzVectors(t, reseal(b, nil), dim)
	})
}

func fuzzVectors(t *testing.T, b []byte, dim int) {
	for _, dt := range []Datatype{Float32, Float16, Uint8} {
		spec := VectorSpec{Dim: dim, Datatype: dt}
		blk, err := parseVectors(b, spec)
		if err != nil {
			continue
		}
		if uint64(len(blk.raw)) != blk.n*uint64(dim)*uint64(dt.Size()) {
			t.Fatalf("%s block of %d bytes for %d × %d", dt, len(blk.raw), blk.n, dim)
		}
		blk.spec = spec
		s := &Segment{vectors: map[string]*vectorBlock{"": &blk}}
		for i := range blk.n {
			if v := s.Vector("", uint32(i)); v != nil && len(v) != dim {
				t.Fatalf("vector of %d floats", len(v))
			}
		}
	}
}

func FuzzParsePayloadOffsets(f *testing.F) {
	f.Add(seedFiles(f)[PayloadFile])
	offsets := func(b []byte) (uint64, uint64) {
		return HeaderSize, HeaderSize + 8*(binary.LittleEndian.Uint64(b[16:])%MaxPoints+1)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, in := range [][]byte{b, reseal(b, offsets)} {
			tab, n, err := parsePayload(in)
			if err != nil {
				continue
			}
			total := 0
			for i := range n {
				total += len(tab.at(uint32(i)))
			}
			if total != len(tab.data) {
				t.Fatalf("payloads cover %d of %d bytes", total, len(tab.data))
			}
		}
	})
}

func FuzzLoadDeleted(f *testing.F) {
	b := NewBitmap(70)
	b.Set(3)
	b.Set(69)
	seed, _ := b.MarshalBinary()
	f.Add(seed)
	f.Fuzz(func(t *testing.T, raw []byte) {
		for _, data := range [][]byte{raw, withCRC(raw)} {
			var bm Bitmap
			if err := bm.UnmarshalBinary(data); err != nil {
				continue
			}
			again, _ := bm.MarshalBinary()
			if !bytes.Equal(again, data) {
				t.Fatal("deletion bitmap does not re-encode to its input")
			}
			if _, err := ParseDeleted(data, bm.Len()); err != nil {
				t.Fatal(err)
			}
		}
	})
}
