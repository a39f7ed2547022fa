package bench

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// naiveTopK is the reference: a double loop with a full sort.
func naiveTopK(base, queries []float32, dim, k int, m Metric) []int32 {
	n, nq := len(base)/dim, len(queries)/dim
	out := make([]int32, 0, nq*k)
	for qi := range nq {
		q := queries[qi*dim : (qi+1)*dim]
		type c struct {
			id int32
			d  float64
		}
		all := make([]c, n)
		for i := range n {
			v := base[i*dim : (i+1)*dim]
			var d float64
			for j := range q {
				if m == Cosine {
					d -= float64(q[j]) * float64(v[j])
				} else {
					x := float64(q[j]) - float64(v[j])
					d += x * x
				}
			}
			all[i] = c{int32(i), d}
		}
		slices.SortStableFunc(all, func(a, b c) int {
			switch {
			case a.d < b.d:
				return -1
			case a.d > b.d:
				return 1
			}
			return 0
		})
		for _, x := range all[:k] {
			out = append(out, x.id)
		}
	}
	return out
}

func TestGroundTruthMatchesNaive(t *testing.T) {
	for _, m := range []Metric{L2, Cosine} {
		for _, n := range []int{7, 1000, blockRows + 17} {
			base, queries, err := Generate(GenOptions{N: n, Queries: 40, Dim: 13, Clusters: 5, Seed: uint64(n), Metric: m})
			if err != nil {
				t.Fatal(err)
			}
			k := min(10, n)
			got, err := GroundTruth(base, queries, 13, k, m)
			if err != nil {
				t.Fatal(err)
			}
			want := naiveTopK(base, queries, 13, k, m)
			// float32 kernels and float64 sums may swap near-ties: compare
			// the sets, and demand order equality almost everywhere.
			diff := 0
			for i := range want {
				if got[i] != want[i] {
					diff++
				}
			}
			if diff > len(want)/50 {
				t.Errorf("%s n=%d: %d of %d ids differ from the naive double loop", m, n, diff, len(want))
			}
			if r := RecallIDs(toU64(got, k), want, k, k); r < 0.995 {
				t.Errorf("%s n=%d: set agreement %.4f", m, n, r)
			}
		}
	}
}

func TestGroundTruthTiesLowerIDFirst(t *testing.T) {
	base := []float32{1, 0, 0, 1, 1, 0, 0, 0, 1, 0} // rows 0, 2, 4 equal
	got, err := GroundTruth(base, []float32{1, 0}, 2, 3, L2)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []int32{0, 2, 4}) {
		t.Fatalf("got %v, want [0 2 4]", got)
	}
	if _, err := GroundTruth(base, []float32{1, 0}, 2, 6, L2); err == nil {
		t.Fatal("k larger than n accepted")
	}
}

func toU64(ids []int32, k int) [][]uint64 {
	var out [][]uint64
	for i := 0; i < len(ids); i += k {
		row := make([]uint64, k)
		for j := range k {
			row[j] = uint64(ids[i+j])
		}
		out = append(out, row)
	}
	return out
}

func TestEnsureGroundTruthCache(t *testing.T) {
	dir := t.TempDir()
	o := GenOptions{N: 300, Queries: 10, Dim: 8, Clusters: 3, Seed: 3}
	if err := GenerateDataset(dir, o, 10); err != nil {
		t.Fatal(err)
	}
	ds, err := LoadDataset(dir, L2, 10)
	if err != nil {
		t.Fatal(err)
	}
	gtPath := filepath.Join(dir, GroundTruthFile)
	// Reused: the sidecar matches, for k=10 and cut for k=5.
	gt, cached, err := EnsureGroundTruth(dir, ds.Base, ds.Queries, 8, 10, L2)
	if err != nil || !cached || !slices.Equal(gt, ds.GT) {
		t.Fatalf("cache not used: cached=%v err=%v", cached, err)
	}
	gt5, cached, err := EnsureGroundTruth(dir, ds.Base, ds.Queries, 8, 5, L2)
	if err != nil || !cached || len(gt5) != 50 || gt5[5] != ds.GT[10] {
		t.Fatalf("k=5 from the k=10 cache: cached=%v err=%v", cached, err)
	}
	// Recomputed: a larger k, another metric, a changed base, a corrupt file.
	if _, cached, _ := EnsureGroundTruth(dir, ds.Base, ds.Queries, 8, 20, L2); cached {
		t.Fatal("cache with k=10 used for k=20")
	}
	if _, cached, _ := EnsureGroundTruth(dir, ds.Base, ds.Queries, 8, 10, Cosine); cached {
		t.Fatal("L2 cache used for cosine")
	}
	// The k=20 and cosine runs rewrote it; make an L2 k=10 cache again.
	if _, _, err := EnsureGroundTruth(dir, ds.Base, ds.Queries, 8, 10, L2); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(filepath.Join(dir, BaseFile), later, later); err != nil {
		t.Fatal(err)
	}
	if _, cached, _ := EnsureGroundTruth(dir, ds.Base, ds.Queries, 8, 10, L2); cached {
		t.Fatal("cache used after base.fvecs changed")
	}
	raw, _ := os.ReadFile(gtPath)
	raw[len(raw)-1] ^= 1
	if err := os.WriteFile(gtPath, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	gt, cached, err = EnsureGroundTruth(dir, ds.Base, ds.Queries, 8, 10, L2)
	if err != nil || cached || !slices.Equal(gt, ds.GT) {
		t.Fatalf("corrupt cache: cached=%v err=%v", cached, err)
	}
	// A foreign groundtruth.ivecs without sidecar (gen_dataset.py's) is
	// never overwritten: the cache goes beside it.
	os.Remove(sidecarPath(filepath.Join(dir, GroundTruthFile)))
	foreign, _ := os.ReadFile(gtPath)
	if _, cached, _ := EnsureGroundTruth(dir, ds.Base, ds.Queries, 8, 10, L2); cached {
		t.Fatal("cache used without a sidecar")
	}
	if after, _ := os.ReadFile(gtPath); !slices.Equal(after, foreign) {
		t.Fatal("foreign groundtruth.ivecs overwritten")
	}
	if _, err := os.Stat(filepath.Join(dir, "groundtruth.cairn.ivecs")); err != nil {
		t.Fatal(err)
	}
}

func BenchmarkGroundTruth(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	base := make([]float32, 20000*128)
	for i := range base {
		base[i] = rng.Float32()
	}
	q := base[:100*128]
	b.ReportAllocs()
	b.SetBytes(int64(len(base) * 4 * 100))
	for b.Loop() {
		if _, err := GroundTruth(base, q, 128, 10, L2); err != nil {
			b.Fatal(err)
		}
	}
}
