package bench

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/cairn-db/cairn/point"
)

// writeDataset writes a small TEXMEX data set with exact L2 ground truth.
func writeDataset(t *testing.T, n, nq, dim int) string {
	t.Helper()
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	gen := func(rows int) []float32 {
		v := make([]float32, rows*dim)
		for i := range v {
			v[i] = float32(rng.NormFloat64())
		}
		return v
	}
	base, queries := gen(n), gen(nq)
	put := func(name string, rows int, word func(i, j int) uint32) {
		var b bytes.Buffer
		for i := range rows {
			_ = binary.Write(&b, binary.LittleEndian, int32(dim))
			for j := range dim {
				_ = binary.Write(&b, binary.LittleEndian, word(i, j))
			}
		}
		if err := os.WriteFile(filepath.Join(dir, name), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	put("base.fvecs", n, func(i, j int) uint32 { return math.Float32bits(base[i*dim+j]) })
	put("query.fvecs", nq, func(i, j int) uint32 { return math.Float32bits(queries[i*dim+j]) })
	gt := make([]uint32, nq*dim)
	for qi := range nq {
		ids := make([]int, n)
		d := make([]float64, n)
		for i := range n {
			ids[i] = i
			for j := range dim {
				x := float64(base[i*dim+j] - queries[qi*dim+j])
				d[i] += x * x
			}
		}
		sort.Slice(ids, func(a, b int) bool { return d[ids[a]] < d[ids[b]] })
		for j := range dim {
			gt[qi*dim+j] = uint32(ids[j])
		}
	}
	put("groundtruth.ivecs", nq, func(i, j int) uint32 { return gt[i*dim+j] })
	return dir
}

func TestRunHNSWTable(t *testing.T) {
	dir := writeDataset(t, 500, 20, 16) // 16 ground-truth columns ≥ k
	var out bytes.Buffer
	tab, err := RunHNSWTable(&out, dir, point.Euclid, 8, 50, []int{16, 64})
	if err != nil {
		t.Fatal(err)
	}
	var decoded HNSWTable
	if err := json.Unmarshal(out.Bytes(), &decoded); err != nil {
		t.Fatalf("output is not one JSON object: %v\n%s", err, out.String())
	}
	if decoded.N != 500 || decoded.Dim != 16 || decoded.Metric != "l2" || len(decoded.Search) != 2 {
		t.Fatalf("table header: %+v", decoded)
	}
	if decoded.BuildS["1"] <= 0 || decoded.BuildS["2"] <= 0 {
		t.Fatalf("build seconds: %v", decoded.BuildS)
	}
	for _, r := range tab.Search {
		if r.QPS <= 0 {
			t.Fatalf("ef %d: qps %v", r.Ef, r.QPS)
		}
	}
	if r := tab.Search[1].Recall; r < 0.95 {
		t.Fatalf("recall@10 at ef=64 = %.3f on 500 points", r)
	}
	if tab.FirstMS <= 0 || tab.FirstMS < tab.OpenMS || tab.FileBytes <= 0 {
		t.Fatalf("open figures: %+v", tab)
	}
	if _, err := RunHNSWTable(&out, t.TempDir(), point.Euclid, 8, 50, nil); err == nil {
		t.Fatal("empty directory: no error")
	}
}

// TestRoundSignificant: figures keep three significant digits, so a short
// build is never reported as 0 s.
func TestRoundSignificant(t *testing.T) {
	for _, c := range []struct{ x, want float64 }{{0.0041234, 0.00412}, {12.345, 12.3}, {987.6, 988}, {0, 0}} {
		if got := roundSignificant(c.x, 3); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("roundSignificant(%v, 3) = %v, want %v", c.x, got, c.want)
		}
	}
}
