package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Client is a minimal typed client of Qdrant's REST API (the routes the
// benchmarks use), so the same run can measure Cairn or any
// Qdrant-compatible server. It keeps connections alive between calls and is
// safe for concurrent use.
type Client struct {
	base   string
	apiKey string
	http   *http.Client
}

// NewClient returns a client of the server at baseURL (such as
// "http://localhost:6333"), sending apiKey in the api-key header when it is
// not empty.
func NewClient(baseURL, apiKey string) *Client {
	tr := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: 256,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return &Client{base: strings.TrimRight(baseURL, "/"), apiKey: apiKey, http: &http.Client{Transport: tr}}
}

// Close closes the client's idle connections.
func (c *Client) Close() { c.http.CloseIdleConnections() }

// APIError is a non-2xx answer of the server.
type APIError struct {
	Method, Path string
	Status       int
	Message      string // Qdrant's status.error, or the body's start
}

// Error names the call and the server's message.
func (e *APIError) Error() string {
	return fmt.Sprintf("%s %s: HTTP %d: %s", e.Method, e.Path, e.Status, e.Message)
}

// CollectionConfig is the part of Qdrant's CreateCollection the benchmarks set.
type CollectionConfig struct {
	Dim         int
	Distance    string // "Euclid", "Cosine", "Dot", "Manhattan"
	M           int    // hnsw_config.m (0: server default)
	EfConstruct int    // hnsw_config.ef_construct (0: server default)
	// IndexingThreshold is optimizers_config.indexing_threshold (in
	// kilobytes of vectors, as Qdrant counts it; 0: server default).
	IndexingThreshold int
	// FlushIntervalSec is optimizers_config.flush_interval_sec (0: server
	// default). Cairn seals its mutable head into a segment this long after
	// the head's first write, even below the indexing threshold.
	FlushIntervalSec int
	// DefaultSegmentNumber is optimizers_config.default_segment_number, the
	// segment count Cairn's optimizer merges down to (0: server default,
	// the number of CPUs).
	DefaultSegmentNumber int
}

// optimizers returns the optimizers_config of cfg, nil if all defaults.
func (cfg CollectionConfig) optimizers() map[string]any {
	o := map[string]any{}
	if cfg.IndexingThreshold > 0 {
		o["indexing_threshold"] = cfg.IndexingThreshold
	}
	if cfg.FlushIntervalSec > 0 {
		o["flush_interval_sec"] = cfg.FlushIntervalSec
	}
	if cfg.DefaultSegmentNumber > 0 {
		o["default_segment_number"] = cfg.DefaultSegmentNumber
	}
	if len(o) == 0 {
		return nil
	}
	return o
}

// IndexingThresholdKB is the indexing_threshold, in Qdrant's kilobytes,
// of points vectors of dimension dim (float32), at least 1.
func IndexingThresholdKB(points, dim int) int {
	return max(1, points*dim*4/1024)
}

// indexingThresholdOrFifth returns kb when it is positive, else the
// indexing_threshold of a fifth of points vectors of dimension dim: every
// segment sealed or merged from those points is then large enough to get
// its HNSW graph.
func indexingThresholdOrFifth(kb, points, dim int) int {
	if kb > 0 {
		return kb
	}
	return IndexingThresholdKB(max(points/5, 1), dim)
}

// CreateCollection creates a collection with one unnamed dense vector.
func (c *Client) CreateCollection(ctx context.Context, name string, cfg CollectionConfig) error {
	body := map[string]any{"vectors": map[string]any{"size": cfg.Dim, "distance": cfg.Distance}}
	hnsw := map[string]any{}
	if cfg.M > 0 {
		hnsw["m"] = cfg.M
	}
	if cfg.EfConstruct > 0 {
		hnsw["ef_construct"] = cfg.EfConstruct
	}
	if len(hnsw) > 0 {
		body["hnsw_config"] = hnsw
	}
	if o := cfg.optimizers(); o != nil {
		body["optimizers_config"] = o
	}
	b, _ := json.Marshal(body)
	return c.do(ctx, http.MethodPut, "/collections/"+url.PathEscape(name), nil, "application/json", bytes.NewReader(b), nil)
}

// UpdateOptimizers changes a collection's optimizers_config with PATCH
// /collections/{name}: the fields of cfg's optimizers that are set.
func (c *Client) UpdateOptimizers(ctx context.Context, name string, cfg CollectionConfig) error {
	b, _ := json.Marshal(map[string]any{"optimizers_config": cfg.optimizers()})
	return c.do(ctx, http.MethodPatch, "/collections/"+url.PathEscape(name), nil, "application/json", bytes.NewReader(b), nil)
}

// DeleteCollection deletes a collection; deleting a missing one is no error
// (Qdrant answers true or false).
func (c *Client) DeleteCollection(ctx context.Context, name string) error {
	return c.do(ctx, http.MethodDelete, "/collections/"+url.PathEscape(name), nil, "", nil, nil)
}

// Upsert writes rows first..first+len(vecs)/dim-1 of a data set as points
// whose ids are their row numbers. wait=true returns once the write is
// applied, as Qdrant's ?wait=true does.
func (c *Client) Upsert(ctx context.Context, name string, first uint64, vecs []float32, dim int, wait bool) error {
	return c.do(ctx, http.MethodPut, "/collections/"+url.PathEscape(name)+"/points",
		url.Values{"wait": {strconv.FormatBool(wait)}}, "application/json",
		bytes.NewReader(encodePoints(first, vecs, dim)), nil)
}

// encodePoints writes {"points":[{"id":…,"vector":[…]},…]} without reflection.
func encodePoints(first uint64, vecs []float32, dim int) []byte {
	n := len(vecs) / dim
	b := make([]byte, 0, 16+n*(24+dim*12))
	b = append(b, `{"points":[`...)
	for i := range n {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"id":`...)
		b = strconv.AppendUint(b, first+uint64(i), 10)
		b = append(b, `,"vector":`...)
		b = appendVector(b, vecs[i*dim:(i+1)*dim])
		b = append(b, '}')
	}
	return append(b, "]}"...)
}

func appendVector(b []byte, v []float32) []byte {
	b = append(b, '[')
	for j, x := range v {
		if j > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendFloat(b, float64(x), 'g', -1, 32)
	}
	return append(b, ']')
}

// Hit is one search result: a point id (numeric ids only) and its score.
type Hit struct {
	ID    uint64  `json:"id"`
	Score float32 `json:"score"`
}

// Search calls POST /points/search with limit and params.hnsw_ef (ef ≤ 0
// leaves it to the server).
func (c *Client) Search(ctx context.Context, name string, q []float32, limit, ef int) ([]Hit, error) {
	var hits []Hit
	err := c.do(ctx, http.MethodPost, "/collections/"+url.PathEscape(name)+"/points/search", nil,
		"application/json", bytes.NewReader(searchBody("vector", q, limit, ef)), &hits)
	return hits, err
}

// Query calls POST /points/query with a nearest-vector query.
func (c *Client) Query(ctx context.Context, name string, q []float32, limit, ef int) ([]Hit, error) {
	var res struct {
		Points []Hit `json:"points"`
	}
	err := c.do(ctx, http.MethodPost, "/collections/"+url.PathEscape(name)+"/points/query", nil,
		"application/json", bytes.NewReader(searchBody("query", q, limit, ef)), &res)
	return res.Points, err
}

func searchBody(field string, q []float32, limit, ef int) []byte {
	b := make([]byte, 0, 64+len(q)*12)
	b = append(b, `{"`...)
	b = append(b, field...)
	b = append(b, `":`...)
	b = appendVector(b, q)
	b = append(b, `,"limit":`...)
	b = strconv.AppendInt(b, int64(limit), 10)
	if ef > 0 {
		b = append(b, `,"params":{"hnsw_ef":`...)
		b = strconv.AppendInt(b, int64(ef), 10)
		b = append(b, '}')
	}
	return append(b, '}')
}

// CollectionInfo is the part of GET /collections/{name} the benchmarks read.
type CollectionInfo struct {
	Status              string `json:"status"` // green, yellow, grey or red
	PointsCount         int    `json:"points_count"`
	IndexedVectorsCount int    `json:"indexed_vectors_count"`
	SegmentsCount       int    `json:"segments_count"`
}

// Info returns a collection's status and counts.
func (c *Client) Info(ctx context.Context, name string) (CollectionInfo, error) {
	var info CollectionInfo
	err := c.do(ctx, http.MethodGet, "/collections/"+url.PathEscape(name), nil, "", nil, &info)
	return info, err
}

// WaitReady polls the collection every poll until its status is green, it
// holds points points and at least indexed indexed vectors, and returns the
// last info seen. It stops with ctx.
func (c *Client) WaitReady(ctx context.Context, name string, points, indexed int, poll time.Duration) (CollectionInfo, error) {
	return c.waitFor(ctx, name, poll, func(info CollectionInfo) bool {
		return info.Status == "green" && info.PointsCount >= points && info.IndexedVectorsCount >= indexed
	})
}

// waitFor reads the collection's info every poll, from now, until cond
// holds for it, and returns the last info seen. Stopped by ctx, it
// returns an error naming the last status and counts.
func (c *Client) waitFor(ctx context.Context, name string, poll time.Duration, cond func(CollectionInfo) bool) (CollectionInfo, error) {
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		info, err := c.Info(ctx, name)
		if err != nil {
			return info, err
		}
		if cond(info) {
			return info, nil
		}
		select {
		case <-ctx.Done():
			return info, fmt.Errorf("wait for collection %s (status %s, %d points, %d indexed): %w",
				name, info.Status, info.PointsCount, info.IndexedVectorsCount, ctx.Err())
		case <-t.C:
		}
	}
}

// defaultWaitTimeout bounds a wait for a collection given no timeout.
const defaultWaitTimeout = time.Hour

// withWaitTimeout returns ctx bounded by timeout (defaultWaitTimeout when
// timeout ≤ 0), its cancel function, and the bound.
func withWaitTimeout(ctx context.Context, timeout time.Duration) (context.Context, context.CancelFunc, time.Duration) {
	if timeout <= 0 {
		timeout = defaultWaitTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	return ctx, cancel, timeout
}

// SnapshotInfo describes a snapshot as Qdrant lists it.
type SnapshotInfo struct {
	Name         string `json:"name"`
	CreationTime string `json:"creation_time"`
	Size         int64  `json:"size"`
	Checksum     string `json:"checksum"`
}

func snapshotsPath(name string) string {
	return "/collections/" + url.PathEscape(name) + "/snapshots"
}

// CreateSnapshot creates a collection snapshot and waits for it.
func (c *Client) CreateSnapshot(ctx context.Context, name string) (SnapshotInfo, error) {
	var s SnapshotInfo
	err := c.do(ctx, http.MethodPost, snapshotsPath(name), url.Values{"wait": {"true"}}, "", nil, &s)
	return s, err
}

// ListSnapshots lists a collection's snapshots.
func (c *Client) ListSnapshots(ctx context.Context, name string) ([]SnapshotInfo, error) {
	var s []SnapshotInfo
	err := c.do(ctx, http.MethodGet, snapshotsPath(name), nil, "", nil, &s)
	return s, err
}

// DeleteSnapshot deletes a collection snapshot and waits for it.
func (c *Client) DeleteSnapshot(ctx context.Context, name, snapshot string) error {
	return c.do(ctx, http.MethodDelete, snapshotsPath(name)+"/"+url.PathEscape(snapshot),
		url.Values{"wait": {"true"}}, "", nil, nil)
}

// DownloadSnapshot streams a collection snapshot into w and returns its size.
func (c *Client) DownloadSnapshot(ctx context.Context, name, snapshot string, w io.Writer) (int64, error) {
	resp, err := c.send(ctx, http.MethodGet, snapshotsPath(name)+"/"+url.PathEscape(snapshot), nil, "", nil)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	n, err := io.Copy(w, resp.Body)
	if err != nil {
		return n, fmt.Errorf("download snapshot %s: %w", snapshot, err)
	}
	return n, nil
}

// UploadSnapshot uploads the archive at path as the multipart field
// "snapshot", streamed from the file (never held in memory), and recovers
// the collection from it. priority and checksum are sent when not empty.
func (c *Client) UploadSnapshot(ctx context.Context, name, path, priority, checksum string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("upload snapshot: %w", err)
	}
	defer f.Close()
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	done := make(chan struct{})
	go func() {
		defer close(done)
		part, err := mw.CreateFormFile("snapshot", filepath.Base(path))
		if err == nil {
			_, err = io.Copy(part, f)
		}
		if err == nil {
			err = mw.Close()
		}
		pw.CloseWithError(err)
	}()
	q := url.Values{"wait": {"true"}}
	if priority != "" {
		q.Set("priority", priority)
	}
	if checksum != "" {
		q.Set("checksum", checksum)
	}
	err = c.do(ctx, http.MethodPost, snapshotsPath(name)+"/upload", q, mw.FormDataContentType(), pr, nil)
	pr.CloseWithError(io.ErrClosedPipe) // ends the writer if the request stopped early
	<-done
	return err
}

// Recover is the body of PUT /collections/{name}/snapshots/recover.
type Recover struct {
	Location string `json:"location"`
	Priority string `json:"priority,omitempty"`
	Checksum string `json:"checksum,omitempty"`
	APIKey   string `json:"api_key,omitempty"`
}

// RecoverSnapshot recovers a collection from a snapshot location (an
// http(s):// URL or a file:// path on the server) and waits for it.
func (c *Client) RecoverSnapshot(ctx context.Context, name string, r Recover) error {
	b, _ := json.Marshal(r)
	return c.do(ctx, http.MethodPut, snapshotsPath(name)+"/recover", url.Values{"wait": {"true"}},
		"application/json", bytes.NewReader(b), nil)
}

// do sends a request and decodes the envelope's result into out (if not nil).
func (c *Client) do(ctx context.Context, method, path string, q url.Values, ctype string, body io.Reader, out any) error {
	resp, err := c.send(ctx, method, path, q, ctype, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		_, err = io.Copy(io.Discard, resp.Body) // lets the connection be reused
		return err
	}
	env := struct {
		Result any `json:"result"`
	}{out}
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
		return fmt.Errorf("%s %s: decode answer: %w", method, path, err)
	}
	return nil
}

// send returns a 2xx response, or an *APIError built from the body.
func (c *Client) send(ctx context.Context, method, path string, q url.Values, ctype string, body io.Reader) (*http.Response, error) {
	u := c.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if c.apiKey != "" {
		req.Header.Set("api-key", c.apiKey)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if resp.StatusCode/100 == 2 {
		return resp, nil
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	e := &APIError{Method: method, Path: path, Status: resp.StatusCode, Message: strings.TrimSpace(string(raw))}
	var env struct {
		Status struct {
			Error string `json:"error"`
		} `json:"status"`
	}
	if json.Unmarshal(raw, &env) == nil && env.Status.Error != "" {
		e.Message = env.Status.Error
	}
	return nil, e
}
