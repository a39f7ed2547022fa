package bench

import (
	"context"
	"fmt"
	"io"
	"time"
)

// IngestOptions configures RunIngest.
type IngestOptions struct {
	URL, APIKey, Collection string
	BatchSizes              []int
	Waits                   []bool // wait=true and/or wait=false upserts
	Clients                 int    // upsert requests in flight
	M, EfConstruct          int
	// IndexingThreshold is the collection's indexing_threshold in kB (0 or less:
	// a fifth of the data set's vectors, so the upload is sealed into
	// segments that each get a graph).
	IndexingThreshold int
	// FlushIntervalSec is the collection's flush_interval_sec: Cairn seals
	// the last points of the upload (below the threshold) this long after
	// their first write, so "until indexed" includes up to this much idle
	// time (0: the server's default, 5 s on Cairn).
	FlushIntervalSec int
	// Segments is default_segment_number (0: server default, the number of
	// CPUs): merging down to it gives the upload's last small segment a
	// graph, whatever the machine's core count.
	Segments int
	// MinIndexed is the indexed_vectors_count that counts as fully indexed;
	// a negative value means every point.
	MinIndexed int
	// Rounds is how many times every (batch size, wait mode) is measured,
	// interleaved: each round runs every combination once (0 or 1: once).
	Rounds      int
	WaitTimeout time.Duration
	Log         io.Writer
	TTY         bool
}

// IngestRow is the figure of one batch size and wait mode: medians over
// the rounds, with the ranges of points/s and of the time until indexed.
type IngestRow struct {
	BatchSize     int     `json:"batch_size"`
	Wait          bool    `json:"wait"`
	Clients       int     `json:"clients"`
	Points        int     `json:"points"`
	Rounds        int     `json:"rounds"`
	UploadSeconds float64 `json:"upload_s"`
	PointsPerSec  float64 `json:"points_per_s"`
	PPSMin        float64 `json:"points_per_s_min"`
	PPSMax        float64 `json:"points_per_s_max"`
	// VisibleSeconds is the time from the first upsert until points_count
	// holds every point (every write applied and counted).
	VisibleSeconds float64 `json:"visible_s"`
	VisibleMin     float64 `json:"visible_s_min"`
	VisibleMax     float64 `json:"visible_s_max"`
	// IndexedSeconds is the time from the first upsert until the
	// collection is green with indexed_vectors_count ≥ MinIndexed (every
	// point by default): every segment sealed, merged and given its graph.
	IndexedSeconds float64        `json:"indexed_s"`
	IndexedMin     float64        `json:"indexed_s_min"`
	IndexedMax     float64        `json:"indexed_s_max"`
	IndexedVectors int            `json:"indexed_vectors"` // of the last round
	Segments       int            `json:"segments"`        // of the last round
	Samples        []IngestSample `json:"samples,omitempty"`
}

// IngestSample is one round's measurement of a batch size and wait mode.
type IngestSample struct {
	Round          int     `json:"round"`
	UploadSeconds  float64 `json:"upload_s"`
	PointsPerSec   float64 `json:"points_per_s"`
	VisibleSeconds float64 `json:"visible_s"`
	IndexedSeconds float64 `json:"indexed_s"`
}

// summarizeIngest folds the samples of one combination (in round order)
// into a row of medians; the counts come from the last sample.
func summarizeIngest(samples []IngestRow) IngestRow {
	last := samples[len(samples)-1]
	row := IngestRow{BatchSize: last.BatchSize, Wait: last.Wait, Clients: last.Clients, Points: last.Points,
		Rounds: len(samples), IndexedVectors: last.IndexedVectors, Segments: last.Segments}
	n := len(samples)
	up, pps, vis, idx := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	for i, s := range samples {
		up[i], pps[i], vis[i], idx[i] = s.UploadSeconds, s.PointsPerSec, s.VisibleSeconds, s.IndexedSeconds
		row.Samples = append(row.Samples, IngestSample{Round: i, UploadSeconds: s.UploadSeconds, PointsPerSec: s.PointsPerSec,
			VisibleSeconds: s.VisibleSeconds, IndexedSeconds: s.IndexedSeconds})
	}
	p, v, x := SpreadOf(pps), SpreadOf(vis), SpreadOf(idx)
	row.UploadSeconds = Median(up)
	row.PointsPerSec, row.PPSMin, row.PPSMax = p.Median, p.Min, p.Max
	row.VisibleSeconds, row.VisibleMin, row.VisibleMax = v.Median, v.Min, v.Max
	row.IndexedSeconds, row.IndexedMin, row.IndexedMax = x.Median, x.Min, x.Max
	return row
}

// IngestResult is the outcome of RunIngest.
type IngestResult struct {
	Data   DataInfo `json:"data"`
	URL    string   `json:"url"`
	Rounds int      `json:"rounds"`
	// The optimizers_config every collection was created with (0: the
	// server's default).
	IndexingThreshold int         `json:"indexing_threshold_kb"`
	FlushIntervalSec  int         `json:"flush_interval_sec"`
	Segments          int         `json:"default_segment_number"`
	Rows              []IngestRow `json:"rows"`
}

// RunIngest, for each batch size and wait mode (all of them once per
// round, o.Rounds rounds), recreates o.Collection, upserts every base
// vector of ds and measures points/s, then, from the first upsert, the
// time until points_count holds every point and the time until the
// collection is green with at least MinIndexed indexed vectors. The
// collection is deleted at the end.
func RunIngest(ctx context.Context, ds *Dataset, o IngestOptions) (*IngestResult, error) {
	c := NewClient(o.URL, o.APIKey)
	defer c.Close()
	o.IndexingThreshold = indexingThresholdOrFifth(o.IndexingThreshold, ds.N(), ds.Dim)
	res := &IngestResult{Data: ds.info(), URL: o.URL, Rounds: max(o.Rounds, 1),
		IndexingThreshold: o.IndexingThreshold, FlushIntervalSec: o.FlushIntervalSec, Segments: o.Segments}
	combos := len(o.BatchSizes) * len(o.Waits)
	samples := make([][]IngestRow, combos)
	for round := range res.Rounds {
		if res.Rounds > 1 && o.Log != nil {
			Logf(o.Log, "ingest round %d of %d", round+1, res.Rounds)
		}
		for i := range combos {
			bs, wait := o.BatchSizes[i/len(o.Waits)], o.Waits[i%len(o.Waits)]
			row, err := ingestOnce(ctx, c, ds, o, bs, wait)
			if err != nil {
				return res, err
			}
			samples[i] = append(samples[i], row)
		}
	}
	for _, s := range samples {
		res.Rows = append(res.Rows, summarizeIngest(s))
	}
	return res, c.DeleteCollection(ctx, o.Collection)
}

func ingestOnce(ctx context.Context, c *Client, ds *Dataset, o IngestOptions, bs int, wait bool) (IngestRow, error) {
	n := ds.N()
	if err := c.DeleteCollection(ctx, o.Collection); err != nil {
		return IngestRow{}, err
	}
	cfg := CollectionConfig{Dim: ds.Dim, Distance: ds.Metric.QdrantDistance(), M: o.M, EfConstruct: o.EfConstruct,
		IndexingThreshold: o.IndexingThreshold, FlushIntervalSec: o.FlushIntervalSec, DefaultSegmentNumber: o.Segments}
	if err := c.CreateCollection(ctx, o.Collection, cfg); err != nil {
		return IngestRow{}, err
	}
	p := NewProgress(o.Log, o.TTY, fmt.Sprintf("ingest batch=%d wait=%t", bs, wait), n)
	start := time.Now()
	wall, err := upload(ctx, c, o.Collection, ds.Base, ds.Dim, bs, o.Clients, wait, p)
	p.Done()
	if err != nil {
		return IngestRow{}, err
	}
	minIndexed := o.MinIndexed
	if minIndexed < 0 {
		minIndexed = n
	}
	wctx, cancel, _ := withWaitTimeout(ctx, o.WaitTimeout)
	defer cancel()
	visible, indexed, info, err := waitCountedIndexed(wctx, c, o.Collection, n, minIndexed, start)
	if err != nil {
		return IngestRow{}, err
	}
	return IngestRow{
		BatchSize: bs, Wait: wait, Clients: max(o.Clients, 1), Points: n,
		UploadSeconds: wall.Seconds(), PointsPerSec: QPS(n, wall),
		VisibleSeconds: visible.Seconds(), IndexedSeconds: indexed.Seconds(),
		IndexedVectors: info.IndexedVectorsCount, Segments: info.SegmentsCount,
	}, nil
}

// ingestPoll is how often the ingest benchmark reads the collection's counts.
const ingestPoll = 20 * time.Millisecond

// waitCountedIndexed polls the collection until points_count reaches n,
// then until it is green with at least minIndexed indexed vectors, and
// returns both times since start and the last info.
func waitCountedIndexed(ctx context.Context, c *Client, name string, n, minIndexed int, start time.Time) (visible, indexed time.Duration, info CollectionInfo, err error) {
	info, err = c.waitFor(ctx, name, ingestPoll, func(info CollectionInfo) bool { return info.PointsCount >= n })
	if err != nil {
		return 0, 0, info, fmt.Errorf("until %d points are counted: %w", n, err)
	}
	visible = time.Since(start)
	ready := func(info CollectionInfo) bool {
		return info.Status == "green" && info.IndexedVectorsCount >= minIndexed
	}
	if !ready(info) {
		if info, err = c.waitFor(ctx, name, ingestPoll, ready); err != nil {
			return visible, 0, info, fmt.Errorf("until green with %d of %d points indexed: %w", minIndexed, n, err)
		}
	}
	return visible, time.Since(start), info, nil
}
