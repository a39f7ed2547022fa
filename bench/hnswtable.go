package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/cairn-db/cairn/hnsw"
	"github.com/cairn-db/cairn/point"
	"github.com/cairn-db/cairn/simd"
	"github.com/cairn-db/cairn/vfs"
)

// DefaultEfs are the ef values of the reference table.
var DefaultEfs = []int{16, 32, 64, 128, 256}

// HNSWTable is the result of RunHNSWTable; its JSON form extends the object
// ../shared/bench/hnswlib_ref prints with Cairn-only fields.
type HNSWTable struct {
	Lib    string             `json:"lib"`
	Metric string             `json:"metric"`
	N      int                `json:"n"`
	Dim    int                `json:"dim"`
	M      int                `json:"M"`
	EfC    int                `json:"ef_construction"`
	BuildS map[string]float64 `json:"build_s"`
	Search []HNSWRow          `json:"search"`
	// OpenMS is the time to open the graph file (mmap and validate) with
	// the file in the page cache, and FirstMS the time to open it and
	// answer one query (ef 64), in milliseconds. ColdOpenMS and ColdFirstMS
	// are the same after the file's pages were dropped from the page cache
	// (zero where that is not possible).
	OpenMS      float64 `json:"open_ms"`
	FirstMS     float64 `json:"open_first_query_ms"`
	ColdOpenMS  float64 `json:"cold_open_ms"`
	ColdFirstMS float64 `json:"cold_open_first_query_ms"`
	FileBytes   int64   `json:"file_bytes"`
	SIMD        string  `json:"simd"`
	GoMaxProcs  int     `json:"gomaxprocs"`
}

// HNSWRow is one ef's single-thread search figure.
type HNSWRow struct {
	Ef     int     `json:"ef"`
	Recall float64 `json:"recall"`
	QPS    float64 `json:"qps"`
}

// tableK is the number of neighbours searched and checked against ground truth.
const tableK = 10

// RunHNSWTable loads base.fvecs, query.fvecs and groundtruth.ivecs from dir,
// builds a graph with 1 and 2 threads, measures single-thread QPS (one query
// at a time, best of 5 passes) and recall@10 for each ef with the 1-thread
// graph, then writes the graph to a temporary file and times opening it and
// answering one query. It prints one JSON object to w, shaped like
// hnswlib_ref's, and returns it.
func RunHNSWTable(w io.Writer, dir string, dist point.Distance, M, efc int, efs []int) (*HNSWTable, error) {
	base, dim, err := ReadFvecs(filepath.Join(dir, "base.fvecs"))
	if err != nil {
		return nil, err
	}
	queries, qdim, err := ReadFvecs(filepath.Join(dir, "query.fvecs"))
	if err != nil {
		return nil, err
	}
	gt, gdim, err := ReadIvecs(filepath.Join(dir, "groundtruth.ivecs"))
	if err != nil {
		return nil, err
	}
	nq := len(queries) / max(qdim, 1)
	if qdim != dim || gdim < tableK || len(gt)/gdim < nq {
		return nil, fmt.Errorf("%w: base dim %d, query dim %d, ground truth %d×%d", ErrFormat, dim, qdim, len(gt)/max(gdim, 1), gdim)
	}
	if dist == point.Cosine {
		normalizeTableRows(base, dim)
		normalizeTableRows(queries, dim)
	}
	t := &HNSWTable{Lib: "cairn hnsw (Go)", Metric: tableMetricName(dist), N: len(base) / dim, Dim: dim, M: M, EfC: efc,
		BuildS: map[string]float64{}, SIMD: simd.Chosen(), GoMaxProcs: runtime.GOMAXPROCS(0)}
	var g *hnsw.Graph
	for _, threads := range []int{1, 2} {
		t0 := time.Now()
		gi, err := hnsw.Build(context.Background(), base, dim, dist, nil, nil, hnsw.Params{M: M, EfConstruct: efc, Seed: 1, Threads: threads})
		if err != nil {
			return nil, err
		}
		t.BuildS[fmt.Sprint(threads)] = roundSignificant(time.Since(t0).Seconds(), 3)
		if threads == 1 {
			g = gi
		} else {
			_ = gi.Close()
		}
	}
	defer g.Close()
	for _, ef := range efs {
		t.Search = append(t.Search, measureTable(g, queries, gt, dim, gdim, ef))
	}
	if err := t.measureOpen(g, base, dist); err != nil {
		return nil, err
	}
	enc := json.NewEncoder(w)
	if err := enc.Encode(t); err != nil {
		return nil, fmt.Errorf("write table: %w", err)
	}
	return t, nil
}

// measureTable returns one row: best-of-5 single-thread QPS and recall@10.
func measureTable(g *hnsw.Graph, queries []float32, gt []int32, dim, gdim, ef int) HNSWRow {
	s := hnsw.NewSearcher()
	nq := len(queries) / dim
	out := make([]hnsw.Neighbor, 0, tableK)
	for i := range min(50, nq) {
		out = g.Search(s, queries[i*dim:(i+1)*dim], tableK, ef, nil, out[:0])
	}
	res := make([]uint32, nq*tableK)
	best := time.Duration(1 << 62)
	for range 5 {
		t0 := time.Now()
		for i := range nq {
			out = g.Search(s, queries[i*dim:(i+1)*dim], tableK, ef, nil, out[:0])
			for j, nb := range out {
				res[i*tableK+j] = nb.ID
			}
		}
		best = min(best, time.Since(t0))
	}
	hits := 0
	for i := range nq {
		truth := map[int32]bool{}
		for _, id := range gt[i*gdim : i*gdim+tableK] {
			truth[id] = true
		}
		for _, id := range res[i*tableK : (i+1)*tableK] {
			if truth[int32(id)] {
				hits++
			}
		}
	}
	return HNSWRow{Ef: ef, Recall: float64(hits) / float64(nq*tableK), QPS: float64(nq) / best.Seconds()}
}

// measureOpen writes g to a temporary file, then times Open and one query.
func (t *HNSWTable) measureOpen(g *hnsw.Graph, base []float32, dist point.Distance) error {
	dir, err := os.MkdirTemp("", "cairn-hnsw-table")
	if err != nil {
		return fmt.Errorf("open benchmark: %w", err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "graph.hnsw")
	if err := g.WriteFile(vfs.OS, path); err != nil {
		return err
	}
	if st, err := os.Stat(path); err == nil {
		t.FileBytes = st.Size()
	}
	q := base[:t.Dim]
	for _, cold := range []bool{false, true} {
		if cold && !evictPageCache(path) {
			continue
		}
		openMS, firstMS, err := timeTableOpen(path, base, t.Dim, dist, q)
		if err != nil {
			return err
		}
		if cold {
			t.ColdOpenMS, t.ColdFirstMS = openMS, firstMS
		} else {
			t.OpenMS, t.FirstMS = openMS, firstMS
		}
	}
	return nil
}

// timeTableOpen opens the graph at path and answers one query, returning the
// milliseconds to open and to open plus answer.
func timeTableOpen(path string, base []float32, dim int, dist point.Distance, q []float32) (float64, float64, error) {
	t0 := time.Now()
	og, err := hnsw.Open(path, base, dim, dist)
	if err != nil {
		return 0, 0, err
	}
	openMS := float64(time.Since(t0).Nanoseconds()) / 1e6
	res := og.Search(hnsw.NewSearcher(), q, tableK, 64, nil, nil)
	firstMS := float64(time.Since(t0).Nanoseconds()) / 1e6
	if len(res) == 0 {
		return 0, 0, fmt.Errorf("open benchmark: first query found nothing")
	}
	return tableRound3(openMS), tableRound3(firstMS), og.Close()
}

func normalizeTableRows(v []float32, dim int) {
	for i := 0; i+dim <= len(v); i += dim {
		simd.Normalize(v[i : i+dim])
	}
}

func tableMetricName(d point.Distance) string {
	switch d {
	case point.Euclid:
		return "l2"
	case point.Cosine, point.Dot:
		return "ip"
	}
	return "l1"
}

// roundSignificant rounds x to n significant digits: a build of a few
// milliseconds stays a few milliseconds, not 0.00 s.
func roundSignificant(x float64, n int) float64 {
	if x == 0 || math.IsInf(x, 0) || math.IsNaN(x) {
		return x
	}
	p := math.Pow(10, float64(n-1)-math.Floor(math.Log10(math.Abs(x))))
	return math.Round(x*p) / p
}

func tableRound3(x float64) float64 { return math.Round(x*1000) / 1000 }
