package bench

import (
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Hooks are what cmd/cairn plugs into the bench command; the zero value
// runs the HTTP benchmarks only.
type Hooks struct {
	// InProcess builds the engine's in-process search for `search
	// --inprocess`. WIRING: cmd/cairn sets it; nil makes --inprocess fail
	// with ErrNoInProcess.
	InProcess InProcessBuilder
	// CairnBin is the default of `snapshot -cairn-bin`: the cairn binary
	// that `cairn bench snapshot` starts to time restores at start-up.
	// WIRING: cmd/cairn sets it to its own executable; "" skips them.
	CairnBin string
	// S3Snapshot runs `snapshot -s3`. WIRING: cmd/cairn sets it to
	// bench/s3snap.Run; nil makes -s3 fail with ErrNoS3Runner.
	S3Snapshot S3Runner
}

const usage = `usage: cairn bench <command> [flags]

commands:
  gen       generate a clustered data set (TEXMEX files + ground truth)
  search    recall@k, QPS and latency percentiles for a list of ef values
  ingest    points/s for batch sizes and wait modes, time until indexed
  snapshot  write stall, snapshot create/download/upload-recover/restore-at-start-up times, tar reference

'cairn bench <command> -h' lists a command's flags.
`

// Main runs `cairn bench` with args (the words after "bench") and no hooks.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return MainWithHooks(ctx, args, stdout, stderr, Hooks{})
}

// MainWithHooks runs `cairn bench` with args: the subcommand gen, search,
// ingest or snapshot and its flags. Tables go to stdout, progress to
// stderr, and with -out the JSON report and the plots to that folder.
func MainWithHooks(ctx context.Context, args []string, stdout, stderr io.Writer, h Hooks) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("%w: no command", ErrUsage)
	}
	run := map[string]func(context.Context, []string, *runEnv) error{
		"gen": runGen, "search": runSearch, "ingest": runIngest, "snapshot": runSnapshotCmd,
	}[args[0]]
	if run == nil {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("%w: unknown command %q", ErrUsage, args[0])
	}
	env := &runEnv{stdout: stdout, stderr: stderr, hooks: h, tty: IsTerminal(stderr),
		report: &Report{Tool: "cairn bench", Command: "cairn bench " + strings.Join(args, " "), Started: time.Now().UTC()}}
	err := run(ctx, args[1:], env)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return err
}

// runEnv carries what every subcommand shares.
type runEnv struct {
	stdout, stderr io.Writer
	hooks          Hooks
	tty            bool
	report         *Report
	out            string // -out folder, "" for none
}

// flags are the flags several subcommands share.
type flags struct {
	*flag.FlagSet
	url, apiKey, collection, out string
	timeout                      time.Duration
	m, efc, batch, clients       int
}

func newFlags(name string, env *runEnv, server bool) *flags {
	f := &flags{FlagSet: flag.NewFlagSet("cairn bench "+name, flag.ContinueOnError)}
	f.SetOutput(env.stderr)
	f.StringVar(&f.out, "out", "", "folder for the JSON report and the plots (none if empty)")
	if server {
		f.StringVar(&f.url, "url", "http://localhost:6333", "base URL of a Qdrant-compatible server")
		f.StringVar(&f.apiKey, "api-key", os.Getenv("QDRANT_API_KEY"), "API key sent as the api-key header (default $QDRANT_API_KEY)")
		f.StringVar(&f.collection, "collection", "bench", "collection name (created and deleted by the run)")
		f.DurationVar(&f.timeout, "wait-timeout", 30*time.Minute, "longest wait for a collection to become green")
		f.IntVar(&f.m, "m", 16, "hnsw_config.m of created collections")
		f.IntVar(&f.efc, "ef-construct", 100, "hnsw_config.ef_construct of created collections")
		f.IntVar(&f.batch, "batch", 256, "points per upsert request while loading")
		f.IntVar(&f.clients, "upload-clients", 2, "upsert requests in flight while loading")
	}
	return f
}

// dataFlags select or generate a data set.
type dataFlags struct {
	dir, metric     string
	base, query, gt string
	gen             GenOptions
	k               int
}

func (d *dataFlags) register(f *flag.FlagSet, dirUsage string) {
	f.StringVar(&d.dir, "data", "", dirUsage)
	f.StringVar(&d.base, "base", "", "base vectors (.fvecs or .bvecs; default: found in -data, e.g. sift_base.fvecs)")
	f.StringVar(&d.query, "query", "", "query vectors (.fvecs or .bvecs; default: found beside the base)")
	f.StringVar(&d.gt, "gt", "", "supplied ground truth (.ivecs, nearest first; default: *_groundtruth.ivecs beside the base); used, after a spot check, when it holds at least -k neighbours")
	f.StringVar(&d.metric, "metric", "l2", "l2 or cosine")
	f.IntVar(&d.gen.N, "n", 100000, "base vectors to generate when the data folder holds none")
	f.IntVar(&d.gen.Dim, "dim", 128, "dimension of generated vectors")
	f.IntVar(&d.gen.Queries, "queries", 1000, "queries to generate")
	f.IntVar(&d.gen.Clusters, "clusters", 100, "gaussian clusters of generated data")
	f.Uint64Var(&d.gen.Seed, "seed", 42, "generator seed")
	f.IntVar(&d.k, "k", 10, "neighbours per query in the ground truth (and recall@k)")
}

// load generates the data set into d.dir when no base file is given or
// found there (see FindDataFiles), then loads it with its ground truth.
func (d *dataFlags) load(env *runEnv) (*Dataset, error) {
	if d.dir == "" && d.base == "" {
		return nil, fmt.Errorf("%w: -data or -base is required", ErrUsage)
	}
	m, err := ParseMetric(d.metric)
	if err != nil {
		return nil, err
	}
	given := DataFiles{Dir: d.dir, Base: d.base, Query: d.query, GroundTruth: d.gt}
	files, err := FindDataFiles(given)
	if errors.Is(err, errNoBase) && d.base == "" {
		d.gen.Metric = m
		Logf(env.stderr, "generating %d × %d (%s) into %s", d.gen.N, d.gen.Dim, m, d.dir)
		if err := generateDataset(d.dir, d.gen, d.k, env.stderr, env.tty); err != nil {
			return nil, err
		}
		files, err = FindDataFiles(given)
	}
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	ds, err := readDataFiles(files, m, d.k, env.stderr, env.tty)
	if err != nil {
		return nil, err
	}
	source := "computed"
	if ds.GTSupplied {
		source = "supplied " + ds.Files.GroundTruth + ", spot-checked"
	}
	Logf(env.stderr, "data %s: %d × %d, %d queries, ground truth (%s) ready in %.1fs", ds.Files.Base, ds.N(), ds.Dim, ds.NQ(), source, time.Since(t0).Seconds())
	return ds, nil
}

func parse(f *flags, args []string, env *runEnv) error {
	if err := f.Parse(args); err != nil {
		return err
	}
	if f.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", ErrUsage, f.Arg(0))
	}
	env.out = f.out
	return nil
}

func runGen(ctx context.Context, args []string, env *runEnv) error {
	f := newFlags("gen", env, false)
	var d dataFlags
	d.register(f.FlagSet, "output folder (created)")
	if err := parse(f, args, env); err != nil {
		return err
	}
	m, err := ParseMetric(d.metric)
	if err != nil {
		return err
	}
	if d.dir == "" {
		return fmt.Errorf("%w: -data is required", ErrUsage)
	}
	d.gen.Metric = m
	t0 := time.Now()
	if err := generateDataset(d.dir, d.gen, d.k, env.stderr, env.tty); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "%s: %d x %d (%s), %d queries, top-%d truth in %.1fs\n",
		d.dir, d.gen.N, d.gen.Dim, m, d.gen.Queries, d.k, time.Since(t0).Seconds())
	return nil
}

func runSearch(ctx context.Context, args []string, env *runEnv) error {
	f := newFlags("search", env, true)
	var d dataFlags
	d.register(f.FlagSet, "data set folder (base.fvecs, query.fvecs; generated there if absent)")
	efs := f.String("efs", "16,32,64,128,256", "comma-separated hnsw_ef values")
	clients := f.Int("clients", 4, "concurrent search clients (HTTP connections or gRPC connections)")
	transport := f.String("transport", "http", "searches over http, grpc (Qdrant's gRPC API, Points.Search) or both, interleaved; the collection is loaded over HTTP either way")
	grpcAddr := f.String("grpc-addr", "localhost:6334", "host:port of the server's gRPC API (-transport grpc or both)")
	grpcConns := f.Int("grpc-conns", 0, "gRPC connections the search clients share (0: one per client)")
	serverPID := f.Int("server-pid", 0, "the server's process id on this machine: report its CPU time per query (/proc/PID/stat utime+stime over each sample's timed queries; 0: not measured)")
	runs := f.Int("runs", 1, "passes over the queries per sample; the best QPS is the sample (ann-benchmarks' convention)")
	rounds := f.Int("rounds", 3, "interleaved rounds: each measures every mode at every ef once; tables give medians and min–max")
	refBin := f.String("hnswlib-bin", "", "compiled ../shared/bench/hnswlib_ref to run on the data once per round, between Cairn's measurements")
	thr := f.Int("indexing-threshold", 0, "optimizers_config.indexing_threshold in KB (0: a fifth of the data set's vectors, so every segment gets a graph)")
	flush := f.Int("flush-interval", 1, "optimizers_config.flush_interval_sec: Cairn seals the upload's last points this long after their first write (0: server default, 5 s)")
	segments := f.Int("segments", 2, "optimizers_config.default_segment_number (0: server default, the number of CPUs)")
	minIdx := f.Int("min-indexed", -1, "indexed_vectors_count to wait for before measuring (-1: every point; 0: do not wait for indexing)")
	reuse := f.Bool("reuse", false, "reuse the collection if it already holds every point")
	keep := f.Bool("keep", false, "keep the collection at the end")
	noHTTP := f.Bool("no-http", false, "skip the HTTP runs")
	inproc := f.Bool("inprocess", false, "also search in-process, one thread, one query at a time")
	ref := f.String("hnswlib", "", "reference figures to print and plot beside Cairn's (hnswlib_ref JSON or CSV ef,recall,qps)")
	if err := parse(f, args, env); err != nil {
		return err
	}
	efList, err := parseInts(*efs)
	if err != nil {
		return err
	}
	if *noHTTP && !*inproc {
		return fmt.Errorf("%w: -no-http without -inprocess measures nothing", ErrUsage)
	}
	if *transport != "http" && *transport != "grpc" && *transport != "both" {
		return fmt.Errorf("%w: -transport %q: want http, grpc or both", ErrUsage, *transport)
	}
	if *noHTTP && *transport != "http" {
		return fmt.Errorf("%w: -no-http skips the server, -transport %s needs it", ErrUsage, *transport)
	}
	if *serverPID < 0 || *grpcConns < 0 {
		return fmt.Errorf("%w: -server-pid %d, -grpc-conns %d", ErrUsage, *serverPID, *grpcConns)
	}
	if err := checkRounds(*rounds); err != nil {
		return err
	}
	if *inproc && env.hooks.InProcess == nil {
		return ErrNoInProcess
	}
	if *ref != "" {
		if env.report.Reference, err = LoadReference(*ref); err != nil {
			return err
		}
	}
	ds, err := d.load(env)
	if err != nil {
		return err
	}
	o := SearchOptions{URL: f.url, APIKey: f.apiKey, Collection: f.collection, K: d.k, Efs: efList,
		Clients: *clients, Runs: *runs, Rounds: *rounds, BatchSize: f.batch, UploadClients: f.clients, M: f.m, EfConstruct: f.efc,
		IndexingThreshold: *thr, FlushIntervalSec: *flush, Segments: *segments, MinIndexed: *minIdx, Reuse: *reuse, Keep: *keep, WaitTimeout: f.timeout, Log: env.stderr, TTY: env.tty}
	if *noHTTP {
		o.URL = ""
	}
	o.ServerPID = *serverPID
	if *transport != "http" {
		o.GRPCAddr, o.NoHTTPSearch, o.GRPCConns = *grpcAddr, *transport == "grpc", *grpcConns
	}
	if *refBin != "" {
		if err := hnswlibLayout(ds); err != nil {
			return err
		}
		o.Reference = HNSWLibRunner(*refBin, ds.Files.Dir, ds.Metric, f.m, f.efc)
	}
	if *inproc {
		t0 := time.Now()
		ip, closeFn, err := env.hooks.InProcess(ctx, ds.Base, ds.Dim, ds.Metric, f.m, f.efc)
		if err != nil {
			return fmt.Errorf("build in-process search: %w", err)
		}
		Logf(env.stderr, "in-process collection loaded and indexed in %.1fs", time.Since(t0).Seconds())
		defer closeFn()
		o.InProcess = ip
	}
	res, err := RunSearch(ctx, ds, o)
	env.report.Search = res
	if res != nil && res.ReferenceNote != "" {
		Logf(env.stderr, "warning: %s", res.ReferenceNote)
	}
	if err != nil {
		return err
	}
	return env.finish(ctx, "search")
}

func runIngest(ctx context.Context, args []string, env *runEnv) error {
	f := newFlags("ingest", env, true)
	var d dataFlags
	d.register(f.FlagSet, "data set folder (base.fvecs; generated there if absent)")
	batches := f.String("batches", "64,256,1024", "comma-separated batch sizes")
	waits := f.String("waits", "false,true", "comma-separated wait modes")
	thr := f.Int("indexing-threshold", 0, "optimizers_config.indexing_threshold in KB (0: a fifth of the data set's vectors)")
	flush := f.Int("flush-interval", 1, "optimizers_config.flush_interval_sec: Cairn seals the upload's last points this long after their first write (0: server default, 5 s)")
	segments := f.Int("segments", 2, "optimizers_config.default_segment_number (0: server default, the number of CPUs)")
	minIdx := f.Int("min-indexed", -1, "indexed_vectors_count that counts as fully indexed (-1: every point)")
	rounds := f.Int("rounds", 1, "interleaved rounds: each runs every batch size and wait mode once; tables give medians and min–max")
	if err := parse(f, args, env); err != nil {
		return err
	}
	bs, err := parseInts(*batches)
	if err != nil {
		return err
	}
	ws, err := parseBools(*waits)
	if err != nil {
		return err
	}
	if err := checkRounds(*rounds); err != nil {
		return err
	}
	ds, err := d.load(env)
	if err != nil {
		return err
	}
	res, err := RunIngest(ctx, ds, IngestOptions{URL: f.url, APIKey: f.apiKey, Collection: f.collection,
		BatchSizes: bs, Waits: ws, Clients: f.clients, M: f.m, EfConstruct: f.efc, IndexingThreshold: *thr,
		FlushIntervalSec: *flush, Segments: *segments, MinIndexed: *minIdx, Rounds: *rounds, WaitTimeout: f.timeout, Log: env.stderr, TTY: env.tty})
	env.report.Ingest = res
	if err != nil {
		return err
	}
	return env.finish(ctx, "ingest")
}

func runSnapshotCmd(ctx context.Context, args []string, env *runEnv) error {
	f := newFlags("snapshot", env, true)
	sizes := f.String("sizes", "10000,1000000", "comma-separated collection sizes (points)")
	dim := f.Int("dim", 128, "vector dimension")
	seed := f.Uint64("seed", 42, "generator seed")
	metric := f.String("metric", "l2", "l2 or cosine")
	storage := f.String("storage-path", "", "the server's storage folder, for the tar -cf/-xf reference (skipped if empty)")
	baseline := f.Duration("baseline", 2*time.Second, "how long the single-point writer runs before the snapshot")
	work := f.String("work-dir", "", "folder for downloads and tar files (a temporary one if empty)")
	rounds := f.Int("rounds", 1, "snapshots of each loaded collection (create, download, restore, tar alternating); tables give medians")
	index := f.Bool("index", true, "give each collection its HNSW graphs before the rounds (indexing threshold a fifth of its points) and wait until every vector is indexed")
	indexTimeout := f.Duration("index-timeout", 30*time.Minute, "longest wait for a collection to be fully indexed")
	segments := f.Int("segments", 2, "default_segment_number of the indexed collections (0: server default, the number of CPUs)")
	cairnBin := f.String("cairn-bin", env.hooks.CairnBin, "cairn binary started as serve --snapshot FILE:NAME on each downloaded snapshot to time the restore at start-up (empty: skipped)")
	s3, s3o := s3Flags(f.FlagSet)
	if err := parse(f, args, env); err != nil {
		return err
	}
	if *s3 {
		s3o.WorkDir, s3o.Rounds, s3o.Log = *work, *rounds, env.stderr
		return runS3SnapshotCmd(ctx, f, *s3o, env)
	}
	sz, err := parseInts(*sizes)
	if err != nil {
		return err
	}
	m, err := ParseMetric(*metric)
	if err != nil {
		return err
	}
	if err := checkRounds(*rounds); err != nil {
		return err
	}
	res, err := RunSnapshot(ctx, SnapshotOptions{URL: f.url, APIKey: f.apiKey, Collection: f.collection,
		Sizes: sz, Dim: *dim, Seed: *seed, Metric: m, BatchSize: f.batch, Clients: f.clients, M: f.m,
		EfConstruct: f.efc, StoragePath: *storage, Baseline: *baseline, WorkDir: *work, Rounds: *rounds,
		WaitTimeout: f.timeout, Index: *index, IndexTimeout: *indexTimeout, Segments: *segments, CairnBin: *cairnBin,
		Log: env.stderr, TTY: env.tty})
	env.report.Snapshot = res
	if err != nil {
		return err
	}
	return env.finish(ctx, "snapshot")
}

// finish completes the report: machine details, plots and JSON under -out,
// and the Markdown tables on stdout.
func (env *runEnv) finish(ctx context.Context, name string) error {
	r := env.report
	r.Machine = DescribeMachine(ctx)
	r.Seconds = time.Since(r.Started).Seconds()
	if env.out != "" {
		plots, err := writePlots(r, env.out)
		if err != nil {
			return err
		}
		r.Plots = plots
		path := filepath.Join(env.out, name+".json")
		if err := r.WriteJSON(path); err != nil {
			return err
		}
		Logf(env.stderr, "wrote %s", path)
	}
	return r.WriteMarkdown(env.stdout)
}

func writePlots(r *Report, dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("results folder: %w", err)
	}
	var all []string
	if s := r.Search; s != nil && len(s.Rows) > 0 {
		series := []Series{RecallSeries("Cairn over HTTP", s.Rows, ModeHTTP), RecallSeries("Cairn over gRPC", s.Rows, ModeGRPC),
			RecallSeries("Cairn in-process", s.Rows, ModeInProcess)}
		// hnswlib_ref's recall is always recall@10: say so when k differs.
		refSuffix := ""
		if s.K != HNSWLibRefK {
			refSuffix = fmt.Sprintf(" (recall@%d)", HNSWLibRefK)
		}
		if s.ReferenceLib != "" {
			series = append(series, RecallSeries(s.ReferenceLib+", same run"+refSuffix, s.Rows, ModeHNSWLib))
		}
		if r.Reference != nil {
			ref := ReferenceSeries(r.Reference)
			ref.Label += refSuffix
			series = append(series, ref)
		}
		title := fmt.Sprintf("%d × %d (%s): QPS against recall@%d", s.Data.N, s.Data.Dim, s.Data.Metric, s.K)
		if s.Rounds > 1 {
			title += fmt.Sprintf(", medians of %d rounds (bars: min–max)", s.Rounds)
		}
		p, err := PlotRecallQPS(dir, "recall-qps", title, s.K, series)
		if err != nil {
			return nil, err
		}
		all = append(all, p...)
	}
	p, err := writeS3Plots(r.S3Snapshot, dir)
	if err != nil {
		return nil, err
	}
	all = append(all, p...)
	if s := r.Snapshot; s != nil && len(s.Rows) > 0 {
		p, err := PlotSnapshot(dir, "snapshot", s.Rows)
		if err != nil {
			return nil, err
		}
		all = append(all, p...)
	}
	return all, nil
}

// hnswlibLayout checks that hnswlib_ref, which reads DIR/base.fvecs,
// DIR/query.fvecs and DIR/groundtruth.ivecs and takes the first
// HNSWLibRefK ids of every ground truth row, would read ds: the same files,
// and a ground truth with at least HNSWLibRefK neighbours per query (with
// fewer, it would read across rows and past the file's end).
func hnswlibLayout(ds *Dataset) error {
	dir := ds.Files.Dir
	base, query, gt := filepath.Join(dir, BaseFile), filepath.Join(dir, QueryFile), filepath.Join(dir, GroundTruthFile)
	if filepath.Clean(ds.Files.Base) != base || filepath.Clean(ds.Files.Query) != query {
		return fmt.Errorf("%w: -hnswlib-bin reads %s, %s and %s; this data set is %s and %s",
			ErrUsage, base, query, GroundTruthFile, ds.Files.Base, ds.Files.Query)
	}
	k, err := ivecsRowDim(gt)
	if err != nil {
		return fmt.Errorf("%w: -hnswlib-bin reads its ground truth from %s: %v", ErrUsage, gt, err)
	}
	if k < HNSWLibRefK {
		return fmt.Errorf("%w: -hnswlib-bin reads %d neighbours per query from %s, which holds %d (run with -k %d or more to compute them)",
			ErrUsage, HNSWLibRefK, gt, k, HNSWLibRefK)
	}
	return nil
}

// ivecsRowDim returns the dimension the first row of the .ivecs file at
// path declares (its first little-endian int32).
func ivecsRowDim(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var hdr [4]byte
	if _, err := io.ReadFull(f, hdr[:]); err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	return int(int32(binary.LittleEndian.Uint32(hdr[:]))), nil
}

// checkRounds refuses a -rounds below 1.
func checkRounds(rounds int) error {
	if rounds < 1 {
		return fmt.Errorf("%w: -rounds %d", ErrUsage, rounds)
	}
	return nil
}

func parseInts(s string) ([]int, error) {
	var out []int
	for _, w := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(w))
		if err != nil || v < 1 {
			return nil, fmt.Errorf("%w: %q is not a list of positive integers", ErrUsage, s)
		}
		out = append(out, v)
	}
	return out, nil
}

func parseBools(s string) ([]bool, error) {
	var out []bool
	for _, w := range strings.Split(s, ",") {
		v, err := strconv.ParseBool(strings.TrimSpace(w))
		if err != nil {
			return nil, fmt.Errorf("%w: %q is not a list of true/false", ErrUsage, s)
		}
		out = append(out, v)
	}
	return out, nil
}
