package segment

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/cairn-db/cairn/point"
	"github.com/cairn-db/cairn/vfs"
)

// benchRecords makes n integer-id records with one unnamed vector of dim
// floats and a small payload. The vectors share one backing array.
func benchRecords(n, dim int) []Record {
	rng := rand.New(rand.NewPCG(9, 9))
	all := make([]float32, n*dim)
	for i := range all {
		all[i] = rng.Float32()
	}
	recs := make([]Record, n)
	for i := range recs {
		recs[i] = Record{
			ID:      point.NumID(uint64(i) * 7),
			Version: uint64(i),
			Vectors: map[string][]float32{"": all[i*dim : (i+1)*dim : (i+1)*dim]},
			Payload: []byte(`{"i":1}`),
		}
	}
	return recs
}

// noSyncFS is the OS filesystem with fsync turned off, to measure Write's
// own cost apart from the disk's.
type noSyncFS struct{ vfs.FS }

type noSyncFile struct{ vfs.File }

func (noSyncFile) Sync() error { return nil }

func (fs noSyncFS) OpenFile(name string, flag int, perm os.FileMode) (vfs.File, error) {
	f, err := fs.FS.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return noSyncFile{f}, nil
}

func (noSyncFS) SyncDir(string) error { return nil }

func BenchmarkWrite(b *testing.B) {
	const n, dim = 100_000, 128
	for _, fs := range []struct {
		name string
		fs   vfs.FS
	}{{"fsync", vfs.OS}, {"nosync", noSyncFS{vfs.OS}}} {
		b.Run(fmt.Sprintf("n=%d/dim=%d/fs=%s", n, dim, fs.name), func(b *testing.B) {
			benchWrite(b, n, dim, fs.fs)
		})
	}
}

func benchWrite(b *testing.B, n, dim int, fs vfs.FS) {
	{
		recs := benchRecords(n, dim)
		opts := WriteOptions{FS: fs, Vectors: []VectorSpec{{Dim: dim, Distance: point.Cosine}}}
		root := b.TempDir()
		b.SetBytes(int64(n * dim * 4))
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			dir := filepath.Join(root, fmt.Sprint(i))
			i++
			if err := Write(dir, recs, opts); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			if err := os.RemoveAll(dir); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
	}
}

func BenchmarkOpen(b *testing.B) {
	const n, dim = 1_000_000, 128
	b.Run(fmt.Sprintf("n=%d/dim=%d", n, dim), func(b *testing.B) {
		dir := filepath.Join(b.TempDir(), "seg")
		recs := benchRecords(n, dim)
		if err := Write(dir, recs, WriteOptions{Vectors: []VectorSpec{{Dim: dim, Distance: point.Cosine}}}); err != nil {
			b.Fatal(err)
		}
		recs = nil
		runtime.GC()
		b.ReportAllocs()
		for b.Loop() {
			s, err := Open(dir)
			if err != nil {
				b.Fatal(err)
			}
			if err := s.Close(); err != nil {
				b.Fatal(err)
			}
		}
		s, err := Open(dir)
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MiB")
		if _, ok := s.Lookup(point.NumID(7 * 12345)); !ok {
			b.Fatal("lookup after open failed")
		}
	})
}

func BenchmarkLookup(b *testing.B) {
	const n = 100_000
	b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
		dir := filepath.Join(b.TempDir(), "seg")
		if err := Write(dir, benchRecords(n, 1), WriteOptions{Vectors: []VectorSpec{{Dim: 1, Distance: point.Dot}}}); err != nil {
			b.Fatal(err)
		}
		s, err := Open(dir)
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		b.ReportAllocs()
		i := uint64(0)
		for b.Loop() {
			if _, ok := s.Lookup(point.NumID(i % n * 7)); !ok {
				b.Fatal("absent")
			}
			i += 7919
		}
	})
}
