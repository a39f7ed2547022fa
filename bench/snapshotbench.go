package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"
)

// SnapshotOptions configures RunSnapshot.
type SnapshotOptions struct {
	URL, APIKey, Collection string
	Sizes                   []int // collection sizes (points), one row each
	Dim                     int
	Seed                    uint64
	Metric                  Metric
	BatchSize, Clients      int
	M, EfConstruct          int
	// StoragePath is the server's storage folder, when it is on this
	// machine: the reference tar times are taken of
	// StoragePath/collections/NAME. Empty skips them.
	StoragePath string
	// Baseline is how long the single-point writer runs before the
	// snapshot is created, to measure its own latency.
	Baseline time.Duration
	WorkDir  string // downloads and tar files (a temporary folder if empty)
	// Rounds is how many times each loaded collection is snapshotted,
	// downloaded, restored and tarred (0 or 1: once); the row holds the
	// medians, its Samples every round. Snapshot create and tar -cf
	// alternate, so their ratio comes from neighbouring measurements.
	Rounds      int
	WaitTimeout time.Duration
	// Index makes each collection get its HNSW graphs before the rounds:
	// it is created with an indexing threshold of a fifth of its points,
	// a 1 s flush interval and Segments segments, and the run waits (at
	// most IndexTimeout) until indexed_vectors_count reaches the points.
	// Then the threshold is raised and the flush interval lengthened, so
	// the writer's points stay in the mutable head (and the WAL) and no
	// seal, merge or graph build runs behind the measured rounds.
	// Without Index the collection keeps the server's defaults (a 10,000
	// point collection then has no graph on Cairn).
	Index        bool
	IndexTimeout time.Duration
	// CairnBin is the cairn binary started with `serve --snapshot` on each
	// downloaded snapshot to time the restore at start-up ("" skips it, as
	// does a server that is not Cairn; the row's StartupNote says why).
	CairnBin string
	Segments int // optimizers_config.default_segment_number with Index (0: server default)
	Log      io.Writer
	TTY      bool
}

// SnapshotRow holds the figures of one collection size.
type SnapshotRow struct {
	Points int `json:"points"`
	Dim    int `json:"dim"`
	// IndexedVectors is the collection's indexed_vectors_count before the
	// rounds, IndexSeconds how long after the upload it took to get there
	// (both 0 when the collection was not indexed).
	IndexedVectors int     `json:"indexed_vectors"`
	IndexSeconds   float64 `json:"index_s,omitempty"`
	// BaselineWrites are the single-point wait=true upserts finished
	// before the snapshot began; DuringWrites those overlapping its creation.
	BaselineWrites Latency `json:"baseline_writes"`
	DuringWrites   Latency `json:"during_writes"`
	// StallMS is the longest write during creation minus the baseline p50.
	StallMS         float64 `json:"stall_above_baseline_ms"`
	CreateSeconds   float64 `json:"create_s"`
	DownloadSeconds float64 `json:"download_s"`
	RecoverSeconds  float64 `json:"upload_recover_s"` // upload + recover into a new collection
	// FirstQueryMS is the first search (top 10) on the restored collection,
	// right after the upload-recover call returned.
	FirstQueryMS float64 `json:"first_query_after_restore_ms"`
	// StartupRestoreSecs is the restore at start-up: from starting `cairn
	// serve --snapshot FILE:NAME` (fresh storage) until /readyz answers;
	// StartupFirstQueryMS the first search (top 10) on that collection
	// right after; StartupPoints its point count. StartupNote says why
	// they are missing.
	StartupRestoreSecs  float64 `json:"startup_restore_s,omitempty"`
	StartupFirstQueryMS float64 `json:"startup_first_query_ms,omitempty"`
	StartupPoints       int     `json:"startup_restored_points,omitempty"`
	StartupNote         string  `json:"startup_note,omitempty"`
	ArchiveBytes        int64   `json:"archive_bytes"`
	RestoredPoints      int     `json:"restored_points"`
	TarCreateSecs       float64 `json:"tar_cf_s,omitempty"`
	TarExtractSecs      float64 `json:"tar_xf_s,omitempty"`
	TarBytes            int64   `json:"tar_bytes,omitempty"`
	// SnapshotXfSecs is `tar -xf` of the downloaded snapshot archive (Cairn
	// and Qdrant snapshots are tar files), the floor for a restore.
	SnapshotXfSecs float64 `json:"snapshot_tar_xf_s,omitempty"`
	Note           string  `json:"note,omitempty"`
	// Rounds is the number of samples; with more than one, the figures
	// above are medians, CreateRange and StallRange the spreads of the
	// create time and of the stall, and Samples every round's figures.
	Rounds      int           `json:"rounds"`
	CreateRange *Spread       `json:"create_s_spread,omitempty"`
	StallRange  *Spread       `json:"stall_ms_spread,omitempty"`
	Samples     []SnapshotRow `json:"samples,omitempty"`
}

// summarizeSnapshot folds the rounds of one size into a row of medians.
func summarizeSnapshot(samples []SnapshotRow) SnapshotRow {
	if len(samples) == 1 {
		row := samples[0]
		row.Rounds = 1
		return row
	}
	row := samples[len(samples)-1]
	row.Samples = samples
	row.Rounds = len(samples)
	med := func(f func(*SnapshotRow) *float64) Spread {
		xs := make([]float64, len(samples))
		for i := range samples {
			xs[i] = *f(&samples[i])
		}
		sp := SpreadOf(xs)
		*f(&row) = sp.Median
		return sp
	}
	create := med(func(r *SnapshotRow) *float64 { return &r.CreateSeconds })
	stall := med(func(r *SnapshotRow) *float64 { return &r.StallMS })
	row.CreateRange, row.StallRange = &create, &stall
	for _, f := range []func(*SnapshotRow) *float64{
		func(r *SnapshotRow) *float64 { return &r.DownloadSeconds },
		func(r *SnapshotRow) *float64 { return &r.RecoverSeconds },
		func(r *SnapshotRow) *float64 { return &r.FirstQueryMS },
		func(r *SnapshotRow) *float64 { return &r.StartupRestoreSecs },
		func(r *SnapshotRow) *float64 { return &r.StartupFirstQueryMS },
		func(r *SnapshotRow) *float64 { return &r.TarCreateSecs },
		func(r *SnapshotRow) *float64 { return &r.TarExtractSecs },
		func(r *SnapshotRow) *float64 { return &r.SnapshotXfSecs },
		func(r *SnapshotRow) *float64 { return &r.BaselineWrites.P50 },
		func(r *SnapshotRow) *float64 { return &r.DuringWrites.Max },
	} {
		med(f)
	}
	return row
}

// SnapshotResult is the outcome of RunSnapshot.
type SnapshotResult struct {
	URL  string        `json:"url"`
	Rows []SnapshotRow `json:"rows"`
}

// RunSnapshot, for each size: generates that many points, loads them into
// a fresh collection and waits for green (with o.Index, until every vector
// is indexed); runs a stream of single-point
// wait=true upserts for o.Baseline, then creates a snapshot while the stream
// goes on; downloads the snapshot, uploads it into a new collection
// (upload + recover) and checks its point count; and times tar -cf / tar -xf
// of the collection's storage folder for reference. Collections and the
// snapshot are removed afterwards.
func RunSnapshot(ctx context.Context, o SnapshotOptions) (*SnapshotResult, error) {
	c := NewClient(o.URL, o.APIKey)
	defer c.Close()
	work := o.WorkDir
	if work == "" {
		d, err := os.MkdirTemp("", "cairn-bench-snapshot-")
		if err != nil {
			return nil, fmt.Errorf("snapshot bench: %w", err)
		}
		defer os.RemoveAll(d)
		work = d
	}
	res := &SnapshotResult{URL: o.URL}
	skip, err := startupSkipReason(ctx, c, o.CairnBin)
	if err != nil {
		return nil, fmt.Errorf("snapshot bench: %w", err)
	}
	if skip != "" && o.Log != nil {
		Logf(o.Log, "%s", skip)
	}
	for _, n := range o.Sizes {
		row, err := snapshotOnce(ctx, c, o, n, work, skip)
		if err != nil {
			return res, fmt.Errorf("snapshot bench at %d points: %w", n, err)
		}
		res.Rows = append(res.Rows, row)
	}
	return res, nil
}

func snapshotOnce(ctx context.Context, c *Client, o SnapshotOptions, n int, work, startupSkip string) (SnapshotRow, error) {
	row := SnapshotRow{Points: n, Dim: o.Dim}
	name := fmt.Sprintf("%s-%d", o.Collection, n)
	base, _, err := Generate(GenOptions{N: n, Dim: o.Dim, Seed: o.Seed, Metric: o.Metric})
	if err != nil {
		return row, err
	}
	if err := c.DeleteCollection(ctx, name); err != nil {
		return row, err
	}
	cfg := CollectionConfig{Dim: o.Dim, Distance: o.Metric.QdrantDistance(), M: o.M, EfConstruct: o.EfConstruct}
	if o.Index {
		cfg.IndexingThreshold = indexingThresholdOrFifth(0, n, o.Dim)
		cfg.FlushIntervalSec, cfg.DefaultSegmentNumber = 1, o.Segments
	}
	if err := c.CreateCollection(ctx, name, cfg); err != nil {
		return row, err
	}
	defer c.DeleteCollection(context.WithoutCancel(ctx), name)
	p := NewProgress(o.Log, o.TTY, fmt.Sprintf("load %d points", n), n)
	_, err = upload(ctx, c, name, base, o.Dim, o.BatchSize, o.Clients, false, p)
	p.Done()
	if err != nil {
		return row, err
	}
	var indexed int
	var indexSecs float64
	if o.Index {
		t0 := time.Now()
		info, err := waitIndexed(ctx, c, name, n, o.IndexTimeout)
		if err != nil {
			return row, err
		}
		indexed, indexSecs = info.IndexedVectorsCount, time.Since(t0).Seconds()
		if o.Log != nil {
			Logf(o.Log, "snapshot %d points: %d vectors indexed in %d segment(s), %.1fs after the upload", n, indexed, info.SegmentsCount, indexSecs)
		}
		quiet := CollectionConfig{IndexingThreshold: IndexingThresholdKB(4*n, o.Dim), FlushIntervalSec: 3600}
		if err := c.UpdateOptimizers(ctx, name, quiet); err != nil {
			return row, err
		}
	} else if err := waitReady(ctx, c, name, n, 0, o.WaitTimeout); err != nil {
		return row, err
	}
	var samples []SnapshotRow
	nextID := uint64(n)
	for round := range max(o.Rounds, 1) {
		if o.Rounds > 1 && o.Log != nil {
			Logf(o.Log, "snapshot %d points: round %d of %d", n, round+1, o.Rounds)
		}
		sample := SnapshotRow{Points: n, Dim: o.Dim, StartupNote: startupSkip}
		if err := snapshotRound(ctx, c, o, name, base[:o.Dim], &nextID, work, &sample); err != nil {
			return row, err
		}
		samples = append(samples, sample)
	}
	row = summarizeSnapshot(samples)
	row.IndexedVectors, row.IndexSeconds = indexed, indexSecs
	return row, nil
}

// waitIndexed waits (timeout at most, an hour if 0) until the collection
// is green with n points and at least n indexed vectors.
func waitIndexed(ctx context.Context, c *Client, name string, n int, timeout time.Duration) (CollectionInfo, error) {
	wctx, cancel, timeout := withWaitTimeout(ctx, timeout)
	defer cancel()
	info, err := c.WaitReady(wctx, name, n, n, 50*time.Millisecond)
	if err != nil && ctx.Err() == nil {
		return info, fmt.Errorf("collection %s not indexed after %s (-index-timeout; -index=false skips indexing): %w", name, timeout, err)
	}
	return info, err
}

// snapshotRound measures one snapshot of the loaded collection name: the
// stall and create time, download, upload-recover and first query, and
// the tar reference. The writer's ids start at *nextID, advanced past the
// ones it wrote.
func snapshotRound(ctx context.Context, c *Client, o SnapshotOptions, name string, vec []float32, nextID *uint64, work string, row *SnapshotRow) error {
	snap, written, err := measureStall(ctx, c, name, vec, *nextID, o.Baseline, row)
	*nextID += written
	if err != nil {
		return err
	}
	defer c.DeleteSnapshot(context.WithoutCancel(ctx), name, snap.Name)
	if err := measureTransfer(ctx, c, o, name, snap, vec, work, row); err != nil {
		return err
	}
	if o.StoragePath == "" {
		row.Note = "tar reference skipped: no storage path given"
		return nil
	}
	return tarReference(ctx, filepath.Join(o.StoragePath, "collections", name), work, row)
}

// sample is one write: when it started and how long it took.
type sample struct {
	start time.Time
	took  time.Duration
}

// measureStall runs the single-point writer, creates the snapshot after
// baseline, and fills the write-latency figures of row. It returns the
// snapshot and how many points the writer upserted.
func measureStall(ctx context.Context, c *Client, name string, vec []float32, firstID uint64, baseline time.Duration, row *SnapshotRow) (SnapshotInfo, uint64, error) {
	stop := make(chan struct{})
	var samples []sample
	var werr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for id := firstID; ; id++ {
			select {
			case <-stop:
				return
			default:
			}
			t0 := time.Now()
			if werr = c.Upsert(ctx, name, id, vec, len(vec), true); werr != nil {
				return
			}
			samples = append(samples, sample{t0, time.Since(t0)})
		}
	}()
	time.Sleep(baseline) // a measuring period, not synchronisation
	t0 := time.Now()
	snap, err := c.CreateSnapshot(ctx, name)
	t1 := time.Now()
	close(stop)
	wg.Wait()
	if err == nil {
		err = werr
	}
	written := uint64(len(samples)) + 1 // the last call may have written without being recorded
	if err != nil {
		return snap, written, err
	}
	row.CreateSeconds, row.ArchiveBytes = t1.Sub(t0).Seconds(), snap.Size
	var before, during []time.Duration
	for _, s := range samples {
		switch end := s.start.Add(s.took); {
		case end.Before(t0):
			before = append(before, s.took)
		case s.start.Before(t1):
			during = append(during, s.took)
		}
	}
	row.BaselineWrites, row.DuringWrites = Summarize(before), Summarize(during)
	if len(during) > 0 {
		row.StallMS = row.DuringWrites.Max - row.BaselineWrites.P50
	}
	return snap, written, nil
}

// measureTransfer downloads the snapshot, uploads it into NAME-restored,
// times the first search on it (top 10 for q), tar -xf of the archive and,
// unless row.StartupNote says it is skipped, the restore at start-up of
// the archive by o.CairnBin with its first search, and checks the
// restored collections' point counts.
func measureTransfer(ctx context.Context, c *Client, o SnapshotOptions, name string, snap SnapshotInfo, q []float32, work string, row *SnapshotRow) error {
	path := filepath.Join(work, snap.Name)
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("download: %w", err)
	}
	defer os.Remove(path)
	t0 := time.Now()
	size, err := c.DownloadSnapshot(ctx, name, snap.Name, f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	row.DownloadSeconds = time.Since(t0).Seconds()
	if row.ArchiveBytes == 0 {
		row.ArchiveBytes = size
	}
	restored := name + "-restored"
	t0 = time.Now()
	if err := c.UploadSnapshot(ctx, restored, path, "", snap.Checksum); err != nil {
		return err
	}
	row.RecoverSeconds = time.Since(t0).Seconds()
	defer c.DeleteCollection(context.WithoutCancel(ctx), restored)
	t0 = time.Now()
	hits, err := c.Search(ctx, restored, q, 10, 0)
	if err != nil {
		return fmt.Errorf("first query after restore: %w", err)
	}
	row.FirstQueryMS = ms(time.Since(t0))
	if len(hits) == 0 {
		return fmt.Errorf("first query after restore found nothing")
	}
	out := filepath.Join(work, "snapshot-extract")
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("extract snapshot: %w", err)
	}
	defer os.RemoveAll(out)
	t0 = time.Now()
	if err := runTar(ctx, "-xf", path, "-C", out); err != nil {
		return err
	}
	row.SnapshotXfSecs = time.Since(t0).Seconds()
	if row.StartupNote == "" {
		if err := measureStartup(ctx, o.CairnBin, path, name, q, row.Points, work, o.WaitTimeout, row); err != nil {
			return err
		}
	}
	info, err := c.Info(ctx, restored)
	if err != nil {
		return err
	}
	row.RestoredPoints = info.PointsCount
	if info.PointsCount < row.Points {
		return fmt.Errorf("restored collection holds %d points, want at least %d", info.PointsCount, row.Points)
	}
	return nil
}

// tarReference times `tar -cf` of dir and `tar -xf` of that archive.
func tarReference(ctx context.Context, dir, work string, row *SnapshotRow) error {
	if _, err := os.Stat(dir); err != nil {
		row.Note = fmt.Sprintf("tar reference skipped: %v", err)
		return nil
	}
	archive := filepath.Join(work, "reference.tar")
	out := filepath.Join(work, "reference-extract")
	defer os.Remove(archive)
	defer os.RemoveAll(out)
	t0 := time.Now()
	if err := runTar(ctx, "-cf", archive, "-C", dir, "."); err != nil {
		return err
	}
	row.TarCreateSecs = time.Since(t0).Seconds()
	if st, err := os.Stat(archive); err == nil {
		row.TarBytes = st.Size()
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("tar reference: %w", err)
	}
	t0 = time.Now()
	if err := runTar(ctx, "-xf", archive, "-C", out); err != nil {
		return err
	}
	row.TarExtractSecs = time.Since(t0).Seconds()
	return nil
}

// runTar runs tar; exit status 1 ("file changed as we read it", the server
// may still be writing) is accepted.
func runTar(ctx context.Context, args ...string) error {
	cmd := exec.CommandContext(ctx, "tar", args...)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == 1 {
		return nil
	}
	if err != nil {
		return fmt.Errorf("tar %v: %w: %s", args, err, out)
	}
	return nil
}
