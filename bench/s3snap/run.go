package s3snap

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/cairn-db/cairn/bench"
	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/objstore"
	"github.com/cairn-db/cairn/snapshot"
	"github.com/cairn-db/cairn/snapshot/stallprobe"
)

// restoreWorkers is the parallelism of the reference download: that of a
// restore from a Remote store (snapshot's remoteWorkers).
const restoreWorkers = 4

// churnFirstID is the first id of the points the series adds.
const churnFirstID = 10000000

// runner is the state of one Run.
type runner struct {
	o          bench.S3Options
	work       string
	cfg        objstore.S3Config // defaults filled in
	client     *minio.Client     // the reference uploads and downloads
	prefix     string            // of every key the run writes
	st         *engine.Storage
	c          *engine.Collection
	storageDir string
	dim        int
	vec        string
	archive    string
	lastPrefix string        // of the last manager's store
	lastName   string        // of the last snapshot created
	window     time.Duration // the last create's time: the next round's base window
	res        *bench.S3Result
	rng        *rand.Rand
}

// Run is bench.S3Runner: see bench.S3Options and the package comment.
func Run(ctx context.Context, o bench.S3Options) (res *bench.S3Result, err error) {
	r := &runner{o: o, work: o.WorkDir, window: 500 * time.Millisecond, rng: rand.New(rand.NewPCG(3, 7)),
		prefix: fmt.Sprintf("cairn-bench-s3-%d", time.Now().Unix())}
	if r.work == "" {
		d, err := os.MkdirTemp("", "cairn-bench-s3-")
		if err != nil {
			return nil, fmt.Errorf("s3 snapshot bench: %w", err)
		}
		defer os.RemoveAll(d)
		r.work = d
	}
	cfg := objstore.S3Config{Endpoint: o.Endpoint, Region: o.Region, Bucket: o.Bucket, AccessKey: o.AccessKey,
		SecretKey: o.SecretKey, PartSize: o.PartSize, Threads: o.Threads}
	server := "S3 server"
	if o.VersityGW != "" {
		dir := o.GatewayDir
		if dir == "" {
			dir = filepath.Join(r.work, "s3")
		}
		gw, err := startGateway(ctx, o.VersityGW, dir)
		if err != nil {
			return nil, fmt.Errorf("s3 snapshot bench: %w", err)
		}
		defer gw.stop()
		cfg = objstore.S3Config{Endpoint: gw.endpoint, Bucket: gwBucket, AccessKey: gwAccess, SecretKey: gwSecret,
			PartSize: o.PartSize, Threads: o.Threads}
		server = "versitygw (posix, loopback) serving " + dir
	}
	if err := r.open(ctx, cfg); err != nil {
		return nil, fmt.Errorf("s3 snapshot bench: %w", err)
	}
	defer func() { err = errors.Join(err, r.st.Close()) }()
	r.res.Server = server
	if err := r.measure(ctx); err != nil {
		return r.res, fmt.Errorf("s3 snapshot bench: %w", err)
	}
	return r.res, nil
}

// open checks the store, makes the clients, copies and opens the storage.
func (r *runner) open(ctx context.Context, cfg objstore.S3Config) error {
	s, err := objstore.NewS3(cfg)
	if err != nil {
		return err
	}
	if err := s.Check(ctx); err != nil {
		return err
	}
	r.cfg = s.Config()
	host := strings.TrimPrefix(strings.TrimPrefix(s.Endpoint(), "http://"), "https://")
	r.client, err = minio.New(host, &minio.Options{Creds: credentials.NewStaticV4(r.cfg.AccessKey, r.cfg.SecretKey, ""),
		Secure: strings.HasPrefix(s.Endpoint(), "https://"), Region: r.cfg.Region, BucketLookup: minio.BucketLookupPath,
		MaxRetries: r.cfg.Attempts})
	if err != nil {
		return fmt.Errorf("reference client: %w", err)
	}
	r.storageDir = filepath.Join(r.work, "storage")
	bench.Logf(r.o.Log, "copying %s (hard links) to %s", r.o.Storage, r.storageDir)
	if err := stallprobe.CopyStorage(r.o.Storage, r.storageDir); err != nil {
		return fmt.Errorf("copy storage: %w", err)
	}
	r.st, err = engine.Open(engine.Options{Dir: r.storageDir, Logger: quiet(), DisableBackground: true})
	if err != nil {
		return err
	}
	if r.c, err = r.st.Collection(r.o.Collection); err != nil {
		return errors.Join(err, r.st.Close())
	}
	for name, v := range r.c.Config().Params.Vectors {
		r.vec, r.dim = name, v.Size
	}
	info := r.c.Info()
	r.res = &bench.S3Result{Endpoint: s.Endpoint(), Points: info.PointsCount, Dim: r.dim,
		Indexed: info.IndexedVectorsCount > 0, PartSize: r.cfg.PartSize, Threads: r.cfg.Threads}
	return nil
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// measure runs the three parts: first snapshots, series, restores.
func (r *runner) measure(ctx context.Context) error {
	local := &snapshot.Manager{Storage: r.st, SnapshotsPath: filepath.Join(r.work, "local"),
		TempPath: filepath.Join(r.storageDir, "tmp"), Logger: quiet(), NodeID: 42}
	d, err := local.CreateCollection(ctx, r.o.Collection)
	if err != nil {
		return fmt.Errorf("local archive: %w", err)
	}
	dir, err := snapshot.CollectionDir(local.SnapshotsPath, r.o.Collection)
	if err != nil {
		return err
	}
	r.archive, r.res.ArchiveBytes = filepath.Join(dir, d.Name), d.Size
	bench.Logf(r.o.Log, "local archive of %d points: %.1f MB", r.res.Points, float64(d.Size)/1e6)
	w := startWriter(r.c, r.dim) // warm the writer up
	w.WaitCalls(ctx, 300)
	if err := w.Finish(); err != nil {
		return err
	}
	var m *snapshot.Manager
	var cs *counting
	for i := range r.o.Rounds {
		last := i == r.o.Rounds-1
		if m, cs, err = r.firstRound(ctx, i, last); err != nil {
			return fmt.Errorf("round %d: %w", i+1, err)
		}
	}
	if err := os.Remove(r.archive); err != nil {
		return fmt.Errorf("remove local archive: %w", err)
	}
	defer func() { _ = emptyStore(context.WithoutCancel(ctx), cs.Store) }()
	name, err := r.series(ctx, m, cs)
	if err != nil {
		return fmt.Errorf("series: %w", err)
	}
	return r.restores(ctx, m, cs, path.Join(snapshot.RemoteSnapshots, r.o.Collection, name))
}

// manager returns a snapshot manager over the storage whose Remote is an
// S3 store of its own (empty) prefix, and a fresh hash cache.
func (r *runner) manager(sub string) (*snapshot.Manager, *counting, error) {
	cfg := r.cfg
	cfg.Prefix = r.prefix + "-" + sub
	s, err := objstore.NewS3(cfg)
	if err != nil {
		return nil, nil, err
	}
	cs := &counting{Store: s}
	return &snapshot.Manager{Storage: r.st, SnapshotsPath: filepath.Join(r.work, "snapshots-"+sub),
		TempPath: filepath.Join(r.storageDir, "tmp"), Logger: quiet(), NodeID: 42, Remote: cs}, cs, nil
}

// putArchive uploads the local archive with PutObject, the same part size
// and threads as the store, times it and deletes the object.
func (r *runner) putArchive(ctx context.Context, i int) (time.Duration, error) {
	f, err := os.Open(r.archive)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	key := fmt.Sprintf("%s-ref/archive-%d.snapshot", r.prefix, i)
	t0 := time.Now()
	_, err = r.client.PutObject(ctx, r.cfg.Bucket, key, f, r.res.ArchiveBytes, minio.PutObjectOptions{
		ContentType: "application/octet-stream", PartSize: uint64(r.cfg.PartSize), NumThreads: uint(r.cfg.Threads)})
	took := time.Since(t0)
	if err != nil {
		return 0, fmt.Errorf("put archive: %w", err)
	}
	if err := r.client.RemoveObject(ctx, r.cfg.Bucket, key, minio.RemoveObjectOptions{}); err != nil {
		return 0, fmt.Errorf("remove archive object: %w", err)
	}
	return took, nil
}
