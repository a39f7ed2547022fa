package snapshot

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/cairn-db/cairn/bench"
	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/point"
)

// BenchmarkRecover measures Manager.Recover of a collection snapshot over
// an existing collection (checksum check skipped, as tar does none:
// extraction with CRC-32C checks and fsyncs, the engine's verification, the
// crash-safe swap) against tar -xf of the same archive, with and without an
// fsync of every extracted file and folder. The three run interleaved in
// each iteration (in a rotating order), so ns/op is their sum and the
// metrics are per-impl medians: recover-ms, tar-xf-ms, tar-xf-fsync-ms and
// the ratios of recover to each. first-query-ms is the slowest first search
// (top 10) on the restored collection. -short skips the 1,000,000-point
// size (graph-free, m=0, as in BenchmarkSnapshotStall).
//
// target=replace recovers over the collection the previous iteration
// restored, so the restore holds the old files (in the page cache) while it
// writes the new ones. target=absent deletes that collection first, untimed,
// as tar's previous output is removed before the next tar -xf: the recover
// then meets the memory tar meets.
func BenchmarkRecover(b *testing.B) {
	sizes := []int{10000, 1000000}
	if testing.Short() {
		sizes = sizes[:1]
	}
	for _, n := range sizes {
		m, _ := benchCollection(b, n)
		for _, target := range recoverTargets {
			b.Run(fmt.Sprintf("points=%d/dim=%d/target=%s", n, benchDim, target), func(b *testing.B) {
				benchRecoverInterleaved(b, m, randVec(seeded(5), benchDim), target, nil)
			})
		}
	}
}

// recoverTargets are the states the benchmarks' recovers meet (see
// BenchmarkRecover).
var recoverTargets = []string{"replace", "absent"}

// BenchmarkRecoverIndexed is BenchmarkRecover on an indexed collection:
// 1,000,000 clustered points of dimension 128 (bench.Generate, Cosine, seed
// 1) in one sealed segment with its HNSW graph (m 16, ef_construct 100). It
// checks after every recover that the graph was restored, not rebuilt
// (indexed_vectors_count equals the point count as Recover returns), and
// reports first-query-ms (the slowest first search, top 10, right after
// Recover returns) and recall@10 of 20 graph searches against exact ones.
//
// Building the graph takes tens of minutes on 2 cores, so it is built once
// into a cache folder keyed by its parameters ($CAIRN_BENCH_CACHE, default
// $TMPDIR/cairn-bench-cache) and reused. It runs only when
// CAIRN_BENCH_INDEXED=1 and not under -short; CAIRN_BENCH_INDEXED_POINTS
// sets another point count (above 20,000, the full-scan threshold, for a
// graph to be built):
//
//	CAIRN_BENCH_INDEXED=1 go test -run '^$' -bench RecoverIndexed -benchtime 3x -timeout 90m ./snapshot
func BenchmarkRecoverIndexed(b *testing.B) {
	if testing.Short() || os.Getenv("CAIRN_BENCH_INDEXED") != "1" {
		b.Skip("set CAIRN_BENCH_INDEXED=1 (and no -short) to build or reuse the 1,000,000-point indexed collection")
	}
	n := 1000000
	if s := os.Getenv("CAIRN_BENCH_INDEXED_POINTS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil || n < 1000 {
			b.Fatalf("CAIRN_BENCH_INDEXED_POINTS=%q: want a count of at least 1000", s)
		}
	}
	m, c, queries := indexedBenchCollection(b, n)
	if got := c.Info().IndexedVectorsCount; got != n {
		b.Fatalf("source collection: indexed_vectors_count %d, want %d", got, n)
	}
	check := func(r *engine.Collection) error {
		if got := r.Info().IndexedVectorsCount; got != n {
			return fmt.Errorf("restored collection: indexed_vectors_count %d, want %d (graph not restored)", got, n)
		}
		return nil
	}
	for _, target := range recoverTargets {
		b.Run(fmt.Sprintf("points=%d/dim=%d/m=16/target=%s", n, benchDim, target), func(b *testing.B) {
			benchRecoverInterleaved(b, m, queries[0], target, check)
			r, err := m.Storage.Collection("restored")
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(recallAt10(b, r, queries[1:21]), "recall@10")
		})
	}
}

// benchRecoverInterleaved snapshots the collection "bench" of m, then in
// each iteration recovers it as "restored" (timing the first search with
// q), and extracts it with tar -xf, with tar -xf plus fsyncs, and with tar
// -xf into a fresh folder plus rm -rf of the previous such output, timed
// together (tar-xf-rm-ms, x-tar-rm: the hand-made counterpart of a recover
// over an existing collection), in a rotating order. check, when not nil, runs on the restored collection
// right after the first search. target "absent" deletes "restored" before
// each recover, untimed (see BenchmarkRecover).
func benchRecoverInterleaved(b *testing.B, m *Manager, q []float32, target string, check func(*engine.Collection) error) {
	d, err := m.CreateCollection(ctxb, "bench")
	if err != nil {
		b.Fatal(err)
	}
	archive := filepath.Join(m.SnapshotsPath, "bench", d.Name)
	b.Cleanup(func() { _ = os.Remove(archive) })
	// Create may write the archive around the page cache: read it once so
	// that every impl reads it from memory, not only those after the first.
	if _, err := FileChecksum(archive); err != nil {
		b.Fatal(err)
	}
	tmp := b.TempDir()
	var rec, tarx, tarf, tarr, firsts []time.Duration
	var first time.Duration
	// tar's counterpart of a recover over an existing collection: extract
	// into a fresh folder and remove the previous output, timed together.
	prev := tarInto(b, archive, tmp)
	runs := []func(){
		func() {
			if target == "absent" {
				if _, err := m.Storage.DeleteCollection("restored"); err != nil {
					b.Fatal(err)
				}
			}
			t0 := time.Now()
			if err := m.Recover(ctxb, "restored", archive, "", ""); err != nil {
				b.Fatal(err)
			}
			r, err := m.Storage.Collection("restored")
			if err != nil {
				b.Fatal(err)
			}
			t1 := time.Now()
			if res, err := r.Search(ctxb, engine.SearchRequest{Vector: engine.NamedVector{Vector: q}, Limit: 10}); err != nil || len(res) != 10 {
				b.Fatalf("first search: %d results, %v", len(res), err)
			}
			fq := time.Since(t1)
			first = max(first, fq)
			rec, firsts = append(rec, t1.Sub(t0)), append(firsts, fq)
			b.Logf("recover %d (%s): %.1f ms, first query %.2f ms", len(rec), target, float64(t1.Sub(t0).Microseconds())/1000, float64(fq.Microseconds())/1000)
			if check != nil {
				if err := check(r); err != nil {
					b.Fatal(err)
				}
			}
		},
		func() { tarx = append(tarx, tarExtract(b, archive, tmp, false)) },
		func() { tarf = append(tarf, tarExtract(b, archive, tmp, true)) },
		func() {
			t0 := time.Now()
			next := tarInto(b, archive, tmp)
			if err := os.RemoveAll(prev); err != nil {
				b.Fatal(err)
			}
			tarr = append(tarr, time.Since(t0))
			prev = next
		},
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		for k := range runs {
			runs[(i+k)%len(runs)]()
		}
		i++
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	r, t, f, tr := median(rec), median(tarx), median(tarf), median(tarr)
	b.ReportMetric(ms(r), "recover-ms")
	b.ReportMetric(ms(t), "tar-xf-ms")
	b.ReportMetric(ms(f), "tar-xf-fsync-ms")
	b.ReportMetric(float64(r)/float64(t), "x-tar")
	b.ReportMetric(float64(r)/float64(f), "x-tar-fsync")
	b.ReportMetric(ms(tr), "tar-xf-rm-ms")
	b.ReportMetric(float64(r)/float64(tr), "x-tar-rm")
	b.ReportMetric(ms(first), "first-query-ms")
	b.ReportMetric(ms(median(firsts)), "first-query-med-ms")
}

// tarInto extracts archive with tar -xf into a new folder under tmp and
// returns the folder.
func tarInto(b *testing.B, archive, tmp string) string {
	dst, err := os.MkdirTemp(tmp, "r")
	if err != nil {
		b.Fatal(err)
	}
	if msg, err := exec.Command("tar", "-xf", archive, "-C", dst).CombinedOutput(); err != nil {
		b.Fatalf("tar: %v %s", err, msg)
	}
	return dst
}

// tarExtract times tar -xf of archive into a fresh folder under tmp and,
// with fsync, an fsync of every extracted file and folder (what Extract
// does to make the files durable); the folder is then removed.
func tarExtract(b *testing.B, archive, tmp string, fsync bool) time.Duration {
	dst, err := os.MkdirTemp(tmp, "x")
	if err != nil {
		b.Fatal(err)
	}
	t0 := time.Now()
	if msg, err := exec.Command("tar", "-xf", archive, "-C", dst).CombinedOutput(); err != nil {
		b.Fatalf("tar: %v %s", err, msg)
	}
	if fsync {
		if err := fsyncTree(dst); err != nil {
			b.Fatal(err)
		}
	}
	d := time.Since(t0)
	if err := os.RemoveAll(dst); err != nil {
		b.Fatal(err)
	}
	return d
}

func fsyncTree(dir string) error {
	return filepath.WalkDir(dir, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		return errors.Join(f.Sync(), f.Close())
	})
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// recallAt10 is the mean recall@10 of graph searches on c against exact
// searches, over queries.
func recallAt10(b *testing.B, c *engine.Collection, queries [][]float32) float64 {
	hits, total := 0, 0
	for _, q := range queries {
		approx, err := c.Search(ctxb, engine.SearchRequest{Vector: engine.NamedVector{Vector: q}, Limit: 10})
		if err != nil {
			b.Fatal(err)
		}
		exact, err := c.Search(ctxb, engine.SearchRequest{Vector: engine.NamedVector{Vector: q}, Limit: 10, Params: &engine.SearchParams{Exact: true}})
		if err != nil {
			b.Fatal(err)
		}
		want := map[string]bool{}
		for _, p := range exact {
			want[p.ID.String()] = true
		}
		for _, p := range approx {
			if want[p.ID.String()] {
				hits++
			}
		}
		total += len(exact)
	}
	return float64(hits) / float64(total)
}

// indexedBenchParams names the cached indexed collection: change it when
// the data or the collection's parameters change.
const indexedBenchParams = "recover-indexed-points=%d-dim=%d-m=16-ef=100-cosine-gen-seed=1-v1"

// indexedBenchCollection returns a private copy (immutable files
// hard-linked, the WAL copied) of the cached indexed collection of n points
// and its queries, building the cache on first use.
func indexedBenchCollection(b *testing.B, n int) (*Manager, *engine.Collection, [][]float32) {
	b.Helper()
	root := os.Getenv("CAIRN_BENCH_CACHE")
	if root == "" {
		root = filepath.Join(os.TempDir(), "cairn-bench-cache")
	}
	cache := filepath.Join(root, fmt.Sprintf(indexedBenchParams, n, benchDim))
	base, queries, err := bench.Generate(bench.GenOptions{N: n, Queries: 21, Dim: benchDim, Seed: 1, Metric: bench.Cosine})
	if err != nil {
		b.Fatal(err)
	}
	qs := make([][]float32, 21)
	for i := range qs {
		qs[i] = queries[i*benchDim : (i+1)*benchDim]
	}
	if _, err := os.Stat(cache); err != nil {
		buildIndexedCache(b, cache, base, n)
	}
	m, c := openCachedCopy(b, cache)
	return m, c, qs
}

// buildIndexedCache fills a storage with the collection "bench" of the n
// vectors of base, seals it into one indexed segment, closes it and renames
// it to cache.
func buildIndexedCache(b *testing.B, cache string, base []float32, n int) {
	tmp := cache + ".tmp" + strconv.Itoa(os.Getpid())
	_ = os.RemoveAll(tmp)
	st, err := engine.Open(engine.Options{Dir: tmp, Logger: quiet(), DisableBackground: true})
	if err != nil {
		b.Fatal(err)
	}
	m, ef := 16, 100
	req := engine.CreateCollection{Vectors: engine.VectorsConfig{"": {Size: benchDim, Distance: point.Cosine}},
		HnswConfig: &engine.HnswConfigDiff{M: &m, EfConstruct: &ef}}
	if err := st.CreateCollection("bench", req); err != nil {
		b.Fatal(err)
	}
	c, _ := st.Collection("bench")
	b.Logf("building the %d-point indexed benchmark collection into %s", n, cache)
	t0 := time.Now()
	const batch = 5000
	pts := make([]engine.PointStruct, 0, batch)
	for i := 0; i < n; i += batch {
		pts = pts[:0]
		for j := i; j < min(i+batch, n); j++ {
			pts = append(pts, engine.PointStruct{ID: point.NumID(uint64(j)), Vector: engine.Vectors{"": base[j*benchDim : (j+1)*benchDim]}})
		}
		if _, err := c.Upsert(ctxb, pts, false); err != nil {
			b.Fatal(err)
		}
	}
	if err := c.Flush(); err != nil {
		b.Fatal(err)
	}
	if got := c.Info().IndexedVectorsCount; got != n {
		b.Fatalf("built collection: indexed_vectors_count %d, want %d", got, n)
	}
	if err := st.Close(); err != nil {
		b.Fatal(err)
	}
	if err := os.Rename(tmp, cache); err != nil {
		b.Fatal(err)
	}
	b.Logf("built in %v", time.Since(t0).Round(time.Second))
}
