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
	IndexingThreshold       int
	// MinIndexed is the indexed_vectors_count that counts as fully indexed;
	// a negative value means every point.
	MinIndexed  int
	WaitTimeout time.Duration
	Log         io.Writer
	TTY         bool
}

// IngestRow is the figure of one batch size and wait mode.
type IngestRow struct {
	BatchSize      int     `json:"batch_size"`
	Wait           bool    `json:"wait"`
	Clients        int     `json:"clients"`
	Points         int     `json:"points"`
	UploadSeconds  float64 `json:"upload_s"`
	PointsPerSec   float64 `json:"points_per_s"`
	IndexedSeconds float64 `json:"indexed_s"` // from the first upsert until green and indexed
	IndexedVectors int     `json:"indexed_vectors"`
	Segments       int     `json:"segments"`
}

// IngestResult is the outcome of RunIngest.
type IngestResult struct {
	Data DataInfo    `json:"data"`
	URL  string      `json:"url"`
	Rows []IngestRow `json:"rows"`
}

// RunIngest, for each batch size and wait mode, recreates o.Collection,
// upserts every base vector of ds and measures points/s, then the time from
// the first upsert until the collection is green with every point and at
// least MinIndexed indexed vectors. The collection is deleted at the end.
func RunIngest(ctx context.Context, ds *Dataset, o IngestOptions) (*IngestResult, error) {
	c := NewClient(o.URL, o.APIKey)
	defer c.Close()
	res := &IngestResult{Data: ds.info(), URL: o.URL}
	for _, bs := range o.BatchSizes {
		for _, wait := range o.Waits {
			row, err := ingestOnce(ctx, c, ds, o, bs, wait)
			if err != nil {
				return res, err
			}
			res.Rows = append(res.Rows, row)
		}
	}
	return res, c.DeleteCollection(ctx, o.Collection)
}

func ingestOnce(ctx context.Context, c *Client, ds *Dataset, o IngestOptions, bs int, wait bool) (IngestRow, error) {
	n := ds.N()
	if err := c.DeleteCollection(ctx, o.Collection); err != nil {
		return IngestRow{}, err
	}
	cfg := CollectionConfig{Dim: ds.Dim, Distance: ds.Metric.QdrantDistance(), M: o.M, EfConstruct: o.EfConstruct, IndexingThreshold: o.IndexingThreshold}
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
	timeout := o.WaitTimeout
	if timeout <= 0 {
		timeout = time.Hour
	}
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	info, err := c.WaitReady(wctx, o.Collection, n, minIndexed, 50*time.Millisecond)
	if err != nil {
		return IngestRow{}, err
	}
	return IngestRow{
		BatchSize: bs, Wait: wait, Clients: max(o.Clients, 1), Points: n,
		UploadSeconds: wall.Seconds(), PointsPerSec: QPS(n, wall),
		IndexedSeconds: time.Since(start).Seconds(), IndexedVectors: info.IndexedVectorsCount, Segments: info.SegmentsCount,
	}, nil
}
