package bench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
)

// ErrNoS3Runner is returned by `snapshot -s3` when no S3Runner hook is set.
var ErrNoS3Runner = errors.New("snapshot -s3 needs the cairn binary (the S3 runner is wired by cmd/cairn)")

// S3Runner runs the in-process S3 snapshot benchmark (see S3Options).
// WIRING: cmd/cairn sets Hooks.S3Snapshot to bench/s3snap.Run.
type S3Runner func(ctx context.Context, o S3Options) (*S3Result, error)

// S3Options configures the S3 snapshot benchmark of `cairn bench snapshot
// -s3`: a closed storage folder (Storage, holding the collection
// Collection) is privately copied, opened in process and snapshotted into
// a bucket, either at Endpoint or on a versitygw started from VersityGW.
type S3Options struct {
	// Storage is a closed storage folder holding Collection; its immutable
	// files are hard-linked into a private copy under WorkDir.
	Storage, Collection string
	// Endpoint, Region, Bucket, AccessKey and SecretKey address an existing
	// bucket; ignored with VersityGW, which starts a gateway on a loopback
	// port over WorkDir/s3 and creates the bucket itself.
	Endpoint, Region, Bucket, AccessKey, SecretKey string
	VersityGW                                      string
	// GatewayDir is the folder the started versitygw serves ("": WorkDir/s3);
	// on another disk or a tmpfs, the bucket's writes leave the storage's
	// disk alone.
	GatewayDir string
	// PartSize and Threads are the S3 client's, for both the snapshot and
	// the reference upload (0: objstore's defaults).
	PartSize int64
	Threads  int
	WorkDir  string
	// Rounds is how many first snapshots (each into an empty prefix) and
	// reference uploads run, interleaved; Restores likewise for restores
	// and reference downloads.
	Rounds, Restores int
	// Series is how many snapshots follow the first with Churn (a share of
	// the points, e.g. 0.01) new points sealed into a segment before each.
	Series int
	Churn  float64
	// RestoreCPUProfile and RestoreTrace, when not "", receive a CPU
	// profile and an execution trace of the restores from S3 alone (not of
	// the reference downloads beside them).
	RestoreCPUProfile, RestoreTrace string
	// Log receives progress lines (nil: none).
	Log io.Writer
}

// S3Round is one interleaved round of first snapshot and reference upload.
type S3Round struct {
	SnapshotS float64 `json:"snapshot_s"`
	UploadS   float64 `json:"put_archive_s"`
	Ratio     float64 `json:"ratio"`
	// SHA256S is the SHA-256 of the archive read from the page cache: the
	// content hash a snapshot computes beyond what the upload does.
	SHA256S    float64 `json:"sha256_s"`
	BaseMaxMS  float64 `json:"base_max_ms"`
	StallMaxMS float64 `json:"stall_max_ms"`
	Writes     int     `json:"writes"`
	// StallSnapshotS is the time of the round's second first snapshot,
	// the one the writer ran beside (BaseMaxMS to Writes are its).
	StallSnapshotS float64 `json:"stall_snapshot_s"`
	// PutBaseMaxMS and PutStallMaxMS are the same figures for a PutObject
	// of the archive with the writer running (after a base window of its
	// own), PutSchedMS its longest wait for a P: the stall any upload of
	// these bytes to this server causes.
	PutBaseMaxMS  float64 `json:"put_base_max_ms"`
	PutStallMaxMS float64 `json:"put_stall_max_ms"`
	PutSchedMS    float64 `json:"put_sched_ms"`
	// SchedBaseMS and SchedSnapMS are the longest a goroutine of the
	// benchmark waited for a P during the base window and the snapshot.
	SchedBaseMS float64 `json:"sched_base_ms"`
	SchedSnapMS float64 `json:"sched_snapshot_ms"`
	BytesPut    int64   `json:"bytes_put"`
	ObjectsPut  int     `json:"objects_put"`
	Load        string  `json:"load"`
	SnapshotFst bool    `json:"snapshot_first"`
}

// S3SeriesPoint is one snapshot of the churn series (0 is the first).
type S3SeriesPoint struct {
	Index      int     `json:"index"`
	Points     int     `json:"points"`
	Segments   int     `json:"segments"`
	Seconds    float64 `json:"seconds"`
	BytesPut   int64   `json:"bytes_put"`
	ObjectsPut int     `json:"objects_put"`
	ShareBytes float64 `json:"share_of_first_bytes"`
	ShareTime  float64 `json:"share_of_first_time"`
}

// S3Restore is one interleaved round of restore and reference download.
type S3Restore struct {
	RestoreS  float64 `json:"restore_s"`
	DownloadS float64 `json:"get_objects_s"`
	Ratio     float64 `json:"ratio"`
	// DownloadVerifyS is the same download checking each chunk's SHA-256
	// as it streams (what a restore must do), RatioVerify the restore
	// against it.
	DownloadVerifyS float64 `json:"get_objects_sha256_s"`
	RatioVerify     float64 `json:"ratio_sha256"`
	FirstQueryMS    float64 `json:"first_query_ms"`
	Load            string  `json:"load"`
}

// S3Result is the outcome of an S3Runner.
type S3Result struct {
	Endpoint     string          `json:"endpoint"`
	Server       string          `json:"server"`
	Points       int             `json:"points"`
	Dim          int             `json:"dim"`
	Indexed      bool            `json:"indexed"`
	ArchiveBytes int64           `json:"archive_bytes"`
	PartSize     int64           `json:"part_size"`
	Threads      int             `json:"threads"`
	Rounds       []S3Round       `json:"rounds"`
	Series       []S3SeriesPoint `json:"series"`
	Restores     []S3Restore     `json:"restores"`
	RestoreBytes int64           `json:"restore_bytes"`
}

func runS3SnapshotCmd(ctx context.Context, f *flags, o S3Options, env *runEnv) error {
	if env.hooks.S3Snapshot == nil {
		return ErrNoS3Runner
	}
	if o.Storage == "" {
		return fmt.Errorf("%w: -s3 needs -s3-storage (a closed storage folder, e.g. the stall benchmark's cache)", ErrUsage)
	}
	if o.VersityGW == "" && (o.Endpoint == "" || o.Bucket == "") {
		return fmt.Errorf("%w: -s3 needs -versitygw PATH, or -s3-endpoint and -s3-bucket", ErrUsage)
	}
	if o.Rounds < 1 || o.Restores < 1 || o.Series < 0 || o.Churn <= 0 || o.Churn > 1 {
		return fmt.Errorf("%w: -rounds and -s3-restores at least 1, -s3-series at least 0, -s3-churn in (0, 1]", ErrUsage)
	}
	o.Collection = f.collection
	res, err := env.hooks.S3Snapshot(ctx, o)
	env.report.S3Snapshot = res
	if err != nil {
		return err
	}
	return env.finish(ctx, "snapshot-s3")
}

// s3Flags registers the flags of `snapshot -s3` on f.
func s3Flags(f *flag.FlagSet) (*bool, *S3Options) {
	o := &S3Options{}
	on := f.Bool("s3", false, "benchmark snapshots into S3 in process (first snapshot and writer stall against a PutObject of the same archive, a churn series, restores against GetObject); the other flags but -out, -collection, -rounds and -work-dir are ignored")
	env := func(k, def string) string {
		if v := os.Getenv(k); v != "" {
			return v
		}
		return def
	}
	f.StringVar(&o.Storage, "s3-storage", "", "closed storage folder holding -collection (copied by hard links), e.g. $TMPDIR/cairn-bench-cache/storage-points=1000000-dim=128-m=0-v1")
	f.StringVar(&o.VersityGW, "versitygw", "", "versitygw binary to start on a loopback port over the work folder (instead of -s3-endpoint)")
	f.StringVar(&o.GatewayDir, "versitygw-dir", "", "folder the started versitygw serves (default: WORK-DIR/s3); e.g. on a tmpfs to keep the bucket's writes off the storage's disk")
	f.StringVar(&o.Endpoint, "s3-endpoint", env("CAIRN_BENCH_S3_ENDPOINT", ""), "S3 endpoint URL (default $CAIRN_BENCH_S3_ENDPOINT)")
	f.StringVar(&o.Region, "s3-region", env("AWS_REGION", ""), "S3 region (default $AWS_REGION)")
	f.StringVar(&o.Bucket, "s3-bucket", env("CAIRN_BENCH_S3_BUCKET", ""), "existing bucket (default $CAIRN_BENCH_S3_BUCKET); the run writes under prefixes cairn-bench-s3-*")
	f.StringVar(&o.AccessKey, "s3-access-key", env("AWS_ACCESS_KEY_ID", ""), "access key (default $AWS_ACCESS_KEY_ID)")
	f.StringVar(&o.SecretKey, "s3-secret-key", env("AWS_SECRET_ACCESS_KEY", ""), "secret key (default $AWS_SECRET_ACCESS_KEY)")
	f.Int64Var(&o.PartSize, "s3-part-size", 0, "multipart part size in bytes (0: the store's default)")
	f.IntVar(&o.Threads, "s3-threads", 0, "parallel parts of one upload (0: the store's default)")
	f.IntVar(&o.Restores, "s3-restores", 3, "restores from S3, each beside a download of the same objects")
	f.IntVar(&o.Series, "s3-series", 10, "snapshots after the first, each after -s3-churn new sealed points")
	f.StringVar(&o.RestoreCPUProfile, "s3-restore-cpuprofile", "", "write a CPU profile of the restores from S3 (only them) to this file")
	f.StringVar(&o.RestoreTrace, "s3-restore-trace", "", "write an execution trace of the restores from S3 (only them) to this file")
	f.Float64Var(&o.Churn, "s3-churn", 0.01, "share of the points added (and flushed into a new segment) before each series snapshot")
	return on, o
}

func writeS3Markdown(b *strings.Builder, r *S3Result) {
	idx := "graph-free segments"
	if r.Indexed {
		idx = "indexed"
	}
	fmt.Fprintf(b, "S3 snapshots: %d × %d (%s), archive %.1f MB, %s at %s, part size %d MiB, %d threads\n\n",
		r.Points, r.Dim, idx, float64(r.ArchiveBytes)/1e6, r.Server, r.Endpoint, r.PartSize>>20, r.Threads)
	b.WriteString("| round | order | first snapshot s | PutObject of the archive s | ratio | SHA-256 of the archive s | base max ms | stall max ms | above base ms | snapshot with writer s | writes | wait for a P ms (base, snapshot) | PutObject with writer: base → stall ms (wait for a P) | MB put | objects | load |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	var snaps, puts, ratios, above []float64
	for i, x := range r.Rounds {
		order := "put, snapshot"
		if x.SnapshotFst {
			order = "snapshot, put"
		}
		fmt.Fprintf(b, "| %d | %s | %.2f | %.2f | %.2f | %.2f | %.1f | %.1f | %+.1f | %.2f | %d | %.1f, %.1f | %.1f → %.1f (%.1f) | %.1f | %d | %s |\n", i+1, order, x.SnapshotS, x.UploadS, x.Ratio, x.SHA256S,
			x.BaseMaxMS, x.StallMaxMS, x.StallMaxMS-x.BaseMaxMS, x.StallSnapshotS, x.Writes, x.SchedBaseMS, x.SchedSnapMS, x.PutBaseMaxMS, x.PutStallMaxMS, x.PutSchedMS, float64(x.BytesPut)/1e6, x.ObjectsPut, x.Load)
		snaps, puts, ratios, above = append(snaps, x.SnapshotS), append(puts, x.UploadS), append(ratios, x.Ratio), append(above, x.StallMaxMS-x.BaseMaxMS)
	}
	if len(r.Rounds) > 0 {
		fmt.Fprintf(b, "| median | | %.2f | %.2f | %.2f | | | | %+.1f | | | | | | | |\n", Median(snaps), Median(puts), Median(ratios), Median(above))
	}
	b.WriteString("\n| snapshot | points | segments | seconds | MB put | objects | bytes / first | time / first |\n|---|---|---|---|---|---|---|---|\n")
	for _, s := range r.Series {
		fmt.Fprintf(b, "| %d | %d | %d | %.3f | %.2f | %d | %.2f%% | %.2f%% |\n", s.Index, s.Points, s.Segments, s.Seconds,
			float64(s.BytesPut)/1e6, s.ObjectsPut, 100*s.ShareBytes, 100*s.ShareTime)
	}
	fmt.Fprintf(b, "\n| restore | restore from S3 s | GetObject of the same %.1f MB s | ratio | GetObject + SHA-256 of each chunk s | ratio | first query ms | load |\n|---|---|---|---|---|---|---|---|\n", float64(r.RestoreBytes)/1e6)
	var rs, ds, rr, dv, rv, fq []float64
	for i, x := range r.Restores {
		fmt.Fprintf(b, "| %d | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %s |\n", i+1, x.RestoreS, x.DownloadS, x.Ratio, x.DownloadVerifyS, x.RatioVerify, x.FirstQueryMS, x.Load)
		rs, ds, rr, fq = append(rs, x.RestoreS), append(ds, x.DownloadS), append(rr, x.Ratio), append(fq, x.FirstQueryMS)
		dv, rv = append(dv, x.DownloadVerifyS), append(rv, x.RatioVerify)
	}
	if len(r.Restores) > 0 {
		fmt.Fprintf(b, "| median | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | |\n", Median(rs), Median(ds), Median(rr), Median(dv), Median(rv), Median(fq))
	}
}

// PlotS3Series draws the bytes uploaded and the time of each snapshot of
// the churn series (snapshot 0 is the first, full one; log y axes).
func PlotS3Series(dir, name string, pts []S3SeriesPoint) ([]string, error) {
	if len(pts) == 0 {
		return nil, fmt.Errorf("%w: no series to plot", ErrUsage)
	}
	mb, secs := Series{Label: "MB uploaded"}, Series{Label: "seconds"}
	for _, p := range pts {
		mb.X, mb.Y = append(mb.X, float64(p.Index)), append(mb.Y, float64(p.BytesPut)/1e6)
		secs.X, secs.Y = append(secs.X, float64(p.Index)), append(secs.Y, p.Seconds)
	}
	var paths []string
	for _, s := range []struct {
		s     Series
		title string
		file  string
	}{{mb, "MB uploaded per S3 snapshot (0: first; then +1% sealed points each)", name + "-bytes"},
		{secs, "Time per S3 snapshot (0: first; then +1% sealed points each)", name + "-time"}} {
		p := sizePlot(s.title, s.s.Label)
		p.X.Label.Text = "snapshot"
		p.X.Scale, p.X.Tick.Marker = plot.LinearScale{}, plot.DefaultTicks{}
		p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, logTicks{}
		p.Legend.Top, p.Legend.Left = true, false
		if err := addSeries(p, []Series{positive(s.s)}); err != nil {
			return paths, err
		}
		p.Legend = plot.NewLegend() // one curve: the axis names it
		if p.Y.Min > 0 {            // down to a power of ten, so that one is labelled
			p.Y.Min = 0.99 * math.Pow(10, math.Floor(math.Log10(p.Y.Min)))
		}
		more, err := savePNG(p, dir, s.file)
		paths = append(paths, more...)
		if err != nil {
			return paths, err
		}
	}
	return paths, nil
}

func writeS3Plots(r *S3Result, dir string) ([]string, error) {
	if r == nil || len(r.Series) == 0 {
		return nil, nil
	}
	return PlotS3Series(dir, "snapshot-s3-series", r.Series)
}

// savePNG writes p as dir/name.png only (the series plots are committed).
func savePNG(p *plot.Plot, dir, name string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("save plot: %w", err)
	}
	path := filepath.Join(dir, name+".png")
	if err := p.Save(16*vg.Centimeter, 10*vg.Centimeter, path); err != nil {
		return nil, fmt.Errorf("save plot %s: %w", path, err)
	}
	return []string{path}, nil
}
