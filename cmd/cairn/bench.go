package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"

	"github.com/cairn-db/cairn/bench"
	"github.com/cairn-db/cairn/bench/s3snap"
	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/point"
)

// inProcessBatch is the number of points per engine upsert while loading.
const inProcessBatch = 4096

// inProcessCollection names the collection the in-process search loads.
const inProcessCollection = "bench"

// runBench runs `cairn bench` with args (the words after "bench"), with the
// engine's in-process search and this executable (for the snapshot
// restores at start-up) wired in.
func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	return bench.MainWithHooks(ctx, args, stdout, stderr, bench.Hooks{InProcess: inProcessBuilder(log), CairnBin: cairnExecutable(), S3Snapshot: s3snap.Run})
}

// cairnExecutable is the running cairn executable, which `cairn bench
// snapshot` starts as `serve --snapshot` to time restores at start-up; ""
// when it cannot be found.
func cairnExecutable() string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	return exe
}

// inProcessBuilder returns the bench hook that loads a data set into an
// engine collection in a temporary folder and searches it in-process.
func inProcessBuilder(log *slog.Logger) bench.InProcessBuilder {
	return func(ctx context.Context, base []float32, dim int, m bench.Metric, M, efc int) (bench.InProcess, func() error, error) {
		dir, err := os.MkdirTemp("", "cairn-bench-*")
		if err != nil {
			return nil, nil, fmt.Errorf("in-process storage: %w", err)
		}
		ip, err := openInProcess(ctx, dir, base, dim, m, M, efc, log)
		if err != nil {
			return nil, nil, errors.Join(err, os.RemoveAll(dir))
		}
		closeFn := func() error { return errors.Join(ip.close(), os.RemoveAll(dir)) }
		return ip, closeFn, nil
	}
}

// inProcess is an engine collection holding a data set's base vectors as
// points whose ids are their row numbers, searched one query at a time.
type inProcess struct {
	dir string // the temporary storage folder
	st  *engine.Storage
	c   *engine.Collection
	log *slog.Logger

	mu  sync.Mutex
	err error // the first search error, returned by close
}

// openInProcess opens an engine storage in dir with DisableBackground (so
// nothing is sealed behind the loader's back), upserts base in batches, and
// flushes: the whole head becomes one sealed segment whose HNSW graph is
// built before it returns. The indexing threshold is set to the data's size
// so the graph is built whatever n; it fails unless every vector is indexed.
func openInProcess(ctx context.Context, dir string, base []float32, dim int, m bench.Metric, M, efc int, log *slog.Logger) (*inProcess, error) {
	dist, err := engineDistance(m)
	if err != nil {
		return nil, err
	}
	if dim < 1 || len(base) == 0 || len(base)%dim != 0 {
		return nil, fmt.Errorf("in-process search: %d floats are not rows of dimension %d", len(base), dim)
	}
	n := len(base) / dim
	st, err := engine.Open(engine.Options{Dir: dir, Logger: log, DisableBackground: true})
	if err != nil {
		return nil, fmt.Errorf("open in-process storage: %w", err)
	}
	ip := &inProcess{dir: dir, st: st, log: log}
	if err := ip.load(ctx, base, n, dim, dist, M, efc); err != nil {
		return nil, errors.Join(err, st.Close())
	}
	return ip, nil
}

// engineDistance maps a bench metric to the engine's distance.
func engineDistance(m bench.Metric) (point.Distance, error) {
	switch m {
	case bench.L2:
		return point.Euclid, nil
	case bench.Cosine:
		return point.Cosine, nil
	}
	return 0, fmt.Errorf("in-process search: unsupported metric %q", m)
}

// load creates the collection, upserts every row and builds its graph.
func (ip *inProcess) load(ctx context.Context, base []float32, n, dim int, dist point.Distance, M, efc int) error {
	// indexing_threshold is in kB of vectors; the largest value whose
	// point count is at most n makes the one sealed segment get its graph.
	thresholdKB := max(1, n*dim*4/1024)
	req := engine.CreateCollection{
		Vectors:          engine.VectorsConfig{"": {Size: dim, Distance: dist}},
		HnswConfig:       &engine.HnswConfigDiff{M: &M, EfConstruct: &efc},
		OptimizersConfig: &engine.OptimizersConfigDiff{IndexingThreshold: &thresholdKB},
	}
	if err := ip.st.CreateCollection(inProcessCollection, req); err != nil {
		return fmt.Errorf("create in-process collection: %w", err)
	}
	c, err := ip.st.Collection(inProcessCollection)
	if err != nil {
		return fmt.Errorf("open in-process collection: %w", err)
	}
	ip.c = c
	pts := make([]engine.PointStruct, 0, inProcessBatch)
	for first := 0; first < n; first += inProcessBatch {
		pts = pts[:0]
		for i := first; i < min(n, first+inProcessBatch); i++ {
			pts = append(pts, engine.PointStruct{ID: point.NumID(uint64(i)), Vector: engine.Vectors{"": base[i*dim : (i+1)*dim]}})
		}
		if _, err := c.Upsert(ctx, pts, false); err != nil {
			return fmt.Errorf("upsert in-process rows %d..%d: %w", first, first+len(pts)-1, err)
		}
	}
	if err := c.Flush(); err != nil {
		return fmt.Errorf("index in-process collection: %w", err)
	}
	info := c.Info()
	if info.Status != engine.StatusGreen || info.PointsCount != n || info.IndexedVectorsCount != n {
		return fmt.Errorf("in-process collection not ready: status %s, %d of %d points, %d indexed",
			info.Status, info.PointsCount, n, info.IndexedVectorsCount)
	}
	return nil
}

// Search returns the ids (base rows) of the k points nearest to q, found
// by the collection's HNSW graph with hnsw_ef = ef. A failed search is
// logged, returns nil (every id a miss) and is reported by close.
func (ip *inProcess) Search(q []float32, k, ef int) []uint64 {
	hits, err := ip.c.Search(context.Background(), engine.SearchRequest{
		Vector: engine.NamedVector{Vector: q},
		Limit:  k,
		Params: &engine.SearchParams{HnswEf: &ef},
	})
	if err != nil {
		ip.fail(err)
		return nil
	}
	ids := make([]uint64, len(hits))
	for i, h := range hits {
		ids[i] = h.ID.Num()
	}
	return ids
}

func (ip *inProcess) fail(err error) {
	ip.mu.Lock()
	defer ip.mu.Unlock()
	if ip.err == nil {
		ip.err = fmt.Errorf("in-process search: %w", err)
		ip.log.Error("in-process search failed", "err", err)
	}
}

// close closes the storage and returns the first search error with its own.
func (ip *inProcess) close() error {
	ip.mu.Lock()
	searchErr := ip.err
	ip.mu.Unlock()
	return errors.Join(searchErr, ip.st.Close())
}
