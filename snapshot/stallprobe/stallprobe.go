// Package stallprobe measures how long a collection's writes stall while
// something else runs: a Writer upserts with wait=true, call after call,
// and records each call's start and end; SchedMax reads how long
// goroutines waited for a P meanwhile; CopyStorage takes a private copy of
// a cached storage to measure on. The snapshot package's stall benchmark
// and bench/s3snap share it.
package stallprobe

import (
	"context"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime/metrics"
	"sync"
	"time"

	"github.com/cairn-db/cairn/engine"
)

// Writer upserts the points next returns, call after call, until Finish,
// and records each call's span.
type Writer struct {
	mu    sync.Mutex
	spans [][2]time.Time
	stop  chan struct{}
	done  chan error
}

// Start runs a Writer on c whose i-th call upserts next(i), with wait=true.
// next is called from the Writer's goroutine only.
func Start(c *engine.Collection, next func(i int) []engine.PointStruct) *Writer {
	w := &Writer{stop: make(chan struct{}), done: make(chan error, 1)}
	go func() {
		for i := 0; ; i++ {
			select {
			case <-w.stop:
				w.done <- nil
				return
			default:
			}
			p := next(i)
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

// Finish stops the writer and returns the error that ended it, if any.
// Call it once.
func (w *Writer) Finish() error {
	close(w.stop)
	return <-w.done
}

// WaitCalls returns once n calls have completed or ctx ends.
func (w *Writer) WaitCalls(ctx context.Context, n int) {
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

// MaxOverlapping is the longest call that overlapped [t0, t1] and how many
// did.
func (w *Writer) MaxOverlapping(t0, t1 time.Time) (time.Duration, int) {
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

// ReadSched reads the runtime's histogram of how long goroutines waited,
// runnable, for a P.
func ReadSched() *metrics.Float64Histogram {
	s := []metrics.Sample{{Name: "/sched/latencies:seconds"}}
	metrics.Read(s)
	return s[0].Value.Float64Histogram()
}

// SchedMax is the upper bound of the highest bucket of the scheduling
// latency histogram that gained counts since before (from ReadSched): the
// longest a goroutine of this process waited for a P meanwhile (to the
// histogram's resolution).
func SchedMax(before *metrics.Float64Histogram) time.Duration {
	now := ReadSched()
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

// CopyStorage makes dst a private copy of the closed storage src, as the
// stall benchmark takes one of its cached collection: files in a "wal" folder (appended in place) are
// copied, every other file (written once, or replaced by rename) is
// hard-linked.
func CopyStorage(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		out := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(out, 0o755)
		case filepath.Base(filepath.Dir(p)) == "wal":
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(out, data, 0o644)
		default:
			return os.Link(p, out)
		}
	})
}
