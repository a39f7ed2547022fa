package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// InProcess is a search answered inside this process, without HTTP: the
// ids (base rows) of the k nearest points to q searched with beam width ef.
// Search is called from one goroutine, one query at a time (the
// ann-benchmarks convention).
//
// WIRING: bench does not import the engine. cmd/cairn supplies an
// InProcessBuilder through Hooks that loads the data set into an engine
// collection and returns its search; until then `cairn bench search
// --inprocess` fails with ErrNoInProcess and no in-process figure is reported.
type InProcess interface {
	Search(q []float32, k, ef int) []uint64
}

// InProcessBuilder builds an in-process search over base (rows of dim
// floats, point id = row) with HNSW parameters M and efConstruct, returning
// it and a function that releases it.
type InProcessBuilder func(ctx context.Context, base []float32, dim int, m Metric, M, efConstruct int) (InProcess, func() error, error)

// ErrNoInProcess reports an in-process run asked of a build that has no
// InProcessBuilder wired in.
var ErrNoInProcess = errors.New("in-process search is not wired into this build")

// SearchOptions configures RunSearch.
type SearchOptions struct {
	URL, APIKey, Collection string // URL "" skips the HTTP runs
	K                       int    // neighbours asked and checked (recall@K)
	Efs                     []int
	Clients                 int // concurrent HTTP search clients
	// Rounds is how many times every (mode, ef) is measured, interleaved:
	// each round measures every mode at every ef once (0 or 1: one round).
	// Rows give the median over the rounds with the range and each sample.
	Rounds int
	// Runs is how many passes over the queries one sample takes; the pass
	// with the best QPS is the sample, as ann-benchmarks and hnswlib_ref
	// do (0 or 1: one pass).
	Runs           int
	BatchSize      int // points per upsert while loading
	UploadClients  int
	M, EfConstruct int
	// IndexingThreshold is optimizers_config.indexing_threshold in KB (0 or
	// less: a fifth of the data set's vectors, so that every segment gets a graph).
	IndexingThreshold int
	// FlushIntervalSec and Segments are optimizers_config's
	// flush_interval_sec and default_segment_number (0: server default).
	FlushIntervalSec, Segments int
	// MinIndexed is the indexed_vectors_count the collection must reach
	// before any measurement (-1: every point; 0: no wait for indexing), so
	// that no seal, merge or graph build runs during a round.
	MinIndexed  int
	Reuse       bool          // keep an existing collection holding every point
	Keep        bool          // leave the collection in place at the end
	WaitTimeout time.Duration // for the collection to become green and indexed
	InProcess   InProcess     // nil skips the in-process runs
	// GRPCAddr is the server's gRPC API ("host:port"): searches measured
	// there too, interleaved with the HTTP ones ("" skips them). The
	// collection is still loaded over URL.
	GRPCAddr string
	// GRPCConns is the number of gRPC connections the clients share,
	// round robin (0: one per client, as each HTTP client has its own).
	GRPCConns int
	// NoHTTPSearch loads the collection over URL but measures no HTTP
	// search (`-transport grpc`).
	NoHTTPSearch bool
	// ServerPID, when above 0, is the server's process id on this machine:
	// each HTTP and gRPC sample reads its CPU time (/proc/PID/stat utime +
	// stime) before and after the timed queries and reports server CPU
	// per query.
	ServerPID int
	// Reference, when set, is run once per round after Cairn's
	// measurements of that round (hnswlib_ref, see HNSWLibRunner); its
	// figures become rows of mode ModeHNSWLib.
	Reference ReferenceRunner
	Log       io.Writer
	TTY       bool
}

// Sample is one round's measurement of one mode and ef.
type Sample struct {
	Round     int      `json:"round"`
	QPS       float64  `json:"qps"`
	Recall    float64  `json:"recall"`
	RecallIDs float64  `json:"recall_ids"`
	Latency   *Latency `json:"latency,omitempty"`
	// CPUPerQueryUS is the server's CPU microseconds per query and
	// CPUSeconds its CPU time over the sample's timed queries (0: not measured).
	CPUPerQueryUS float64 `json:"server_cpu_us_per_query,omitempty"`
	CPUSeconds    float64 `json:"server_cpu_s,omitempty"`
}

// SearchRow is one ef's figures in one mode ("http", "inprocess" or
// "hnswlib"): medians over the rounds' samples, with the QPS range.
type SearchRow struct {
	Mode      string  `json:"mode"`
	Ef        int     `json:"ef"`
	Clients   int     `json:"clients"`
	Runs      int     `json:"runs"`       // passes per sample, the best kept
	Rounds    int     `json:"rounds"`     // samples, one per round
	Recall    float64 `json:"recall"`     // ann-benchmarks recall@k (median)
	RecallIDs float64 `json:"recall_ids"` // id-intersection recall@k, as hnswlib_ref prints (median)
	QPS       float64 `json:"qps"`        // median over the rounds
	QPSMin    float64 `json:"qps_min"`
	QPSMax    float64 `json:"qps_max"`
	Latency   Latency `json:"latency"` // field-wise medians of the rounds' summaries
	// CPUPerQueryUS is the server's CPU time (user + system) per timed
	// query, in microseconds: the median over the rounds, with CPUMinUS
	// and CPUMaxUS (0: not measured, see SearchOptions.ServerPID).
	CPUPerQueryUS float64  `json:"server_cpu_us_per_query,omitempty"`
	CPUMinUS      float64  `json:"server_cpu_us_min,omitempty"`
	CPUMaxUS      float64  `json:"server_cpu_us_max,omitempty"`
	Samples       []Sample `json:"samples,omitempty"`
}

// summarize sets the row's figures from its samples.
func (r *SearchRow) summarize(samples []Sample) {
	qps := make([]float64, len(samples))
	rec := make([]float64, len(samples))
	ids := make([]float64, len(samples))
	var lats []Latency
	var cpu []float64
	for i, s := range samples {
		qps[i], rec[i], ids[i] = s.QPS, s.Recall, s.RecallIDs
		if s.Latency != nil {
			lats = append(lats, *s.Latency)
		}
		if s.CPUPerQueryUS > 0 {
			cpu = append(cpu, s.CPUPerQueryUS)
		}
	}
	c := SpreadOf(cpu)
	r.CPUPerQueryUS, r.CPUMinUS, r.CPUMaxUS = c.Median, c.Min, c.Max
	q := SpreadOf(qps)
	r.Rounds, r.QPS, r.QPSMin, r.QPSMax = len(samples), q.Median, q.Min, q.Max
	r.Recall, r.RecallIDs = Median(rec), Median(ids)
	r.Latency = medianLatency(lats)
	r.Samples = samples
}

// SearchResult is the outcome of RunSearch.
type SearchResult struct {
	Data          DataInfo    `json:"data"`
	K             int         `json:"k"`
	Rounds        int         `json:"rounds"`
	URL           string      `json:"url,omitempty"`
	UploadSeconds float64     `json:"upload_s,omitempty"`
	UploadPPS     float64     `json:"upload_points_per_s,omitempty"`
	ReadySeconds  float64     `json:"ready_s,omitempty"` // after the upload, until green and indexed
	Reused        bool        `json:"reused,omitempty"`
	Rows          []SearchRow `json:"rows"`
	// ReferenceLib names the reference measured in the run (hnswlib_ref's
	// "lib": ReferenceRuns[0].Lib, kept for the results' JSON),
	// ReferenceBuild its build seconds per thread count over the rounds,
	// and ReferenceRuns every round's table as it printed it.
	ReferenceLib   string            `json:"reference_lib,omitempty"`
	ReferenceBuild map[string]Spread `json:"reference_build_s,omitempty"`
	ReferenceRuns  []*HNSWTable      `json:"reference_runs,omitempty"`
	// Ratios compare Cairn in-process with the reference, and gRPC with
	// HTTP, ef by ef.
	Ratios []RatioRow `json:"ratios,omitempty"`
	// CPURatios compare the server's CPU per query over gRPC with HTTP's,
	// ef by ef, round by round (measured with SearchOptions.ServerPID).
	CPURatios []CPURatioRow `json:"server_cpu_ratios,omitempty"`
	// ReferenceNote says where the reference's figures differ from the
	// run's request: hnswlib_ref's recall is always recall@10, at its own
	// ef values.
	ReferenceNote string `json:"reference_note,omitempty"`
}

// RatioRow is the QPS of one mode over another's at one ef, taken round by
// round (both measured in the same round, minutes apart at most), so the
// machine's slow load changes cancel; Ratio is the median of those ratios.
type RatioRow struct {
	Ef    int     `json:"ef"`
	Of    string  `json:"of"`
	Over  string  `json:"over"`
	Ratio Spread  `json:"qps_ratio"`
	Rec   float64 `json:"recall_of"`
	RecTo float64 `json:"recall_over"`
}

// Ratios returns, for every ef measured in both modes, the spread of the
// per-round QPS ratios of mode of over mode over.
func Ratios(rows []SearchRow, of, over string) []RatioRow {
	find := func(mode string, ef int) *SearchRow {
		for i := range rows {
			if rows[i].Mode == mode && rows[i].Ef == ef {
				return &rows[i]
			}
		}
		return nil
	}
	var out []RatioRow
	for _, a := range rows {
		if a.Mode != of {
			continue
		}
		b := find(over, a.Ef)
		if b == nil {
			continue
		}
		byRound := map[int]float64{}
		for _, s := range b.Samples {
			byRound[s.Round] = s.QPS
		}
		var rs []float64
		for _, s := range a.Samples {
			if q, ok := byRound[s.Round]; ok && q > 0 {
				rs = append(rs, s.QPS/q)
			}
		}
		if len(rs) > 0 {
			out = append(out, RatioRow{Ef: a.Ef, Of: of, Over: over, Ratio: SpreadOf(rs), Rec: a.Recall, RecTo: b.Recall})
		}
	}
	return out
}

// CPURatioRow is the server's CPU per query in one mode over another's
// at one ef, taken round by round as RatioRow's QPS ratios are.
type CPURatioRow struct {
	Ef    int    `json:"ef"`
	Of    string `json:"of"`
	Over  string `json:"over"`
	Ratio Spread `json:"cpu_per_query_ratio"`
}

// CPURatios returns, for every ef whose samples in both modes carry the
// server's CPU, the spread of the per-round ratios of mode of's CPU per
// query over mode over's.
func CPURatios(rows []SearchRow, of, over string) []CPURatioRow {
	var out []CPURatioRow
	for _, a := range rows {
		if a.Mode != of {
			continue
		}
		for _, b := range rows {
			if b.Mode != over || b.Ef != a.Ef {
				continue
			}
			byRound := map[int]float64{}
			for _, s := range b.Samples {
				byRound[s.Round] = s.CPUPerQueryUS
			}
			var rs []float64
			for _, s := range a.Samples {
				if c, ok := byRound[s.Round]; ok && c > 0 && s.CPUPerQueryUS > 0 {
					rs = append(rs, s.CPUPerQueryUS/c)
				}
			}
			if len(rs) > 0 {
				out = append(out, CPURatioRow{Ef: a.Ef, Of: of, Over: over, Ratio: SpreadOf(rs)})
			}
		}
	}
	return out
}

// DataInfo describes the data set a run used. Dir repeats Files.Dir: the
// results' JSON has both.
type DataInfo struct {
	Dir     string    `json:"dir"`
	Files   DataFiles `json:"files"`
	N       int       `json:"n"`
	Dim     int       `json:"dim"`
	Queries int       `json:"queries"`
	Metric  Metric    `json:"metric"`
	// GroundTruth is "supplied" (Files.GroundTruth, spot-checked) or
	// "computed" (exact, by the SIMD kernels).
	GroundTruth string `json:"ground_truth"`
}

func (d *Dataset) info() DataInfo {
	gt := "computed"
	if d.GTSupplied {
		gt = "supplied"
	}
	return DataInfo{Dir: d.Files.Dir, Files: d.Files, N: d.N(), Dim: d.Dim, Queries: d.NQ(), Metric: d.Metric, GroundTruth: gt}
}

// Search modes.
const (
	ModeHTTP      = "http"
	ModeInProcess = "inprocess"
)

// RunSearch loads ds into a collection over HTTP (unless reused) and waits
// for it to be green, then measures o.Rounds rounds (see Schedule): in each,
// recall@K, QPS and latency percentiles at every ef with o.Clients
// concurrent HTTP clients (unless o.NoHTTPSearch), then the same over gRPC
// when o.GRPCAddr is set (with the server's CPU per query when
// o.ServerPID is), then in-process with one thread when
// o.InProcess is set, then the reference when o.Reference is set. Rows are
// the medians per mode and ef.
func RunSearch(ctx context.Context, ds *Dataset, o SearchOptions) (*SearchResult, error) {
	if o.K < 1 || o.K > ds.GDim {
		return nil, fmt.Errorf("%w: k=%d with ground truth of %d", ErrUsage, o.K, ds.GDim)
	}
	rounds := max(o.Rounds, 1)
	res := &SearchResult{Data: ds.info(), K: o.K, URL: o.URL, Rounds: rounds}
	var modes []string
	efs := map[string][]int{}
	var c *Client
	if o.URL != "" {
		c = NewClient(o.URL, o.APIKey)
		defer c.Close()
		if err := prepareCollection(ctx, c, ds, o, res); err != nil {
			return res, err
		}
		if !o.NoHTTPSearch {
			modes, efs[ModeHTTP] = append(modes, ModeHTTP), o.Efs
		}
	}
	var g *GRPCClient
	if o.GRPCAddr != "" {
		if c == nil {
			return res, fmt.Errorf("%w: the gRPC runs load the collection over HTTP: give -url", ErrUsage)
		}
		var err error
		conns := o.GRPCConns
		if conns <= 0 {
			conns = o.Clients
		}
		if g, err = NewGRPCClient(o.GRPCAddr, o.APIKey, conns); err != nil {
			return res, err
		}
		defer g.Close()
		modes, efs[ModeGRPC] = append(modes, ModeGRPC), o.Efs
	}
	if o.InProcess != nil {
		modes, efs[ModeInProcess] = append(modes, ModeInProcess), o.Efs
	}
	if o.Reference != nil {
		modes = append(modes, ModeHNSWLib)
	}
	samples := map[string]map[int][]Sample{ModeHTTP: {}, ModeGRPC: {}, ModeInProcess: {}}
	lastRound := -1
	for _, st := range Schedule(rounds, modes, efs) {
		if st.Round != lastRound && rounds > 1 && o.Log != nil {
			Logf(o.Log, "search round %d of %d", st.Round+1, rounds)
		}
		lastRound = st.Round
		var row SearchRow
		var err error
		switch st.Mode {
		case ModeHTTP:
			row, err = bestOf(o.Runs, func() (SearchRow, error) { return searchHTTP(ctx, c, ds, o, st.Ef) })
		case ModeGRPC:
			row, err = bestOf(o.Runs, func() (SearchRow, error) { return searchGRPC(ctx, g, ds, o, st.Ef) })
		case ModeInProcess:
			row, err = bestOf(o.Runs, func() (SearchRow, error) { return searchInProcess(ds, o, st.Ef), nil })
		case ModeHNSWLib:
			var t *HNSWTable
			if t, err = runReference(ctx, o, st.Round); err == nil {
				res.ReferenceRuns = append(res.ReferenceRuns, t)
			}
		}
		if err != nil {
			return res, err
		}
		if st.Mode != ModeHNSWLib {
			lat := row.Latency
			samples[st.Mode][st.Ef] = append(samples[st.Mode][st.Ef], Sample{Round: st.Round, QPS: row.QPS, Recall: row.Recall,
				RecallIDs: row.RecallIDs, Latency: &lat, CPUPerQueryUS: row.CPUPerQueryUS, CPUSeconds: row.CPUPerQueryUS * float64(ds.NQ()) / 1e6})
		}
	}
	for _, m := range modes {
		if m == ModeHNSWLib {
			continue
		}
		for _, ef := range efs[m] {
			row := SearchRow{Mode: m, Ef: ef, Clients: 1, Runs: max(o.Runs, 1)}
			if m == ModeHTTP || m == ModeGRPC {
				row.Clients = max(o.Clients, 1)
			}
			row.summarize(samples[m][ef])
			res.Rows = append(res.Rows, row)
		}
	}
	if g != nil && c != nil && !o.NoHTTPSearch {
		res.Ratios = append(res.Ratios, Ratios(res.Rows, ModeGRPC, ModeHTTP)...)
		res.CPURatios = CPURatios(res.Rows, ModeGRPC, ModeHTTP)
	}
	if len(res.ReferenceRuns) > 0 {
		res.Rows = append(res.Rows, referenceRows(res.ReferenceRuns)...)
		res.ReferenceLib = res.ReferenceRuns[0].Lib
		res.ReferenceBuild = referenceBuild(res.ReferenceRuns)
		res.Ratios = append(res.Ratios, Ratios(res.Rows, ModeInProcess, ModeHNSWLib)...)
		var refEfs []int
		for _, r := range res.Rows {
			if r.Mode == ModeHNSWLib {
				refEfs = append(refEfs, r.Ef)
			}
		}
		res.ReferenceNote = referenceNote(o.K, o.Efs, refEfs)
	}
	if c != nil && !o.Keep {
		if err := c.DeleteCollection(ctx, o.Collection); err != nil {
			return res, err
		}
	}
	return res, nil
}

// bestOf runs measure runs times (at least once) and keeps the row with the
// highest QPS.
func bestOf(runs int, measure func() (SearchRow, error)) (SearchRow, error) {
	runs = max(runs, 1)
	var best SearchRow
	for i := range runs {
		row, err := measure()
		if err != nil {
			return row, err
		}
		if i == 0 || row.QPS > best.QPS {
			best = row
		}
	}
	best.Runs = runs
	return best, nil
}

// prepareCollection makes o.Collection hold every point of ds, green and
// indexed (see SearchOptions.MinIndexed).
func prepareCollection(ctx context.Context, c *Client, ds *Dataset, o SearchOptions, res *SearchResult) error {
	n := ds.N()
	indexed := o.MinIndexed
	if indexed < 0 {
		indexed = n
	}
	if o.Reuse {
		if info, err := c.Info(ctx, o.Collection); err == nil && info.PointsCount == n {
			res.Reused = true
			return waitReady(ctx, c, o.Collection, n, indexed, o.WaitTimeout)
		}
	}
	if err := c.DeleteCollection(ctx, o.Collection); err != nil {
		return err
	}
	cfg := CollectionConfig{Dim: ds.Dim, Distance: ds.Metric.QdrantDistance(), M: o.M, EfConstruct: o.EfConstruct,
		IndexingThreshold: indexingThresholdOrFifth(o.IndexingThreshold, n, ds.Dim), FlushIntervalSec: o.FlushIntervalSec, DefaultSegmentNumber: o.Segments}
	if err := c.CreateCollection(ctx, o.Collection, cfg); err != nil {
		return err
	}
	p := NewProgress(o.Log, o.TTY, "upload", n)
	wall, err := upload(ctx, c, o.Collection, ds.Base, ds.Dim, o.BatchSize, o.UploadClients, false, p)
	p.Done()
	if err != nil {
		return err
	}
	res.UploadSeconds, res.UploadPPS = wall.Seconds(), QPS(n, wall)
	t0 := time.Now()
	if err := waitReady(ctx, c, o.Collection, n, indexed, o.WaitTimeout); err != nil {
		return err
	}
	res.ReadySeconds = time.Since(t0).Seconds()
	return nil
}

// waitReady waits (at most timeout, an hour if 0) until the collection is green with n
// points and at least indexed indexed vectors.
func waitReady(ctx context.Context, c *Client, name string, n, indexed int, timeout time.Duration) error {
	ctx, cancel, _ := withWaitTimeout(ctx, timeout)
	defer cancel()
	_, err := c.WaitReady(ctx, name, n, indexed, 100*time.Millisecond)
	return err
}

// searchHTTP runs every query once (after a warm-up of up to 100 queries)
// with o.Clients clients pulling queries from a shared counter.
func searchHTTP(ctx context.Context, c *Client, ds *Dataset, o SearchOptions, ef int) (SearchRow, error) {
	search := func(ctx context.Context, q []float32) ([]uint64, error) {
		hits, err := c.Search(ctx, o.Collection, q, o.K, ef)
		if err != nil {
			return nil, err
		}
		ids := make([]uint64, len(hits))
		for j, h := range hits {
			ids[j] = h.ID
		}
		return ids, nil
	}
	clients := make([]searchFunc, max(o.Clients, 1))
	for i := range clients {
		clients[i] = search
	}
	return runClients(ctx, ds, o, ef, ModeHTTP, fmt.Sprintf("search ef=%d", ef), search, clients)
}

// searchFunc answers one query with the ids of its hits, best first.
type searchFunc func(ctx context.Context, q []float32) ([]uint64, error)

// runClients runs every query of ds once, after a warm-up of up to 100
// queries on warm, with one goroutine per client pulling queries from a
// shared counter (the first error stops them all), and scores the run as
// mode, with the server's CPU when o.ServerPID is set.
func runClients(ctx context.Context, ds *Dataset, o SearchOptions, ef int, mode, label string, warm searchFunc, clients []searchFunc) (SearchRow, error) {
	nq := ds.NQ()
	for i := range min(100, nq) {
		if _, err := warm(ctx, ds.Query(i)); err != nil {
			return SearchRow{}, err
		}
	}
	got := make([][]uint64, nq)
	lat := make([]time.Duration, nq)
	var next atomic.Int64
	var wg sync.WaitGroup
	var firstErr error
	var errOnce sync.Once
	p := NewProgress(o.Log, o.TTY, label, nq)
	cpu := startCPU(o.ServerPID)
	start := time.Now()
	for _, search := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= nq {
					return
				}
				t0 := time.Now()
				ids, err := search(ctx, ds.Query(i))
				lat[i] = time.Since(t0)
				if err != nil {
					errOnce.Do(func() { firstErr = err })
					next.Store(int64(nq))
					return
				}
				got[i] = ids
				p.Add(1)
			}
		}()
	}
	wg.Wait()
	wall := time.Since(start)
	p.Done()
	if firstErr != nil {
		return SearchRow{}, firstErr
	}
	row := scoreRow(ds, mode, ef, len(clients), o.K, got, lat, wall)
	return row, cpu.finish(&row, nq)
}

// searchInProcess runs every query once on this goroutine, one at a time.
func searchInProcess(ds *Dataset, o SearchOptions, ef int) SearchRow {
	nq := ds.NQ()
	for i := range min(100, nq) {
		o.InProcess.Search(ds.Query(i), o.K, ef)
	}
	got := make([][]uint64, nq)
	lat := make([]time.Duration, nq)
	start := time.Now()
	for i := range nq {
		t0 := time.Now()
		got[i] = o.InProcess.Search(ds.Query(i), o.K, ef)
		lat[i] = time.Since(t0)
	}
	return scoreRow(ds, ModeInProcess, ef, 1, o.K, got, lat, time.Since(start))
}

func scoreRow(ds *Dataset, mode string, ef, clients, k int, got [][]uint64, lat []time.Duration, wall time.Duration) SearchRow {
	return SearchRow{
		Mode: mode, Ef: ef, Clients: clients,
		Recall:    Recall(ds.Metric, ds.Base, ds.Queries, ds.Dim, got, ds.GT, ds.GDim, k),
		RecallIDs: RecallIDs(got, ds.GT, ds.GDim, k),
		QPS:       QPS(len(got), wall),
		Latency:   Summarize(lat),
	}
}
