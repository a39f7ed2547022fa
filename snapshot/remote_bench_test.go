package snapshot_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/cairn-db/cairn/bench"
	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/point"
)

// vectorBytes returns n float32 vectors of dimension dim as a segment's
// vector file holds them (little-endian, row after row): uniform random
// in [-1, 1), or the clustered mixture of bench's generator.
func vectorBytes(b *testing.B, kind string, n, dim int) []byte {
	b.Helper()
	var vs []float32
	switch kind {
	case "random":
		r := rand.New(rand.NewPCG(1, 1))
		vs = make([]float32, n*dim)
		for i := range vs {
			vs[i] = r.Float32()*2 - 1
		}
	case "clustered":
		var err error
		if vs, _, err = bench.Generate(bench.GenOptions{N: n, Queries: 1, Dim: dim, Seed: 1}); err != nil {
			b.Fatal(err)
		}
	case "clustered-cosine":
		var err error
		if vs, _, err = bench.Generate(bench.GenOptions{N: n, Queries: 1, Dim: dim, Seed: 1, Metric: bench.Cosine}); err != nil {
			b.Fatal(err)
		}
	}
	out := make([]byte, 4*len(vs))
	for i, v := range vs {
		binary.LittleEndian.PutUint32(out[4*i:], math.Float32bits(v))
	}
	return out
}

// BenchmarkChunkCompression measures zstd on 4 MiB chunks of float32
// vector files: MB/s of uncompressed input, and the compressed size as a
// share of it (ratio). It is the measurement behind DefaultCompression
// (docs/BENCHMARKS.md, "Snapshot compression").
//
//	go test -run '^$' -bench ChunkCompression -benchtime 3x ./snapshot
func BenchmarkChunkCompression(b *testing.B) {
	const n, dim, chunk = 65536, 128, 4 << 20 // 32 MiB
	for _, kind := range []string{"random", "clustered", "clustered-cosine", "collection"} {
		var data []byte
		if kind == "collection" {
			data = collectionBytes(b, 20000, dim)
		} else {
			data = vectorBytes(b, kind, n, dim)
		}
		for _, lvl := range []zstd.EncoderLevel{zstd.SpeedFastest, zstd.SpeedDefault} {
			enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(lvl), zstd.WithEncoderConcurrency(1), zstd.WithWindowSize(chunk))
			if err != nil {
				b.Fatal(err)
			}
			var comp [][]byte
			b.Run(fmt.Sprintf("data=%s/level=%s/op=compress", kind, lvl), func(b *testing.B) {
				b.SetBytes(int64(len(data)))
				var total int
				for range b.N {
					comp, total = comp[:0], 0
					for off := 0; off < len(data); off += chunk {
						c := enc.EncodeAll(data[off:min(off+chunk, len(data))], nil)
						comp = append(comp, c)
						total += len(c)
					}
				}
				b.ReportMetric(100*float64(total)/float64(len(data)), "%size")
			})
			b.Run(fmt.Sprintf("data=%s/level=%s/op=decompress", kind, lvl), func(b *testing.B) {
				b.SetBytes(int64(len(data)))
				for range b.N {
					for _, c := range comp {
						d, err := zstd.NewReader(bytes.NewReader(c), zstd.WithDecoderConcurrency(1))
						if err != nil {
							b.Fatal(err)
						}
						if _, err := io.Copy(io.Discard, d); err != nil {
							b.Fatal(err)
						}
						d.Close()
					}
				}
			})
		}
	}
}

// BenchmarkArchiveSHA256 measures the SHA-256 a listing's checksum of a
// remote snapshot would cost at create time: every byte of the archive,
// unchanged objects included (docs/format/remote.md, "Checksum").
func BenchmarkArchiveSHA256(b *testing.B) {
	data := make([]byte, 32<<20)
	b.SetBytes(int64(len(data)))
	for range b.N {
		sha256.Sum256(data)
	}
}

// collectionBytes returns every file of a collection of n clustered points
// with a small payload, sealed into segments, one after the other: what a
// first snapshot uploads.
func collectionBytes(b *testing.B, n, dim int) []byte {
	b.Helper()
	dir := b.TempDir()
	st, err := engine.Open(engine.Options{Dir: dir, Logger: slog.New(slog.DiscardHandler), DisableBackground: true})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if err := st.CreateCollection("c", engine.CreateCollection{Vectors: engine.VectorsConfig{"": {Size: dim, Distance: point.Cosine}}}); err != nil {
		b.Fatal(err)
	}
	c, _ := st.Collection("c")
	vs, _, err := bench.Generate(bench.GenOptions{N: n, Queries: 1, Dim: dim, Seed: 2, Metric: bench.Cosine})
	if err != nil {
		b.Fatal(err)
	}
	for from := 0; from < n; from += 1000 {
		pts := make([]engine.PointStruct, 0, 1000)
		for i := from; i < min(from+1000, n); i++ {
			pts = append(pts, engine.PointStruct{ID: point.NumID(uint64(i)), Vector: engine.Vectors{"": vs[i*dim : (i+1)*dim]},
				Payload: map[string]any{"category": []string{"news", "sport", "tech"}[i%3], "n": json.Number(strconv.Itoa(i))}})
		}
		if _, err := c.Upsert(context.Background(), pts, true); err != nil {
			b.Fatal(err)
		}
	}
	if err := c.Flush(); err != nil {
		b.Fatal(err)
	}
	var out []byte
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			f, rerr := os.ReadFile(p)
			out = append(out, f...)
			return rerr
		}
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	return out
}
