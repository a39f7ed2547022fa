package segment

import (
	"bytes"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"

	"github.com/cairn-db/cairn/point"
	"github.com/google/uuid"
)

// genRecords makes n records with a mix of integer and UUID ids, vectors for
// specs (each missing with probability missing), and payloads that are nil,
// small or (every 97th point) large.
func genRecords(rng *rand.Rand, n int, specs []VectorSpec, missing float64) []Record {
	recs := make([]Record, 0, n)
	seen := map[point.ID]bool{}
	for len(recs) < n {
		var id point.ID
		if rng.IntN(3) == 0 {
			var u uuid.UUID
			for i := range u {
				u[i] = byte(rng.Uint32())
			}
			id = point.UUIDID(u)
		} else {
			id = point.NumID(rng.Uint64() >> uint(rng.IntN(64)))
		}
		if seen[id] {
			continue
		}
		seen[id] = true
		r := Record{ID: id, Version: rng.Uint64(), Vectors: map[string][]float32{}}
		for _, s := range specs {
			if rng.Float64() < missing {
				continue
			}
			v := make([]float32, s.Dim)
			for i := range v {
				v[i] = rng.Float32()*2 - 1
			}
			r.Vectors[s.Name] = v
		}
		switch i := len(recs); {
		case i%97 == 5:
			r.Payload = bytes.Repeat([]byte(`{"k":"0123456789abcdef"}`), 20000)
		case i%3 != 0:
			r.Payload = []byte(`{"n":` + id.String() + `}`)
		}
		recs = append(recs, r)
	}
	return recs
}

// sortedRecords returns a copy of recs in id order.
func sortedRecords(recs []Record) []Record {
	out := slices.Clone(recs)
	slices.SortFunc(out, func(a, b Record) int { return point.Compare(a.ID, b.ID) })
	return out
}

// writeTestSegment writes recs into a fresh folder and returns its path.
func writeTestSegment(t testing.TB, recs []Record, opts WriteOptions) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "seg")
	if err := Write(dir, recs, opts); err != nil {
		t.Fatalf("Write: %v", err)
	}
	return dir
}

func openTestSegment(t testing.TB, dir string) *Segment {
	t.Helper()
	s, err := Open(dir)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

var testSpecs = []VectorSpec{
	{Name: "", Dim: 8, Distance: point.Cosine},
	{Name: "image", Dim: 3, Distance: point.Euclid},
	{Name: "weird/../name\x00é", Dim: 5, Distance: point.Dot},
}
