package hnsw

import (
	"context"
	"testing"
	"unsafe"

	"github.com/cairn-db/cairn/point"
)

// FuzzOpen feeds arbitrary file images to the parser behind Open: it must
// return an error or a graph that searches without panicking. With fix set,
// the checksums are recomputed so that the structural checks are exercised.
func FuzzOpen(f *testing.F) {
	vecs := clustered(60, 4, 3, 17, point.Euclid)
	_, groups := selectivityGroups(60, 17)
	groups = append(groups, []uint32{1, 2, 3, 4, 5, 6, 7})
	g, err := Build(context.Background(), vecs, 4, point.Euclid, nil, groups, Params{M: 3, EfConstruct: 8, Threads: 1})
	if err != nil {
		f.Fatal(err)
	}
	good := g.encode()
	f.Add(good, false)
	f.Add(good[:len(good)-5], true)
	f.Add(good[:headerSize+8], true)
	f.Add([]byte("CAIRNHNS"), false)
	f.Fuzz(func(t *testing.T, b []byte, fix bool) {
		if fix && len(b) >= headerSize+trailerSize {
			fixCRCs(b)
		}
		// Copy into word-aligned memory, as a mapping is.
		words := make([]uint32, (len(b)+3)/4)
		img := unsafeBytes(words)[:len(b)]
		copy(img, b)
		og, err := parse(img, vecs, 4, point.Euclid)
		if err != nil {
			return
		}
		s := NewSearcher()
		for i := range 5 {
			og.Search(s, vecs[i*4:(i+1)*4], 5, 10, nil, nil)
			og.Search(s, vecs[i*4:(i+1)*4], 5, 10, func(id uint32) bool { return id%2 == 0 }, nil)
		}
	})
}

// parse validates a file image as Open does and returns a graph whose
// arrays view b (b must stay valid while the graph is used).
func parse(b []byte, vecs []float32, dim int, dist point.Distance) (*Graph, error) {
	avail := 0
	if dim > 0 {
		avail = len(vecs) / dim
	}
	g, err := layout(b, vecs, avail, dim, dist)
	if err != nil {
		return nil, err
	}
	if err := g.verifyBody(); err != nil {
		return nil, err
	}
	return g, nil
}

// unsafeBytes views words as bytes (for tests that need aligned images).
func unsafeBytes(w []uint32) []byte {
	if len(w) == 0 {
		return []byte{}
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&w[0])), 4*len(w))
}
