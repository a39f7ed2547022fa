package engine

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"

	"github.com/cairn-db/cairn/point"
)

// BenchmarkQuantizedSearch compares, on one sealed and indexed segment of
// 10,000 clustered 768-d Cosine points (CAIRN_QUANT_BENCH_POINTS, a multiple
// of 1,000, sets another count) (HNSW m 16, ef_construct 100, built on one
// thread), float32 graph search with graph search on scalar int8 codes
// (quantile 0.99) rescored with the float32 vectors, top 10, at several ef
// and oversampling settings, single client. recall@10 is against the exact
// float32 top 10 of the same 200 queries; cpu-ns/query is the process's CPU
// time per query, which a loaded machine inflates less than wall time.
func BenchmarkQuantizedSearch(b *testing.B) {
	const dim, nq = 768, 200
	total := 10_000
	if s := os.Getenv("CAIRN_QUANT_BENCH_POINTS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1000 || n%1000 != 0 {
			b.Fatalf("CAIRN_QUANT_BENCH_POINTS=%q: want a multiple of 1000", s)
		}
		total = n
	}
	st, err := Open(Options{Dir: b.TempDir(), Logger: quietLogger(), DisableBackground: true})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	pts, queries := clusteredPoints(rand.New(rand.NewPCG(1, 1)), total, nq, dim)
	mk := func(name string, q *QuantizationConfig) *Collection {
		req := simpleReq(dim, point.Cosine)
		req.HnswConfig = &HnswConfigDiff{M: intp(16), EfConstruct: intp(100), MaxIndexingThreads: intp(1)}
		req.QuantizationConfig = q
		c := mustCreate(b, st, name, req)
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
		return c
	}
	plain := mk("float32", nil)
	quantized := mk("int8", &QuantizationConfig{Scalar: &ScalarQuantization{Type: "int8", Quantile: f32p(0.99)}})
	exact := make([][]point.ID, nq)
	for i, q := range queries {
		res, err := plain.Search(ctxb, SearchRequest{Vector: NamedVector{Vector: q}, Limit: 10, Params: &SearchParams{Exact: true}})
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range res {
			exact[i] = append(exact[i], r.ID)
		}
	}
	for _, mode := range []struct {
		name   string
		c      *Collection
		params *SearchParams
	}{
		{"float32/ef=32", plain, &SearchParams{HnswEf: intp(32)}},
		{"float32/ef=48", plain, &SearchParams{HnswEf: intp(48)}},
		{"float32/ef=64", plain, &SearchParams{HnswEf: intp(64)}},
		{"int8/oversampling=1/ef=64", quantized, &SearchParams{HnswEf: intp(64)}},
		{"int8/oversampling=2/ef=32", quantized, &SearchParams{HnswEf: intp(32), Quantization: &QuantizationSearchParams{Oversampling: f64p(2)}}},
		{"int8/oversampling=2/ef=64", quantized, &SearchParams{HnswEf: intp(64), Quantization: &QuantizationSearchParams{Oversampling: f64p(2)}}},
		{"int8/oversampling=3/ef=64", quantized, &SearchParams{HnswEf: intp(64), Quantization: &QuantizationSearchParams{Oversampling: f64p(3)}}},
		{"int8/oversampling=4/ef=64", quantized, &SearchParams{HnswEf: intp(64), Quantization: &QuantizationSearchParams{Oversampling: f64p(4)}}},
	} {
		b.Run(fmt.Sprintf("points=%d/dim=%d/%s", total, dim, mode.name), func(b *testing.B) {
			hits, n := 0, 0
			i := 0
			cpu0, cpuOK := processCPU()
			for b.Loop() {
				qi := i % nq
				res, err := mode.c.Search(ctxb, SearchRequest{Vector: NamedVector{Vector: queries[qi]}, Limit: 10, Params: mode.params})
				if err != nil {
					b.Fatal(err)
				}
				for _, r := range res {
					if slices.Contains(exact[qi], r.ID) {
						hits++
					}
				}
				n += 10
				i++
			}
			b.ReportMetric(float64(hits)/float64(n), "recall@10")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(i), "ns/query")
			if cpu1, ok := processCPU(); ok && cpuOK {
				b.ReportMetric(float64(cpu1-cpu0)/float64(i), "cpu-ns/query")
			}
		})
	}
}
