package s3snap

import (
	"context"
	"math"
	"math/rand/v2"
	"runtime/metrics"
	"sync"
	"time"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/point"
)

// writer upserts single points with wait=true in a loop and records each
// call's start and end: the stall probe of snapshot's
// BenchmarkSnapshotStall, rebuilt outside the test binary.
type writer struct {
	mu    sync.Mutex
	spans [][2]time.Time
	stop  chan struct{}
	done  chan error
}

// writerFirstID is the first id the writer upserts (100,000 ids from it,
// round after round), far from the collection's and the churn's.
const writerFirstID = 2000000

func startWriter(c *engine.Collection, dim int) *writer {
	w := &writer{stop: make(chan struct{}), done: make(chan error, 1)}
	go func() {
		r := rand.New(rand.NewPCG(99, 7))
		for i := 0; ; i++ {
			select {
			case <-w.stop:
				w.done <- nil
				return
			default:
			}
			p := randomPoints(r, writerFirstID+i%100000, 1, dim)
			t0 := time.Now()
			if _, err := c.Upsert(context.Background(), p, true); err != nil {
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

// finish stops the writer and returns its error.
func (w *writer) finish() error {
	close(w.stop)
	return <-w.done
}

// waitCalls returns once n calls have completed or ctx ends.
func (w *writer) waitCalls(ctx context.Context, n int) {
	for ctx.Err() == nil {
		w.mu.Lock()
		k := len(w.spans)
		w.mu.Unlock()
		if k >= n {
			return
		}
		time.Sleep(time.Millisecond) // polling, not synchronisation
	}
}

// maxOverlapping is the longest call that overlapped [t0, t1] and how many
// did.
func (w *writer) maxOverlapping(t0, t1 time.Time) (time.Duration, int) {
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

// randomPoints returns n points of dimension dim with ids from first,
// uniform in [-1, 1), with a small payload.
func randomPoints(r *rand.Rand, first, n, dim int) []engine.PointStruct {
	pts := make([]engine.PointStruct, n)
	for i := range pts {
		v := make([]float32, dim)
		for j := range v {
			v[j] = r.Float32()*2 - 1
		}
		pts[i] = engine.PointStruct{ID: point.NumID(uint64(first + i)), Vector: engine.Vectors{"": v},
			Payload: map[string]any{"tag": []string{"a", "b"}[(first+i)%2]}}
	}
	return pts
}

// readSched reads the runtime's histogram of how long goroutines waited,
// runnable, for a P.
func readSched() *metrics.Float64Histogram {
	s := []metrics.Sample{{Name: "/sched/latencies:seconds"}}
	metrics.Read(s)
	return s[0].Value.Float64Histogram()
}

// schedMax is the upper bound of the highest bucket of the scheduling
// latency histogram that gained counts since before: the longest a
// goroutine of this process waited for a P meanwhile (to the histogram's
// resolution), as the stall benchmark reports it.
func schedMax(before *metrics.Float64Histogram) time.Duration {
	now := readSched()
	for i := len(now.Counts) - 1; i >= 0; i-- {
		if now.Counts[i] > before.Counts[i] {
			hi := now.Buckets[i+1]
			if math.IsInf(hi, 1) {
				hi = now.Buckets[i]
			}
			return time.Duration(hi * float64(time.Second))
		}
	}
	return 0
}
