package engine

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/cairn-db/cairn/hnsw"
	"github.com/cairn-db/cairn/point"
)

func benchPoints(r *rand.Rand, start, n, dim int) []PointStruct {
	pts := make([]PointStruct, n)
	for i := range pts {
		pts[i] = PointStruct{ID: point.NumID(uint64(start + i)), Vector: Vectors{"": randVec(r, dim)}}
	}
	return pts
}

// BenchmarkIngest upserts 100,000 points of dimension 128 in batches of
// 1,000 with wait=true (durable acknowledgement) into a fresh collection,
// with the background worker running (seals, merges, graph builds).
func BenchmarkIngest(b *testing.B) {
	const total, batch, dim = 100_000, 1_000, 128
	r := rand.New(rand.NewPCG(1, 2))
	batches := make([][]PointStruct, total/batch)
	for i := range batches {
		batches[i] = benchPoints(r, i*batch, batch, dim)
	}
	for _, clients := range []int{1, 4} {
		b.Run(fmt.Sprintf("points=%d/dim=%d/batch=%d/clients=%d", total, dim, batch, clients), func(b *testing.B) {
			benchIngest(b, batches, clients)
		})
	}
}

func benchIngest(b *testing.B, batches [][]PointStruct, clients int) {
	const total, dim = 100_000, 128
	{
		b.ReportAllocs()
		b.SetBytes(total * dim * 4)
		root := b.TempDir()
		var elapsed time.Duration
		iter := 0
		for b.Loop() {
			iter++
			st, err := Open(Options{Dir: filepath.Join(root, fmt.Sprint(iter)), Logger: quietLogger()})
			if err != nil {
				b.Fatal(err)
			}
			c := mustCreate(b, st, "bench", simpleReq(dim, point.Cosine))
			start := time.Now()
			work := make(chan []PointStruct)
			errs := make(chan error, clients)
			for range clients {
				go func() {
					var err error
					for pts := range work {
						if err == nil {
							_, err = c.Upsert(ctxb, pts, true)
						}
					}
					errs <- err
				}()
			}
			for _, pts := range batches {
				work <- pts
			}
			close(work)
			for range clients {
				if err := <-errs; err != nil {
					b.Fatal(err)
				}
			}
			elapsed += time.Since(start)
			b.StopTimer()
			if err := st.Close(); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
		b.ReportMetric(float64(total*iter)/elapsed.Seconds(), "points/s")
	}
}

// BenchmarkReopen opens a storage holding 1,000,000 sealed points of
// dimension 128 (built once), and reports the Go heap after a GC.
func BenchmarkReopen(b *testing.B) {
	const total, dim = 1_000_000, 128
	dir := b.TempDir()
	st, err := Open(Options{Dir: dir, Logger: quietLogger(), DisableBackground: true})
	if err != nil {
		b.Fatal(err)
	}
	req := simpleReq(dim, point.Dot)
	// Seal without HNSW graphs: this measures the engine's reopen, not graph building.
	req.HnswConfig = &HnswConfigDiff{M: intp(0)}
	req.OptimizersConfig = &OptimizersConfigDiff{IndexingThreshold: intp(total * dim * 4 / 1024 / 4)}
	c := mustCreate(b, st, "bench", req)
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < total; i += 10_000 {
		if _, err := c.Upsert(ctxb, benchPoints(r, i, 10_000, dim), false); err != nil {
			b.Fatal(err)
		}
		if (i+10_000)%(total/4) == 0 {
			if err := c.Flush(); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := st.Close(); err != nil {
		b.Fatal(err)
	}
	b.Run(fmt.Sprintf("points=%d/dim=%d", total, dim), func(b *testing.B) {
		b.ReportAllocs()
		var heap uint64
		for b.Loop() {
			st, err := Open(Options{Dir: dir, Logger: quietLogger(), DisableBackground: true})
			if err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			c, _ := st.Collection("bench")
			if n := c.Info().PointsCount; n != total {
				b.Fatalf("points = %d", n)
			}
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			heap = max(heap, ms.HeapAlloc)
			if err := st.Close(); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
		b.ReportMetric(float64(heap)/(1<<20), "heap-MiB")
	})
}

// BenchmarkSearch searches a sealed, indexed segment of 20,000 points of
// dimension 128 (HNSW m 16, ef_construct 100) through the engine: top 10,
// no payload, by graph at ef 64 and by exact scan.
func BenchmarkSearch(b *testing.B) {
	const total, dim = 20_000, 128
	st, err := Open(Options{Dir: b.TempDir(), Logger: quietLogger(), DisableBackground: true})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	c := mustCreate(b, st, "bench", simpleReq(dim, point.Cosine))
	r := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < total; i += 1000 {
		if _, err := c.Upsert(ctxb, benchPoints(r, i, 1000, dim), false); err != nil {
			b.Fatal(err)
		}
	}
	if err := c.Flush(); err != nil {
		b.Fatal(err)
	}
	if n := c.Info().IndexedVectorsCount; n != total {
		b.Fatalf("indexed %d", n)
	}
	queries := make([][]float32, 100)
	for i := range queries {
		queries[i] = randVec(r, dim)
	}
	for _, mode := range []struct {
		name   string
		params *SearchParams
	}{{"graph/ef=64", &SearchParams{HnswEf: intp(64)}}, {"exact", &SearchParams{Exact: true}}} {
		b.Run(fmt.Sprintf("points=%d/dim=%d/%s", total, dim, mode.name), func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := c.Search(ctxb, SearchRequest{Vector: NamedVector{Vector: queries[i%len(queries)]}, Limit: 10, Params: mode.params}); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// clusteredPoints returns n points of dimension dim drawn around 64 seeded
// centres (a Gaussian spread of 0.15 per component), and nq queries drawn
// the same way, so that graph searches behave as on real embeddings.
func clusteredPoints(r *rand.Rand, n, nq, dim int) ([]PointStruct, [][]float32) {
	centres := make([][]float32, 64)
	for i := range centres {
		centres[i] = randVec(r, dim)
	}
	draw := func() []float32 {
		c := centres[r.IntN(len(centres))]
		v := make([]float32, dim)
		for j := range v {
			v[j] = c[j] + float32(r.NormFloat64())*0.15
		}
		return v
	}
	pts := make([]PointStruct, n)
	for i := range pts {
		pts[i] = PointStruct{ID: point.NumID(uint64(i)), Vector: Vectors{"": draw()}}
	}
	qs := make([][]float32, nq)
	for i := range qs {
		qs[i] = draw()
	}
	return pts, qs
}

// BenchmarkSearchOverhead searches one sealed, indexed segment of 20,000
// clustered points of dimension 128 (Euclid, HNSW m 16, ef_construct 100)
// through Collection.Search (top 10, no payload, no vector) and, on the same
// graph, through hnsw.Graph.Search alone: the difference is the engine's
// own cost per query (view, planning, merging, result building).
func BenchmarkSearchOverhead(b *testing.B) {
	const total, dim = 20_000, 128
	st, err := Open(Options{Dir: b.TempDir(), Logger: quietLogger(), DisableBackground: true})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	c := mustCreate(b, st, "bench", simpleReq(dim, point.Euclid))
	pts, queries := clusteredPoints(rand.New(rand.NewPCG(7, 8)), total, 200, dim)
	for i := 0; i < total; i += 1000 {
		if _, err := c.Upsert(ctxb, pts[i:i+1000], false); err != nil {
			b.Fatal(err)
		}
	}
	if err := c.Flush(); err != nil {
		b.Fatal(err)
	}
	if n := c.Info().IndexedVectorsCount; n != total {
		b.Fatalf("indexed %d", n)
	}
	s := c.shards[0]
	if len(s.segs) != 1 || s.segs[0].graphs[""] == nil {
		b.Fatalf("want one indexed segment, have %d", len(s.segs))
	}
	g := s.segs[0].graphs[""]
	for _, ef := range []int{16, 64} {
		b.Run(fmt.Sprintf("points=%d/dim=%d/ef=%d/impl=engine", total, dim, ef), func(b *testing.B) {
			b.ReportAllocs()
			req := SearchRequest{Limit: 10, Params: &SearchParams{HnswEf: &ef}}
			i := 0
			for b.Loop() {
				req.Vector = NamedVector{Vector: queries[i%len(queries)]}
				if res, err := c.Search(ctxb, req); err != nil || len(res) != 10 {
					b.Fatalf("search: %d results, %v", len(res), err)
				}
				i++
			}
		})
		b.Run(fmt.Sprintf("points=%d/dim=%d/ef=%d/impl=paired", total, dim, ef), func(b *testing.B) {
			benchPaired(b, c, g, queries, ef)
		})
		b.Run(fmt.Sprintf("points=%d/dim=%d/ef=%d/impl=graph", total, dim, ef), func(b *testing.B) {
			b.ReportAllocs()
			sr := hnsw.NewSearcher()
			out := make([]hnsw.Neighbor, 0, 10)
			i := 0
			for b.Loop() {
				if out = g.Search(sr, queries[i%len(queries)], 10, ef, nil, out[:0]); len(out) != 10 {
					b.Fatalf("graph search: %d results", len(out))
				}
				i++
			}
		})
	}
}

// benchPaired runs, per iteration, one query through the engine and
// another through the graph alone (alternating which goes first), timing
// each, and reports the medians of the per-query times, their difference
// (the engine's own cost) and their ratio: on a shared machine the medians
// of interleaved timings are far steadier than two separate ns/op figures.
// ns/op and allocs/op cover both searches.
func benchPaired(b *testing.B, c *Collection, g *hnsw.Graph, queries [][]float32, ef int) {
	b.ReportAllocs()
	req := SearchRequest{Limit: 10, Params: &SearchParams{HnswEf: &ef}}
	sr := hnsw.NewSearcher()
	out := make([]hnsw.Neighbor, 0, 10)
	var eng, gr []float64
	i := 0
	for b.Loop() {
		for j := range 2 {
			t0 := time.Now()
			if (i+j)%2 == 0 {
				req.Vector = NamedVector{Vector: queries[i%len(queries)]}
				if _, err := c.Search(ctxb, req); err != nil {
					b.Fatal(err)
				}
				eng = append(eng, float64(time.Since(t0)))
			} else {
				out = g.Search(sr, queries[(i+len(queries)/2)%len(queries)], 10, ef, nil, out[:0])
				gr = append(gr, float64(time.Since(t0)))
			}
		}
		i++
	}
	med := func(x []float64) float64 { slices.Sort(x); return x[len(x)/2] }
	e, g0 := med(eng), med(gr)
	b.ReportMetric(e, "engine-ns")
	b.ReportMetric(g0, "graph-ns")
	b.ReportMetric(e-g0, "overhead-ns")
	b.ReportMetric(e/g0, "ratio")
}
