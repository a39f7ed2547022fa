package wal

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/cairn-db/cairn/vfs"
)

// pointBytes is the size of one upserted point of dimension 128: 512 bytes
// of float32 plus id, version and a small payload.
const pointBytes = 600

func randomRecords(n int) [][]byte {
	r := rand.New(rand.NewPCG(7, 7))
	out := make([][]byte, n)
	for i := range out {
		out[i] = make([]byte, pointBytes)
		for j := range out[i] {
			out[i][j] = byte(r.Uint32())
		}
	}
	return out
}

// BenchmarkAppendSync measures durable ingest: one op appends a batch of
// 600-byte records and fsyncs it. mode=records writes one record per point
// (AppendBatch); mode=one-record writes the whole batch as a single record.
func BenchmarkAppendSync(b *testing.B) {
	for _, batch := range []int{1, 100, 1000} {
		for _, mode := range []string{"records", "one-record"} {
			if batch == 1 && mode == "one-record" {
				continue
			}
			b.Run(fmt.Sprintf("batch=%d/mode=%s", batch, mode), func(b *testing.B) {
				benchAppend(b, batch, mode == "one-record", true)
			})
		}
	}
}

// BenchmarkAppend measures the write path alone (no fsync).
func BenchmarkAppend(b *testing.B) {
	for _, batch := range []int{1, 1000} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			benchAppend(b, batch, false, false)
		})
	}
}

func benchAppend(b *testing.B, batch int, oneRecord, sync bool) {
	l := openLog(b, b.TempDir(), Options{})
	defer l.Close()
	datas := randomRecords(batch)
	var one []byte
	for _, d := range datas {
		one = append(one, d...)
	}
	b.SetBytes(int64(batch * pointBytes))
	b.ReportAllocs()
	for b.Loop() {
		var (
			last uint64
			err  error
		)
		if oneRecord {
			last, err = l.Append(one)
		} else {
			_, last, err = l.AppendBatch(datas)
		}
		if err == nil && sync {
			err = l.Sync(last)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkGroupCommit measures concurrent writers that each append one
// 600-byte record and wait for it to be durable; one op is one round in
// which every writer commits once. fsyncs/op shows how many fsyncs a round
// needed (1 would be perfect sharing).
func BenchmarkGroupCommit(b *testing.B) {
	for _, writers := range []int{1, 8, 64} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			faulty := vfs.NewFaulty(vfs.OS)
			l := openLog(b, b.TempDir(), Options{FS: faulty})
			defer l.Close()
			data := randomRecords(1)[0]
			start := make(chan struct{})
			var done sync.WaitGroup
			var failed error
			var failMu sync.Mutex
			for range writers {
				go func() {
					for range start {
						lsn, err := l.Append(data)
						if err == nil {
							err = l.Sync(lsn)
						}
						if err != nil {
							failMu.Lock()
							failed = err
							failMu.Unlock()
						}
						done.Done()
					}
				}()
			}
			defer close(start)
			b.SetBytes(int64(writers * pointBytes))
			b.ReportAllocs()
			syncs := faulty.Count(vfs.OpSync)
			for b.Loop() {
				done.Add(writers)
				for range writers {
					start <- struct{}{}
				}
				done.Wait()
			}
			if failed != nil {
				b.Fatal(failed)
			}
			b.ReportMetric(float64(b.N*writers)/b.Elapsed().Seconds(), "records/s")
			b.ReportMetric(float64(faulty.Count(vfs.OpSync)-syncs)/float64(b.N), "fsyncs/op")
		})
	}
}
