package s3snap

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/cairn-db/cairn/bench"
	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/snapshot"
	"github.com/cairn-db/cairn/snapshot/stallprobe"
)

// firstRound runs one round: the first snapshot of the collection into an
// empty prefix and the reference PutObject of the archive, in an order
// alternating from round to round, with nothing else running; before
// them, another first snapshot, into another empty prefix, with the
// writer's stall measured. The first snapshot's prefix is kept when last (the
// series continues from it), every other one emptied; the manager of the
// first is returned.
func (r *runner) firstRound(ctx context.Context, i int, last bool) (*snapshot.Manager, *counting, error) {
	x := bench.S3Round{SnapshotFst: i%2 == 1, Load: loadavg()}
	m, cs, err := r.manager(fmt.Sprintf("r%d", i))
	if err != nil {
		return nil, nil, err
	}
	mw, csw, err := r.manager(fmt.Sprintf("r%d-writer", i))
	if err != nil {
		return nil, nil, err
	}
	put := func() error {
		d, err := r.putArchive(ctx, i)
		x.UploadS = d.Seconds()
		return err
	}
	snap := func() error { return r.quietSnapshot(ctx, m, cs, &x) }
	stalled := func() error {
		err := r.stalledSnapshot(ctx, mw, i, &x)
		return errors.Join(err, emptyStore(ctx, csw.Store))
	}
	steps := []func() error{stalled, put, snap}
	if x.SnapshotFst {
		steps[1], steps[2] = snap, put
	}
	for _, step := range steps {
		if err := settle(r.storageDir); err != nil {
			return nil, nil, err
		}
		if err := step(); err != nil {
			return nil, nil, err
		}
	}
	x.Ratio = x.SnapshotS / x.UploadS
	sum, err := hashFile(r.archive)
	if err != nil {
		return nil, nil, err
	}
	x.SHA256S = sum.Seconds()
	r.res.Rounds = append(r.res.Rounds, x)
	bench.Logf(r.o.Log, "round %d: snapshot %.2f s, PutObject %.2f s (x%.2f), SHA-256 of the archive %.2f s, %.1f MB in %d objects; with the writer: snapshot %.2f s, base-max %.1f ms, stall-max %.1f ms (%+.1f), %d writes, longest wait for a P: base %.2f ms, snapshot %.2f ms; PutObject with the writer: base-max %.1f ms, stall-max %.1f ms (%+.1f), wait for a P %.2f ms; load %s",
		i+1, x.SnapshotS, x.UploadS, x.Ratio, x.SHA256S, float64(x.BytesPut)/1e6, x.ObjectsPut, x.StallSnapshotS, x.BaseMaxMS, x.StallMaxMS,
		x.StallMaxMS-x.BaseMaxMS, x.Writes, x.SchedBaseMS, x.SchedSnapMS, x.PutBaseMaxMS, x.PutStallMaxMS, x.PutStallMaxMS-x.PutBaseMaxMS, x.PutSchedMS, x.Load)
	if last {
		r.lastPrefix = fmt.Sprintf("%s-r%d", r.prefix, i)
	} else {
		if err := emptyStore(ctx, cs.Store); err != nil {
			return nil, nil, err
		}
	}
	return m, cs, nil
}

// quietSnapshot times the first snapshot into m's store, nothing else
// running, and counts what it put.
func (r *runner) quietSnapshot(ctx context.Context, m *snapshot.Manager, cs *counting, x *bench.S3Round) error {
	cs.take()
	t0 := time.Now()
	d, err := m.CreateCollection(ctx, r.o.Collection)
	x.SnapshotS = time.Since(t0).Seconds()
	if err != nil {
		return fmt.Errorf("snapshot into S3: %w", err)
	}
	r.lastName = d.Name
	x.ObjectsPut, x.BytesPut = cs.take()
	return nil
}

// stallFig is what withWriter measured.
type stallFig struct {
	took, base, stall, schedBase, schedOp time.Duration
	writes                                int
}

// withWriter runs the writer alone for window (the base: its longest
// call), then op with the writer still running (the stall: the longest
// call that overlapped op), as BenchmarkSnapshotStall measures, with the
// longest wait of a goroutine for a P in each.
func (r *runner) withWriter(ctx context.Context, window time.Duration, op func() error) (f stallFig, err error) {
	w := startWriter(r.c, r.dim)
	defer func() { err = errors.Join(err, w.Finish()) }()
	w.WaitCalls(ctx, 3)
	tb := time.Now()
	sched0 := stallprobe.ReadSched()
	time.Sleep(window) // a measuring window, not synchronisation
	f.base, _ = w.MaxOverlapping(tb, time.Now())
	f.schedBase = stallprobe.SchedMax(sched0)
	sched0 = stallprobe.ReadSched()
	t0 := time.Now()
	if err := op(); err != nil {
		return f, err
	}
	t1 := time.Now()
	f.stall, f.writes = w.MaxOverlapping(t0, t1)
	f.schedOp, f.took = stallprobe.SchedMax(sched0), t1.Sub(t0)
	return f, nil
}

// stalledSnapshot creates a first snapshot into m's store with the writer
// running (withWriter, its base window as long as the previous one took),
// then, the same way, the reference PutObject of the archive.
func (r *runner) stalledSnapshot(ctx context.Context, m *snapshot.Manager, i int, x *bench.S3Round) error {
	f, err := r.withWriter(ctx, r.window, func() error {
		_, err := m.CreateCollection(ctx, r.o.Collection)
		return err
	})
	if err != nil {
		return fmt.Errorf("snapshot into S3 with the writer: %w", err)
	}
	r.window = f.took
	x.StallSnapshotS, x.BaseMaxMS, x.StallMaxMS, x.Writes = f.took.Seconds(), ms(f.base), ms(f.stall), f.writes
	x.SchedBaseMS, x.SchedSnapMS = ms(f.schedBase), ms(f.schedOp)
	if err := settle(r.storageDir); err != nil {
		return err
	}
	f, err = r.withWriter(ctx, r.window, func() error {
		_, err := r.putArchive(ctx, i)
		return err
	})
	if err != nil {
		return fmt.Errorf("PutObject with the writer: %w", err)
	}
	x.PutBaseMaxMS, x.PutStallMaxMS, x.PutSchedMS = ms(f.base), ms(f.stall), ms(f.schedOp)
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// series follows the last round's first snapshot (entry 0) with
// o.Series snapshots into the same prefix, each after o.Churn × the points
// were upserted and flushed into a new sealed segment; it returns the last
// snapshot's name. default_segment_number is first raised above the
// segments the series makes, so that the optimizer merges none of them
// (a merge rewrites its inputs, which the next snapshot uploads again).
func (r *runner) series(ctx context.Context, m *snapshot.Manager, cs *counting) (string, error) {
	first := r.res.Rounds[len(r.res.Rounds)-1]
	info := r.c.Info()
	segs := min(engine.MaxDefaultSegmentNumber, info.SegmentsCount+r.o.Series+2)
	if err := r.st.UpdateCollection(r.o.Collection, engine.CollectionUpdate{
		OptimizersConfig: &engine.OptimizersConfigDiff{DefaultSegmentNumber: &segs}}); err != nil {
		return "", err
	}
	r.res.Series = append(r.res.Series, bench.S3SeriesPoint{Points: info.PointsCount, Segments: info.SegmentsCount,
		Seconds: first.SnapshotS, BytesPut: first.BytesPut, ObjectsPut: first.ObjectsPut, ShareBytes: 1, ShareTime: 1})
	add := max(1, int(r.o.Churn*float64(r.res.Points)))
	name := r.lastName
	for k := 1; k <= r.o.Series; k++ {
		for from := 0; from < add; from += 5000 {
			pts := randomPoints(r.rng, churnFirstID+(k-1)*add+from, min(5000, add-from), r.dim)
			if _, err := r.c.Upsert(ctx, pts, false); err != nil {
				return "", err
			}
		}
		if err := r.c.Flush(); err != nil {
			return "", err
		}
		if err := settle(r.storageDir); err != nil {
			return "", err
		}
		cs.take()
		t0 := time.Now()
		d, err := m.CreateCollection(ctx, r.o.Collection)
		took := time.Since(t0)
		if err != nil {
			return "", fmt.Errorf("snapshot %d: %w", k, err)
		}
		name = d.Name
		objs, n := cs.take()
		info := r.c.Info()
		p := bench.S3SeriesPoint{Index: k, Points: info.PointsCount, Segments: info.SegmentsCount, Seconds: took.Seconds(),
			BytesPut: n, ObjectsPut: objs, ShareBytes: float64(n) / float64(first.BytesPut), ShareTime: took.Seconds() / first.SnapshotS}
		r.res.Series = append(r.res.Series, p)
		bench.Logf(r.o.Log, "series %d: %d points in %d segments, %.3f s (%.1f%% of the first), %.2f MB in %d objects (%.2f%%); load %s",
			k, p.Points, p.Segments, p.Seconds, 100*p.ShareTime, float64(n)/1e6, objs, 100*p.ShareBytes, loadavg())
	}
	return name, nil
}

// restores restores the snapshot key into a new collection (then over
// it), o.Restores times, each beside a GetObject of every chunk the
// restore fetches (same parallelism), in alternating order, and times the
// first query after each restore.
func (r *runner) restores(ctx context.Context, m *snapshot.Manager, cs *counting, key string) error {
	refs, total, err := manifestChunks(ctx, cs.Store, key)
	if err != nil {
		return err
	}
	r.res.RestoreBytes = total
	target := r.o.Collection + "-restored"
	for i := range r.o.Restores {
		x := bench.S3Restore{Load: loadavg()}
		restore := func() error {
			t0 := time.Now()
			err := profiled(r.o.RestoreCPUProfile, r.o.RestoreTrace, fmt.Sprintf(".%d", i+1), func() error {
				return m.RecoverRemote(ctx, target, key, "", snapshot.PrioritySnapshot)
			})
			if err != nil {
				return err
			}
			x.RestoreS = time.Since(t0).Seconds()
			q, err := r.firstQuery(ctx, target)
			x.FirstQueryMS = ms(q)
			return err
		}
		get := func(verify bool, into *float64) func() error {
			return func() error {
				dir := filepath.Join(r.work, "download")
				t0 := time.Now()
				err := getAll(ctx, r.client, r.cfg.Bucket, r.lastPrefix, dir, refs, restoreWorkers, verify)
				*into = time.Since(t0).Seconds()
				return errors.Join(err, os.RemoveAll(dir))
			}
		}
		steps := []func() error{get(false, &x.DownloadS), get(true, &x.DownloadVerifyS), restore}
		if i%2 == 1 {
			steps[0], steps[2] = restore, steps[0]
		}
		for _, step := range steps {
			if err := settle(r.storageDir); err != nil {
				return err
			}
			if err := step(); err != nil {
				return fmt.Errorf("restore round %d: %w", i+1, err)
			}
		}
		x.Ratio, x.RatioVerify = x.RestoreS/x.DownloadS, x.RestoreS/x.DownloadVerifyS
		r.res.Restores = append(r.res.Restores, x)
		bench.Logf(r.o.Log, "restore %d: %.2f s, GetObject of the same %.1f MB %.2f s (x%.2f), with their SHA-256 checked %.2f s (x%.2f), first query %.2f ms; load %s",
			i+1, x.RestoreS, float64(total)/1e6, x.DownloadS, x.Ratio, x.DownloadVerifyS, x.RatioVerify, x.FirstQueryMS, x.Load)
	}
	return nil
}

// firstQuery times the first search (top 10) on the restored collection
// and checks it holds every point.
func (r *runner) firstQuery(ctx context.Context, name string) (time.Duration, error) {
	c, err := r.st.Collection(name)
	if err != nil {
		return 0, err
	}
	q := randomPoints(r.rng, 0, 1, r.dim)[0].Vector[""]
	t0 := time.Now()
	res, err := c.Search(ctx, engine.SearchRequest{Vector: engine.NamedVector{Name: r.vec, Vector: q}, Limit: 10})
	took := time.Since(t0)
	if err != nil {
		return 0, err
	}
	if len(res) != 10 {
		return 0, fmt.Errorf("first query on %s: %d results, want 10", name, len(res))
	}
	if got, want := c.Info().PointsCount, r.c.Info().PointsCount; got != want {
		return 0, fmt.Errorf("restored %s holds %d points, want %d", name, got, want)
	}
	return took, nil
}
