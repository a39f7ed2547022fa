package payload

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/cairn-db/cairn/point"
)

// memSource is an in-memory Source over decoded payloads.
type memSource struct {
	ids     []point.ID
	docs    []Payload
	indexes map[string]*Index
	vectors map[string][]bool
}

func (s *memSource) Len() int                   { return len(s.docs) }
func (s *memSource) ID(off uint32) point.ID     { return s.ids[off] }
func (s *memSource) Payload(off uint32) Payload { return s.docs[off] }
func (s *memSource) Index(key string) *Index    { return s.indexes[key] }
func (s *memSource) Lookup(id point.ID) (uint32, bool) {
	for i, x := range s.ids {
		if x == id {
			return uint32(i), true
		}
	}
	return 0, false
}
func (s *memSource) HasVector(name string, off uint32) bool {
	v := s.vectors[name]
	return v != nil && v[off]
}

func (s *memSource) schemas() map[string]FieldSchema {
	m := map[string]FieldSchema{}
	for k, ix := range s.indexes {
		m[k] = ix.Schema()
	}
	return m
}

// buildSource indexes docs with the given schemas through BuildIndex and
// OpenIndex.
func buildSource(t testing.TB, docs []Payload, schemas map[string]FieldSchema) *memSource {
	t.Helper()
	s := &memSource{docs: docs, indexes: map[string]*Index{}, vectors: map[string][]bool{"img": make([]bool, len(docs))}}
	for i := range docs {
		s.ids = append(s.ids, point.NumID(uint64(i*7+1)))
		s.vectors["img"][i] = i%3 == 0
	}
	for k, sc := range schemas {
		b, err := BuildIndex(k, sc, len(docs), func(off uint32) Payload { return docs[off] })
		if err != nil {
			t.Fatalf("build %s: %v", k, err)
		}
		ix, err := OpenIndex(b)
		if err != nil {
			t.Fatalf("open %s: %v", k, err)
		}
		s.indexes[k] = ix
	}
	return s
}

var (
	words     = []string{"alpha", "Beta", "gamma", "delta", "eps", "zeta", "the", "Alp"}
	testUUIDs = []string{"550e8400-e29b-41d4-a716-446655440000", "550E8400-E29B-41D4-A716-446655440000", "6ba7b810-9dad-11d1-80b4-00c04fd430c8"}
)

// randScalar returns a random value of the flavour the key mostly holds.
func randScalar(r *rand.Rand, key string) any {
	if r.IntN(12) == 0 { // occasionally another type
		switch r.IntN(4) {
		case 0:
			return nil
		case 1:
			return true
		case 2:
			return jsonNum(fmt.Sprint(r.IntN(5)))
		default:
			return words[r.IntN(len(words))]
		}
	}
	switch key {
	case "kw", "ni":
		return words[r.IntN(len(words))]
	case "n", "f":
		switch r.IntN(5) {
		case 0:
			return jsonNum(fmt.Sprint(uint64(1<<63) + uint64(r.IntN(3))))
		case 1:
			return jsonNum(fmt.Sprintf("%d.5", r.IntN(10)-5))
		default:
			return jsonNum(fmt.Sprint(r.IntN(20) - 5))
		}
	case "flag":
		return r.IntN(2) == 0
	case "dt":
		return fmt.Sprintf("2024-01-%02dT%02d:00:00%s", 1+r.IntN(5), r.IntN(24), []string{"Z", "+02:00", "-05:30", ""}[r.IntN(4)])
	case "uid":
		if r.IntN(4) == 0 {
			return "not-a-uuid"
		}
		return testUUIDs[r.IntN(len(testUUIDs))]
	case "geo":
		return map[string]any{"lat": jsonNum(fmt.Sprintf("%.3f", 50+r.Float64()*4)), "lon": jsonNum(fmt.Sprintf("%.3f", 10+r.Float64()*4))}
	case "txt":
		s := ""
		for i := 0; i < 1+r.IntN(4); i++ {
			s += words[r.IntN(len(words))] + []string{" ", ", ", "-"}[r.IntN(3)]
		}
		return s
	}
	return nil
}

func jsonNum(s string) any { return json.Number(s) }

func randDoc(r *rand.Rand) Payload {
	p := Payload{}
	for _, k := range []string{"kw", "ni", "n", "f", "flag", "dt", "uid", "geo", "txt"} {
		switch r.IntN(6) {
		case 0: // missing
		case 1:
			arr := []any{}
			for i := 0; i < r.IntN(4); i++ {
				arr = append(arr, randScalar(r, k))
			}
			p[k] = arr
		default:
			p[k] = randScalar(r, k)
		}
	}
	if r.IntN(2) == 0 {
		var objs []any
		for i := 0; i < r.IntN(3); i++ {
			objs = append(objs, map[string]any{"kw": randScalar(r, "kw"), "n": randScalar(r, "n")})
		}
		p["obj"] = objs
	}
	return p
}
