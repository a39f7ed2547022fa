package snapshot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/point"
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

// stallWriter upserts single points with wait=true in a loop and records
// each call's start and end.
type stallWriter struct {
	mu    sync.Mutex
	spans [][2]time.Time
	stop  chan struct{}
	done  chan error
}

func startWriter(c *engine.Collection, firstID int) *stallWriter {
	w := &stallWriter{stop: make(chan struct{}), done: make(chan error, 1)}
	go func() {
		r := seeded(99)
		for i := 0; ; i++ {
			select {
			case <-w.stop:
				w.done <- nil
				return
			default:
			}
			p := points(r, firstID+i%100000, 1, benchDim)
			t0 := time.Now()
			if _, err := c.Upsert(ctxb, p, true); err != nil {
				w.done <- err
				return
			}
			w.mu.Lock()
			w.spans = append(w.spans, [2]time.Time{t0, time.Now()})
			w.mu.Unlock()
		}
	}()
	return w
}

func (w *stallWriter) finish(b *testing.B) {
	close(w.stop)
	if err := <-w.done; err != nil {
		b.Fatal(err)
	}
}

// maxOverlapping is the longest call that overlapped [t0, t1] and how
// many did.
func (w *stallWriter) maxOverlapping(t0, t1 time.Time) (time.Duration, int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var longest time.Duration
	n := 0
	for _, s := range w.spans {
		if !s[1].Before(t0) && !s[0].After(t1) {
			longest = max(longest, s[1].Sub(s[0]))
			n++
		}
	}
	return longest, n
}

const benchDim = 128

// benchCollection fills a collection with n points of dimension 128 in
// sealed segments (with HNSW graphs up to 10,000 points; graph-free above,
// which changes nothing for a snapshot but the file sizes).
func benchCollection(b *testing.B, n int) (*Manager, *engine.Collection) {
	b.Helper()
	e := newEnv(b, nil)
	m := 16
	if n > 10000 {
		m = 0
	}
	req := engine.CreateCollection{Vectors: engine.VectorsConfig{"": {Size: benchDim, Distance: point.Cosine}}, HnswConfig: &engine.HnswConfigDiff{M: &m}}
	if err := e.st.CreateCollection("bench", req); err != nil {
		b.Fatal(err)
	}
	c, _ := e.st.Collection("bench")
	r := seeded(1)
	for i := 0; i < n; i += 5000 {
		if _, err := c.Upsert(ctxb, points(r, i, min(5000, n-i), benchDim), false); err != nil {
			b.Fatal(err)
		}
	}
	if err := c.Flush(); err != nil {
		b.Fatal(err)
	}
	return e.m, c
}

// BenchmarkSnapshotStall measures, at 10,000 and 1,000,000 points of
// dimension 128, the creation time of a snapshot and the longest wait=true
// single-point upsert that overlapped it (stall-max-ms), against the same
// stream's longest call with no snapshot running (base-max-ms); hold-ms is
// how long the cut held writes. impl=hardlink is Cairn's snapshot,
// impl=copy-under-lock copies every file while writes are held,
// impl=hardlink-unpaced writes the archive without paced writeback, and
// impl=tar runs tar -cf over the collection folder (no writer).
// -short skips the 1,000,000-point size.
func BenchmarkSnapshotStall(b *testing.B) {
	sizes := []int{10000, 1000000}
	if testing.Short() {
		sizes = sizes[:1]
	}
	for _, n := range sizes {
		m, c := benchCollection(b, n)
		w := startWriter(c, n)
		t0 := time.Now()
		for {
			if _, k := w.maxOverlapping(t0, time.Now()); k >= 300 {
				break
			}
			runtime.Gosched()
		}
		base, _ := w.maxOverlapping(t0, time.Now())
		w.finish(b)
		srcs := []struct {
			name string
			src  Source
		}{{"hardlink", CollectionSource{Collection: c}}, {"copy-under-lock", copySource{c}}}
		for _, s := range srcs {
			b.Run(fmt.Sprintf("points=%d/dim=%d/impl=%s", n, benchDim, s.name), func(b *testing.B) {
				benchCreate(b, m, c, s.src, base)
			})
		}
		b.Run(fmt.Sprintf("points=%d/dim=%d/impl=hardlink-unpaced", n, benchDim), func(b *testing.B) {
			pacedWriteback = false
			defer func() { pacedWriteback = true }()
			benchCreate(b, m, c, srcs[0].src, base)
		})
		for _, sync := range []bool{false, true} {
			name := "tar"
			if sync {
				name = "tar+fsync"
			}
			b.Run(fmt.Sprintf("points=%d/dim=%d/impl=%s", n, benchDim, name), func(b *testing.B) {
				benchTar(b, filepath.Join(filepath.Dir(m.TempPath), "collections", "bench"), sync)
			})
		}
	}
}

func benchCreate(b *testing.B, m *Manager, c *engine.Collection, src Source, base time.Duration) {
	var hold time.Duration
	observeHold = func(d time.Duration) { hold = max(hold, d) }
	defer func() { observeHold = nil }()
	dir, _ := CollectionDir(m.SnapshotsPath, "bench")
	w := startWriter(c, 2000000)
	var stall time.Duration
	overlapped := 0
	b.ReportAllocs()
	for b.Loop() {
		t0 := time.Now()
		info, err := Create(ctxb, m.opts(), dir, CollectionName("bench", 1, t0), Meta{Kind: KindCollection, Collection: "bench"}, src)
		t1 := time.Now()
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		d, k := w.maxOverlapping(t0, t1)
		stall, overlapped = max(stall, d), overlapped+k
		if err := Delete(vfs.OS, dir, info.Name); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	w.finish(b)
	b.ReportMetric(float64(base.Microseconds())/1000, "base-max-ms")
	b.ReportMetric(float64(stall.Microseconds())/1000, "stall-max-ms")
	b.ReportMetric(float64(hold.Microseconds())/1000, "hold-ms")
	b.ReportMetric(float64(overlapped)/float64(b.N), "writes/op")
}

// benchTar runs tar -cf over dir, then (fsync) syncs the archive as
// WriteArchive does.
func benchTar(b *testing.B, dir string, fsync bool) {
	out := filepath.Join(b.TempDir(), "x.tar")
	for b.Loop() {
		if msg, err := exec.Command("tar", "-cf", out, "-C", dir, ".").CombinedOutput(); err != nil {
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
	}
}

// BenchmarkRecover measures a full recover of a collection snapshot over
// an existing collection (checksum check skipped, as tar does none:
// extraction with CRC-32C checks and fsyncs, the engine's full segment
// verification, the swap) against tar -xf of the same archive, and how
// long the first search after it takes (first-query-ms: nothing is
// rebuilt). -short skips the 1,000,000-point size.
func BenchmarkRecover(b *testing.B) {
	sizes := []int{10000, 1000000}
	if testing.Short() {
		sizes = sizes[:1]
	}
	for _, n := range sizes {
		m, c := benchCollection(b, n)
		d, err := m.CreateCollection(ctxb, "bench")
		if err != nil {
			b.Fatal(err)
		}
		archive := filepath.Join(m.SnapshotsPath, "bench", d.Name)
		q := randVec(seeded(5), benchDim)
		b.Run(fmt.Sprintf("points=%d/dim=%d/impl=recover", n, benchDim), func(b *testing.B) {
			var first time.Duration
			b.ReportAllocs()
			for b.Loop() {
				if err := m.Recover(ctxb, "restored", archive, "", ""); err != nil {
					b.Fatal(err)
				}
				r, err := m.Storage.Collection("restored")
				if err != nil {
					b.Fatal(err)
				}
				t0 := time.Now()
				if res, err := r.Search(ctxb, engine.SearchRequest{Vector: engine.NamedVector{Vector: q}, Limit: 10}); err != nil || len(res) != 10 {
					b.Fatalf("first search: %d results, %v", len(res), err)
				}
				first = max(first, time.Since(t0))
			}
			b.ReportMetric(float64(first.Microseconds())/1000, "first-query-ms")
		})
		_ = c
		b.Run(fmt.Sprintf("points=%d/dim=%d/impl=tar-xf", n, benchDim), func(b *testing.B) {
			tmp := b.TempDir()
			i := 0
			for b.Loop() {
				dst := filepath.Join(tmp, fmt.Sprint(i))
				i++
				if err := os.Mkdir(dst, 0o755); err != nil {
					b.Fatal(err)
				}
				if msg, err := exec.Command("tar", "-xf", archive, "-C", dst).CombinedOutput(); err != nil {
					b.Fatalf("tar: %v %s", err, msg)
				}
				b.StopTimer()
				_ = os.RemoveAll(dst)
				b.StartTimer()
			}
		})
	}
}
