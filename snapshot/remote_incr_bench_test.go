package snapshot

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/objstore"
	"github.com/cairn-db/cairn/point"
)

// BenchmarkRemoteIncremental times a first snapshot of n × 128 sealed
// points into an in-memory store, then, after 1% more points are sealed,
// the second one; it reports both times and the bytes each uploaded.
//
//	go test -run '^$' -bench RemoteIncremental -benchtime 1x ./snapshot
func BenchmarkRemoteIncremental(b *testing.B) {
	for name, mk := range remoteStores {
		b.Run("store="+name, func(b *testing.B) { benchIncremental(b, mk) })
	}
}

func benchIncremental(b *testing.B, mk func(testing.TB, func() time.Time) objstore.Store) {
	const n, dimB = 100000, 128
	for range b.N {
		e := newEnv(b, nil)
		cs := &counting{Store: mk(b, nil)}
		e.m.Remote = cs
		segs := 16
		req := engine.CreateCollection{Vectors: engine.VectorsConfig{"": {Size: dimB, Distance: point.Dot}},
			OptimizersConfig: &engine.OptimizersConfigDiff{DefaultSegmentNumber: &segs}}
		if err := e.st.CreateCollection("c", req); err != nil {
			b.Fatal(err)
		}
		c, _ := e.st.Collection("c")
		r := rand.New(rand.NewPCG(1, 1))
		for from := 0; from < n; from += 5000 {
			upsert(b, c, points(r, from, 5000, dimB))
		}
		if err := c.Flush(); err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		t0 := time.Now()
		if _, err := e.m.CreateCollection(ctxb, "c"); err != nil {
			b.Fatal(err)
		}
		first, firstBytes := time.Since(t0), cs.bytes.Load()
		b.StopTimer()
		cs.reset()
		upsert(b, c, points(r, n, n/100, dimB))
		if err := c.Flush(); err != nil {
			b.Fatal(err)
		}
		now := time.Now().Add(time.Second)
		e.m.Now = func() time.Time { return now }
		b.StartTimer()
		t0 = time.Now()
		if _, err := e.m.CreateCollection(ctxb, "c"); err != nil {
			b.Fatal(err)
		}
		second := time.Since(t0)
		b.ReportMetric(float64(first.Milliseconds()), "first-ms")
		b.ReportMetric(float64(second.Milliseconds()), "second-ms")
		b.ReportMetric(float64(firstBytes)/1e6, "first-MB")
		b.ReportMetric(float64(cs.bytes.Load())/1e6, "second-MB")
	}
}
