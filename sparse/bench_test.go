package sparse

import (
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/cairn-db/cairn/point"
)

// The benchmark corpus of issue 14: 100k documents over a Zipf vocabulary
// of 30k terms, about 100 non-zeros each, fixed seed.
const (
	benchDocs    = 100_000
	benchVocab   = 30_000
	benchNNZ     = 100
	benchQueries = 64
	benchTerms   = 10 // query length
	benchK       = 10
)

type benchCorpus struct {
	docs    []point.SparseVector
	ix      *Index
	queries []point.SparseVector
}

var (
	benchOnce sync.Once
	corpus    benchCorpus
)

// checkEqual fails unless the index and the scan give the same top lists
// for every query of c.
func checkEqual(tb testing.TB, c *benchCorpus) {
	for i, q := range c.queries {
		a, b := searchIndex(c.ix, q, nil), searchBrute(c.docs, q, nil)
		if !slices.Equal(a, b) || len(a) == 0 {
			tb.Fatalf("query %d: index %v, brute force %v", i, a, b)
		}
	}
}

// zipfVector draws n distinct Zipf-distributed terms with random values.
func zipfVector(r *rand.Rand, z *rand.Zipf, n int) point.SparseVector {
	seen := make(map[uint32]bool, n)
	var v point.SparseVector
	for len(v.Indices) < n {
		t := uint32(z.Uint64())
		if seen[t] {
			continue
		}
		seen[t] = true
		v.Indices = append(v.Indices, t)
		v.Values = append(v.Values, r.Float32())
	}
	return v.Sorted()
}

// makeCorpus builds n documents and the queries from the fixed seed.
func makeCorpus(n int) benchCorpus {
	var c benchCorpus
	r := rand.New(rand.NewPCG(14, 2026))
	z := rand.NewZipf(r, 1.1, 1, benchVocab-1)
	c.docs = make([]point.SparseVector, n)
	for i := range c.docs {
		c.docs[i] = zipfVector(r, z, benchNNZ)
	}
	b := Build("bench", n, func(off uint32) (point.SparseVector, bool) { return c.docs[off], true })
	ix, err := Open(aligned(b), n)
	if err != nil {
		panic(err)
	}
	c.ix = ix
	for range benchQueries {
		c.queries = append(c.queries, zipfVector(r, z, benchTerms))
	}
	return c
}

// loadCorpus returns the benchmark corpus, built once and checked: the
// index gives exactly the scan's results for every query.
func loadCorpus(tb testing.TB) *benchCorpus {
	benchOnce.Do(func() { corpus = makeCorpus(benchDocs) })
	checkEqual(tb, &corpus)
	return &corpus
}

type hit struct {
	off   uint32
	score float32
}

// top keeps the k best hits, the lower offset first among equal scores
// (hits arrive in ascending offset order).
func top(hits []hit, off uint32, score float32) []hit {
	if len(hits) == benchK && score <= hits[benchK-1].score {
		return hits
	}
	i := len(hits)
	for i > 0 && hits[i-1].score < score {
		i--
	}
	hits = slices.Insert(hits, i, hit{off, score})
	return hits[:min(len(hits), benchK)]
}

// searchIndex scores through the inverted index's postings.
func searchIndex(ix *Index, q point.SparseVector, hits []hit) []hit {
	acc := GetAccumulator(ix.Len())
	ix.Accumulate(q, acc)
	for _, off := range acc.Ordered() {
		hits = top(hits, off, acc.Score(off))
	}
	acc.Put()
	return hits
}

// searchBrute scans every document's vector (the same postings, point by
// point) with a merge against the query.
func searchBrute(docs []point.SparseVector, q point.SparseVector, hits []hit) []hit {
	for off, d := range docs {
		var s float32
		shared := false
		i, j := 0, 0
		for i < len(q.Indices) && j < len(d.Indices) {
			switch {
			case q.Indices[i] < d.Indices[j]:
				i++
			case q.Indices[i] > d.Indices[j]:
				j++
			default:
				s += q.Values[i] * d.Values[j]
				shared = true
				i++
				j++
			}
		}
		if shared {
			hits = top(hits, uint32(off), s)
		}
	}
	return hits
}

// TestBenchCorpusEqualResults: on a tenth of the benchmark corpus (the
// benchmark checks the whole one before it times anything) the index
// answers exactly what the brute-force scan answers.
func TestBenchCorpusEqualResults(t *testing.T) {
	c := makeCorpus(benchDocs / 10)
	checkEqual(t, &c)
}

// BenchmarkSearch is one query (of benchQueries in turn) over the corpus,
// through the inverted index and by a brute-force scan.
func BenchmarkSearch(b *testing.B) {
	c := loadCorpus(b)
	hits := make([]hit, 0, benchK+1)
	b.Run("index", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			hits = searchIndex(c.ix, c.queries[i%benchQueries], hits[:0])
		}
	})
	b.Run("bruteforce", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			hits = searchBrute(c.docs, c.queries[i%benchQueries], hits[:0])
		}
	})
}
