package snapshot

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/point"
	"github.com/cairn-db/cairn/snapshot/stallprobe"
	"github.com/cairn-db/cairn/vfs"
)

// benchTree writes files of size bytes each under a new folder.
func benchTree(b *testing.B, files, size int) string {
	b.Helper()
	src := b.TempDir()
	r := rand.New(rand.NewSource(1))
	data := make([]byte, size)
	for i := range files {
		r.Read(data)
		p := filepath.Join(src, "segments", fmt.Sprint(i), "vectors.bin")
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	return src
}

func BenchmarkStream(b *testing.B) {
	src := benchTree(b, 8, 8<<20)
	b.SetBytes(64 << 20)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Stream(discard{}, src, collectionMeta()); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriteArchive(b *testing.B) {
	src := benchTree(b, 8, 8<<20)
	snaps := b.TempDir()
	b.SetBytes(64 << 20)
	b.ReportAllocs()
	for b.Loop() {
		info, err := WriteArchive(vfs.OS, snaps, "bench.snapshot", src, collectionMeta())
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := Delete(vfs.OS, snaps, info.Name); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}

func BenchmarkExtract(b *testing.B) {
	src := benchTree(b, 8, 8<<20)
	var buf bytes.Buffer
	if _, err := Stream(&buf, src, collectionMeta()); err != nil {
		b.Fatal(err)
	}
	tmp := b.TempDir()
	b.SetBytes(64 << 20)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		dst := filepath.Join(tmp, fmt.Sprint(i))
		i++
		if _, err := Extract(bytes.NewReader(buf.Bytes()), dst, Limits{}); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		_ = os.RemoveAll(dst)
		b.StartTimer()
	}
}

// discard is io.Discard without its ReadFrom, so the stream is written.
type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// copySource is the copy-based snapshot the hard-link design is compared
// with: every file, immutable or not, is copied while writes are held.
type copySource struct{ c *engine.Collection }

func (s copySource) Pin(_ context.Context, stage string) (Pinned, error) {
	p, err := s.c.Pin()
	if err != nil {
		return Pinned{}, err
	}
	start := time.Now()
	defer func() {
		p.Release()
		if observeHold != nil {
			observeHold(time.Since(start))
		}
	}()
	for _, f := range p.Files {
		c, err := openCaptured(f, filepath.Join(stage, f.Rel))
		if err != nil {
			return Pinned{}, err
		}
		if err := copyCaptured(vfs.OS, []captured{c}); err != nil {
			return Pinned{}, err
		}
	}
	return Pinned{}, nil
}

// startWriter starts a stall probe upserting single points with wait=true
// in a loop, ids from firstID.
func startWriter(c *engine.Collection, firstID int) *stallprobe.Writer {
	r := seeded(99)
	return stallprobe.Start(c, func(i int) []engine.PointStruct {
		return points(r, firstID+i%100000, 1, benchDim)
	})
}

const benchDim = 128

// benchCacheMin is the smallest collection benchCollection caches between
// runs; smaller ones are built afresh each time.
const benchCacheMin = 100000

// benchCollection returns a collection of n points of dimension 128 in
// sealed segments (with HNSW graphs up to 10,000 points; graph-free above,
// which changes nothing for a snapshot but the file sizes). From
// benchCacheMin points on, the filled storage is built once into a cache
// folder keyed by its parameters ($CAIRN_BENCH_CACHE, default
// $TMPDIR/cairn-bench-cache) and each call gets a private copy: the
// immutable files hard-linked, the WAL copied.
func benchCollection(b *testing.B, n int) (*Manager, *engine.Collection) {
	b.Helper()
	if n < benchCacheMin {
		e := newEnv(b, nil)
		return e.m, fillBench(b, e.st, n)
	}
	return openCachedCopy(b, cachedBenchStorage(b, n))
}

// openCachedCopy opens a private copy (see stallprobe.CopyStorage) of the closed
// storage cache and returns a manager over it and its collection "bench".
func openCachedCopy(b *testing.B, cache string) (*Manager, *engine.Collection) {
	b.Helper()
	dir := b.TempDir()
	storage := filepath.Join(dir, "storage")
	if err := stallprobe.CopyStorage(cache, storage); err != nil {
		b.Fatal(err)
	}
	st, err := engine.Open(engine.Options{Dir: storage, Logger: quiet(), DisableBackground: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = st.Close() })
	c, err := st.Collection("bench")
	if err != nil {
		b.Fatal(err)
	}
	m := &Manager{Storage: st, SnapshotsPath: filepath.Join(dir, "snapshots"), TempPath: filepath.Join(storage, "tmp"), Logger: quiet(), NodeID: 42}
	return m, c
}

// fillBench creates the collection "bench" in st and fills it with n
// points, upserted in batches of 5,000 and flushed into sealed segments.
func fillBench(b *testing.B, st *engine.Storage, n int) *engine.Collection {
	b.Helper()
	m := benchM(n)
	req := engine.CreateCollection{Vectors: engine.VectorsConfig{"": {Size: benchDim, Distance: point.Cosine}}, HnswConfig: &engine.HnswConfigDiff{M: &m}}
	if err := st.CreateCollection("bench", req); err != nil {
		b.Fatal(err)
	}
	c, _ := st.Collection("bench")
	r := seeded(1)
	for i := 0; i < n; i += 5000 {
		if _, err := c.Upsert(ctxb, points(r, i, min(5000, n-i), benchDim), false); err != nil {
			b.Fatal(err)
		}
	}
	if err := c.Flush(); err != nil {
		b.Fatal(err)
	}
	return c
}

// benchM is the HNSW m of the benchmark collection of n points.
func benchM(n int) int {
	if n > 10000 {
		return 0
	}
	return 16
}

// cachedBenchStorage returns the cache folder holding a closed storage with
// the filled collection "bench" of n points, building it on first use.
func cachedBenchStorage(b *testing.B, n int) string {
	b.Helper()
	root := os.Getenv("CAIRN_BENCH_CACHE")
	if root == "" {
		root = filepath.Join(os.TempDir(), "cairn-bench-cache")
	}
	dir := filepath.Join(root, fmt.Sprintf("storage-points=%d-dim=%d-m=%d-v1", n, benchDim, benchM(n)))
	if _, err := os.Stat(dir); err == nil {
		return dir
	}
	tmp := dir + fmt.Sprintf(".tmp%d", os.Getpid())
	_ = os.RemoveAll(tmp)
	st, err := engine.Open(engine.Options{Dir: tmp, Logger: quiet(), DisableBackground: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("building the %d-point benchmark collection into %s", n, dir)
	fillBench(b, st, n)
	if err := st.Close(); err != nil {
		b.Fatal(err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		b.Fatal(err)
	}
	return dir
}

// BenchmarkSnapshotStall measures, at 10,000, 100,000 and 1,000,000 points
// of dimension 128, the creation time of a snapshot and the longest
// wait=true single-point upsert that overlapped it, against the same
// stream's longest call with no snapshot running, round by round (see
// benchCreate); hold-ms is
// how long the cut held writes. impl=hardlink is Cairn's snapshot,
// impl=copy-under-lock copies every file while writes are held,
// impl=hardlink-paced writes the archive through the page cache with paced
// writeback instead of direct I/O, impl=hardlink-unpaced through the page
// cache alone, and
// impl=tar runs tar -cf over the collection folder (no writer).
// -short skips the 1,000,000-point size.
func BenchmarkSnapshotStall(b *testing.B) {
	sizes := []int{10000, 100000, 1000000}
	if testing.Short() {
		sizes = sizes[:1]
	}
	for _, n := range sizes {
		m, c := benchCollection(b, n)
		// Warm the writer up (its first calls fault the WAL and head in).
		w := startWriter(c, n)
		t0 := time.Now()
		for {
			if _, k := w.MaxOverlapping(t0, time.Now()); k >= 300 {
				break
			}
			runtime.Gosched()
		}
		if err := w.Finish(); err != nil {
			b.Fatal(err)
		}
		tarDir := filepath.Join(filepath.Dir(m.TempPath), "collections", "bench")
		srcs := []struct {
			name string
			src  Source
			io   ioMode
			tar  string
		}{
			{"hardlink", CollectionSource{Collection: c}, ioDirect, tarDir},
			{"hardlink-paced", CollectionSource{Collection: c}, ioPaced, ""},
			{"hardlink-unpaced", CollectionSource{Collection: c}, ioBuffered, ""},
			{"copy-under-lock", copySource{c}, ioDirect, ""},
		}
		for _, s := range srcs {
			b.Run(fmt.Sprintf("points=%d/dim=%d/impl=%s", n, benchDim, s.name), func(b *testing.B) {
				archiveIO = s.io
				defer func() { archiveIO = ioDirect }()
				benchCreate(b, m, c, s.src, s.tar)
			})
		}
	}
}

// benchCreate creates snapshots of c from src while a writer streams
// single-point upserts, and reports the stall those saw. Every round first
// runs the writer alone for as long as the previous create took (the
// round's base: the longest call with no snapshot running, measured in the
// same minute as the stall it is compared with), then creates a snapshot
// with the writer still running (the round's stall: the longest call that
// overlapped the create). Each round is logged; the metrics are the
// medians of the rounds' base and stall (base-max-ms, stall-med-ms), the
// worst stall (stall-max-ms), and rounds-over-10ms, how many rounds had a
// stall more than 10 ms above their base.
//
// With tarDir, each Create is followed by the same work done by hand on
// the same files (interleaved in the same run): tar -cf of tarDir (tar-ms),
// tar -cf plus an fsync of the archive (tar-fsync-ms), openssl dgst
// -sha256 of tar's archive (openssl-ms, read from the page cache), the
// SHA-256 with crypto/sha256 alone (sha256-ms, what Create's hash costs on
// this CPU before anything is written) and tar -cf - | tee ARCHIVE |
// sha256sum (tee-ms, tar writing and hashing at once with coreutils). The
// medians and ratios are reported: x-tar (create/tar), x-tar-fsync, and
// x-floor, create / max(tar, openssl): the slower of the two parts of the
// work, the floor when both run at once; dd of tar's archive with direct
// I/O and an fsync (dd-direct-ms, the durable write tar -cf does not do)
// and x-durable-floor, create / max(dd, openssl).
func benchCreate(b *testing.B, m *Manager, c *engine.Collection, src Source, tarDir string) {
	var hold time.Duration
	observeHold = func(d time.Duration) { hold = max(hold, d) }
	defer func() { observeHold = nil }()
	dir, _ := CollectionDir(m.SnapshotsPath, "bench")
	var creates, bases, stalls, tars, tarSyncs, hashes, ossls, tees, dds []time.Duration
	tarOut := filepath.Join(b.TempDir(), "x.tar")
	overlapped, over := 0, 0
	window := 500 * time.Millisecond
	b.ReportAllocs()
	for b.Loop() {
		// The writer runs from before each Create to its end only: tar
		// must read files no writer changes.
		b.StopTimer()
		settle(b, filepath.Dir(m.TempPath))
		w := startWriter(c, 2000000)
		w.WaitCalls(ctxb, 3)
		tb := time.Now()
		sched0 := stallprobe.ReadSched()
		time.Sleep(window) // a measuring window, not synchronisation
		base, _ := w.MaxOverlapping(tb, time.Now())
		baseSched := stallprobe.SchedMax(sched0)
		sched0 = stallprobe.ReadSched()
		hold = 0
		b.StartTimer()
		t0 := time.Now()
		info, err := Create(ctxb, m.opts(), dir, CollectionName("bench", 1, t0), Meta{Kind: KindCollection, Collection: "bench"}, src)
		t1 := time.Now()
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		snapSched := stallprobe.SchedMax(sched0)
		if err := w.Finish(); err != nil {
			b.Fatal(err)
		}
		window = t1.Sub(t0)
		creates = append(creates, t1.Sub(t0))
		d, k := w.MaxOverlapping(t0, t1)
		overlapped += k
		bases, stalls = append(bases, base), append(stalls, d)
		if d-base > 10*time.Millisecond {
			over++
		}
		b.Logf("round %d: base-max %.1f ms, stall-max %.1f ms (%+.1f), hold %.2f ms, create %.0f ms, %d writes; longest wait for a P: base %.2f ms, snapshot %.2f ms",
			len(stalls), millis(base), millis(d), millis(d-base), millis(hold), millis(t1.Sub(t0)), k, millis(baseSched), millis(snapSched))
		if err := Delete(vfs.OS, dir, info.Name); err != nil {
			b.Fatal(err)
		}
		if tarDir != "" {
			r := runTar(b, tarDir, tarOut, false, true)
			tars, hashes, ossls, tees = append(tars, r.tar), append(hashes, r.sha), append(ossls, r.openssl), append(tees, r.tee)
			dds = append(dds, r.dd)
			r = runTar(b, tarDir, tarOut, true, false)
			tarSyncs = append(tarSyncs, r.tar)
		}
		b.StartTimer()
	}
	b.ReportMetric(millis(medianOf(bases)), "base-max-ms")
	b.ReportMetric(millis(medianOf(stalls)), "stall-med-ms")
	b.ReportMetric(millis(slices.Max(stalls)), "stall-max-ms")
	b.ReportMetric(float64(over), "rounds-over-10ms")
	b.ReportMetric(float64(overlapped)/float64(b.N), "writes/op")
	cm := medianOf(creates)
	b.ReportMetric(millis(cm), "create-ms")
	if tarDir != "" {
		tm, tsm := medianOf(tars), medianOf(tarSyncs)
		b.ReportMetric(millis(tm), "tar-ms")
		b.ReportMetric(millis(tsm), "tar-fsync-ms")
		b.ReportMetric(float64(cm)/float64(tm), "x-tar")
		b.ReportMetric(float64(cm)/float64(tsm), "x-tar-fsync")
		hm, om := medianOf(hashes), medianOf(ossls)
		b.ReportMetric(millis(hm), "sha256-ms")
		b.ReportMetric(millis(om), "openssl-ms")
		b.ReportMetric(millis(medianOf(tees)), "tee-ms")
		b.ReportMetric(float64(cm)/float64(max(tm, om)), "x-floor")
		dm := medianOf(dds)
		b.ReportMetric(millis(dm), "dd-direct-ms")
		b.ReportMetric(float64(cm)/float64(max(dm, om)), "x-durable-floor")
	}
}

func millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// medianOf returns the median of ds (the upper one of an even count).
func medianOf(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// onlyCtimeChanged reports whether tar's failure is only GNU tar's exit
// status 1 for a file whose ctime changed while it was read: the cached
// storage's files are hard links shared with every other copy of the cache
// (see stallprobe.CopyStorage), and another process linking or unlinking a copy
// changes their link count, so their ctime, though never their content.
func onlyCtimeChanged(err error, msg []byte) bool {
	var ee *exec.ExitError
	return errors.As(err, &ee) && ee.ExitCode() == 1 && bytes.Contains(msg, []byte("file changed as we read it"))
}

// tarTimes are the timings of one runTar.
type tarTimes struct{ tar, sha, openssl, tee, dd time.Duration }

// runTar runs tar -cf of dir into out, then (fsync) syncs out as
// WriteArchive syncs its archive, and times that (tar). With hash it then
// times, separately, the SHA-256 of out read from the page cache with the
// crypto/sha256 a Create uses (sha) and with openssl dgst -sha256
// (openssl): the floor of any archive that must carry its checksum, which
// Create computes in the same pass; and tar -cf - | tee out | sha256sum
// (tee), the shell's way of doing both at once; and dd of out (from the
// page cache) into another file with direct I/O in 1 MiB writes and an
// fsync (dd): the floor of writing those bytes durably on this disk, which
// tar -cf leaves dirty in the page cache. out is removed afterwards.
func runTar(b *testing.B, dir, out string, fsync, hash bool) tarTimes {
	var r tarTimes
	t0 := time.Now()
	if msg, err := exec.Command("tar", "-cf", out, "-C", dir, ".").CombinedOutput(); err != nil && !onlyCtimeChanged(err, msg) {
		b.Fatalf("tar: %v %s", err, msg)
	}
	if fsync {
		f, err := os.Open(out)
		if err == nil {
			err = errors.Join(f.Sync(), f.Close())
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	r.tar = time.Since(t0)
	if hash {
		body, err := os.ReadFile(out) // read first: only the hash is timed
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		sha256.Sum256(body)
		r.sha = time.Since(t1)
		body = nil
		t1 = time.Now()
		if msg, err := exec.Command("openssl", "dgst", "-sha256", out).CombinedOutput(); err != nil {
			b.Fatalf("openssl: %v %s", err, msg)
		}
		r.openssl = time.Since(t1)
		t1 = time.Now()
		if msg, err := exec.Command("dd", "if="+out, "of="+out+".dd", "bs=1M", "oflag=direct", "conv=fsync").CombinedOutput(); err != nil {
			b.Fatalf("dd: %v %s", err, msg)
		}
		r.dd = time.Since(t1)
		if err := os.Remove(out + ".dd"); err != nil {
			b.Fatal(err)
		}
		if err := os.Remove(out); err != nil {
			b.Fatal(err)
		}
		t1 = time.Now()
		cmd := exec.Command("sh", "-c", `tar -cf - -C "$1" . | tee "$2" | sha256sum`, "sh", dir, out)
		if msg, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("tar | tee | sha256sum: %v %s", err, msg)
		}
		r.tee = time.Since(t1)
	}
	if err := os.Remove(out); err != nil {
		b.Fatal(err)
	}
	return r
}
