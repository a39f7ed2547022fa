package walarchive

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/objstore"
	"github.com/cairn-db/cairn/point"
)

// BenchmarkIngestWithArchive measures what WAL archiving costs the
// ingest: 100,000 points of dimension 128 in batches of 1,000 with
// wait=true into a fresh collection (background worker on), without
// archiving and with it (every 1s, local target on the same disk). Each
// iteration runs both, alternating which goes first, so that the two see
// the same machine; it reports the median points/s of each and the cost.
func BenchmarkIngestWithArchive(b *testing.B) {
	const total, batch, dim = 100_000, 1_000, 128
	r := rand.New(rand.NewPCG(1, 2))
	batches := make([][]engine.PointStruct, total/batch)
	for i := range batches {
		batches[i] = make([]engine.PointStruct, batch)
		for j := range batches[i] {
			v := make([]float32, dim)
			for k := range v {
				v[k] = r.Float32()
			}
			batches[i][j] = engine.PointStruct{ID: point.NumID(uint64(i*batch + j + 1)), Vector: engine.Vectors{"": v}}
		}
	}
	root := b.TempDir()
	var off, on []float64
	iter := 0
	for b.Loop() {
		for k := range 2 {
			archive := (iter+k)%2 == 1
			rate := ingestOnce(b, filepath.Join(root, fmt.Sprint(iter, k)), batches, archive)
			if archive {
				on = append(on, rate)
			} else {
				off = append(off, rate)
			}
		}
		iter++
	}
	mOff, mOn := median(off), median(on)
	b.ReportMetric(mOff, "points/s-off")
	b.ReportMetric(mOn, "points/s-archive")
	b.ReportMetric(100*(mOff-mOn)/mOff, "%cost")
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[len(s)/2]
}

// ingestOnce ingests the batches into a fresh storage at dir and returns
// the points per second; with archive the archiver runs as serve runs it.
func ingestOnce(b *testing.B, dir string, batches [][]engine.PointStruct, archive bool) float64 {
	b.Helper()
	opts := engine.Options{Dir: filepath.Join(dir, "storage"), Logger: quiet()}
	var arch *Archiver
	if archive {
		store, err := objstore.NewLocal(filepath.Join(dir, "archive"))
		if err != nil {
			b.Fatal(err)
		}
		arch = &Archiver{Store: store, Logger: quiet()}
		opts.ArchivedLSN = arch.ArchivedLSN
	}
	st, err := engine.Open(opts)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	if arch != nil {
		arch.Attach(st)
		tick := time.NewTicker(RoundInterval(time.Second))
		defer tick.Stop()
		go func() { arch.Run(ctx, tick.C); close(done) }()
	} else {
		close(done)
	}
	if err := st.CreateCollection("bench", engine.CreateCollection{Vectors: engine.VectorsConfig{"": {Size: 128, Distance: point.Cosine}}}); err != nil {
		b.Fatal(err)
	}
	c, _ := st.Collection("bench")
	start := time.Now()
	n := 0
	for _, bt := range batches {
		if _, err := c.Upsert(context.Background(), bt, true); err != nil {
			b.Fatal(err)
		}
		n += len(bt)
	}
	elapsed := time.Since(start)
	cancel()
	<-done
	return float64(n) / elapsed.Seconds()
}
