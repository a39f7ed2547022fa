package snapshot

import (
	"bytes"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"testing"

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
