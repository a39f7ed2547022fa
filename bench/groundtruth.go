package bench

import (
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/cairn-db/cairn/simd"
	"github.com/cairn-db/cairn/vfs"
)

// blockRows is how many base vectors one batch-kernel call scores: 4096
// vectors of dim 128 are 2 MiB, which stays in the cache while the top-k
// heap is updated.
const blockRows = 4096

// GroundTruth returns the exact k nearest base rows of each query, nearest
// first (ties broken by the lower row), as nq rows of k ids. L2 ranks by
// squared distance with simd.L2SquaredBatch; Cosine by dot product with
// simd.DotBatch (the vectors must be normalised). Queries are split into
// chunks scored on every core.
func GroundTruth(base, queries []float32, dim, k int, m Metric) ([]int32, error) {
	return groundTruth(base, queries, dim, k, m, nil)
}

// groundTruth is GroundTruth reporting each query done to p (nil: none).
func groundTruth(base, queries []float32, dim, k int, m Metric, p *Progress) ([]int32, error) {
	if dim < 1 || len(base)%dim != 0 || len(queries)%dim != 0 {
		return nil, fmt.Errorf("%w: ground truth over %d base and %d query floats of dim %d", ErrMismatch, len(base), len(queries), dim)
	}
	n, nq := len(base)/dim, len(queries)/dim
	if k < 1 || k > n {
		return nil, fmt.Errorf("%w: ground truth k=%d with %d base vectors", ErrUsage, k, n)
	}
	out := make([]int32, nq*k)
	workers := min(runtime.GOMAXPROCS(0), max(nq, 1))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			scores := make([]float32, blockRows)
			h := make(topK, 0, k)
			for qi := w; qi < nq; qi += workers {
				q := queries[qi*dim : (qi+1)*dim]
				h = exactTopK(base, q, dim, k, m, scores, h[:0])
				h.sortedIDs(out[qi*k : (qi+1)*k])
				p.Add(1)
			}
		}()
	}
	wg.Wait()
	return out, nil
}

// exactTopK scores q against every base row and keeps the k best in h.
func exactTopK(base, q []float32, dim, k int, m Metric, scores []float32, h topK) topK {
	n := len(base) / dim
	for start := 0; start < n; start += blockRows {
		rows := min(blockRows, n-start)
		block := base[start*dim : (start+rows)*dim]
		s := scores[:rows]
		if m == Cosine {
			simd.DotBatch(q, block, s)
			for i := range s {
				s[i] = -s[i] // lower is nearer everywhere below
			}
		} else {
			simd.L2SquaredBatch(q, block, s)
		}
		for i, d := range s {
			h = h.offer(k, int32(start+i), d)
		}
	}
	return h
}

// cand is one scored base row; lower dist is nearer.
type cand struct {
	id   int32
	dist float32
}

// worse orders candidates: farther first, then the higher id.
func (a cand) worse(b cand) bool {
	if a.dist != b.dist {
		return a.dist > b.dist
	}
	return a.id > b.id
}

// topK is a max-heap of the k nearest candidates seen, worst at the root.
type topK []cand

func (h topK) offer(k int, id int32, d float32) topK {
	c := cand{id, d}
	if len(h) < k {
		h = append(h, c)
		for i := len(h) - 1; i > 0; {
			p := (i - 1) / 2
			if !h[i].worse(h[p]) {
				break
			}
			h[i], h[p] = h[p], h[i]
			i = p
		}
		return h
	}
	if !h[0].worse(c) {
		return h
	}
	h[0] = c
	for i := 0; ; {
		l, r, w := 2*i+1, 2*i+2, i
		if l < len(h) && h[l].worse(h[w]) {
			w = l
		}
		if r < len(h) && h[r].worse(h[w]) {
			w = r
		}
		if w == i {
			return h
		}
		h[i], h[w] = h[w], h[i]
		i = w
	}
}

// sortedIDs writes the heap's ids nearest first into out, emptying a copy.
func (h topK) sortedIDs(out []int32) {
	for len(h) > 0 {
		last := len(h) - 1
		out[last] = h[0].id
		h[0] = h[last]
		h = h[:last]
		// restore the heap below the root
		for i := 0; ; {
			l, r, w := 2*i+1, 2*i+2, i
			if l < len(h) && h[l].worse(h[w]) {
				w = l
			}
			if r < len(h) && h[r].worse(h[w]) {
				w = r
			}
			if w == i {
				break
			}
			h[i], h[w] = h[w], h[i]
			i = w
		}
	}
}

// GroundTruthSidecar is the content of groundtruth.json, written beside a
// cached groundtruth.ivecs. The cache is reused only if every field still
// matches: the shape, the metric, the size and modification time of
// base.fvecs and query.fvecs, and the CRC-32C of the ivecs file itself.
type GroundTruthSidecar struct {
	Format       string `json:"format"` // always "cairn-bench-groundtruth"
	Version      int    `json:"version"`
	N            int    `json:"n"`
	Queries      int    `json:"queries"`
	Dim          int    `json:"dim"`
	K            int    `json:"k"`
	Metric       Metric `json:"metric"`
	BaseSize     int64  `json:"base_size"`
	BaseMtimeNS  int64  `json:"base_mtime_ns"`
	QuerySize    int64  `json:"query_size"`
	QueryMtimeNS int64  `json:"query_mtime_ns"`
	CRC32C       uint32 `json:"groundtruth_crc32c"`
}

const (
	sidecarFormat  = "cairn-bench-groundtruth"
	sidecarVersion = 1
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// EnsureGroundTruth returns the exact top-k ids of each query against base
// (rows of dim floats, as read from dir's base.fvecs and query.fvecs). It
// reuses dir/groundtruth.ivecs when its sidecar matches the data files and
// the request, and otherwise computes it with GroundTruth and writes both
// files (temp, fsync, rename). A ground truth with more than k columns is
// reused, cut to k. The second result says whether the cache was used.
// A groundtruth.ivecs without Cairn's sidecar (gen_dataset.py's) is not
// overwritten: the cache is then groundtruth.cairn.ivecs.
func EnsureGroundTruth(dir string, base, queries []float32, dim, k int, m Metric) ([]int32, bool, error) {
	return ensureGroundTruth(dir, base, queries, dim, k, m, nil, false)
}

// ensureGroundTruth is EnsureGroundTruth showing the computation's progress
// on log (nil: silent), as a bar if tty.
func ensureGroundTruth(dir string, base, queries []float32, dim, k int, m Metric, log io.Writer, tty bool) ([]int32, bool, error) {
	f, err := FindDataFiles(DataFiles{Dir: dir, Base: filepath.Join(dir, BaseFile), Query: filepath.Join(dir, QueryFile)})
	if err != nil {
		return nil, false, err
	}
	return cacheFor(f).ensure(base, queries, dim, k, m, log, tty)
}

// gtCache is where a computed ground truth is cached (ivecs, with its
// sidecar beside it: the same name ending in .json) and the data files it
// was computed from.
type gtCache struct {
	ivecs, base, query string
}

// sidecar is the path of the cache's sidecar.
func (g gtCache) sidecar() string { return sidecarPath(g.ivecs) }

// sidecarPath is an ivecs file's sidecar: groundtruth.ivecs → groundtruth.json.
func sidecarPath(ivecs string) string {
	return strings.TrimSuffix(ivecs, filepath.Ext(ivecs)) + ".json"
}

// isCairnCache reports whether ivecs is a ground truth this package
// computed: its sidecar exists and is one of ours (whatever it records).
// Any other ivecs file was supplied and is never overwritten.
func isCairnCache(ivecs string) bool {
	b, err := os.ReadFile(sidecarPath(ivecs))
	if err != nil {
		return false
	}
	var s GroundTruthSidecar
	return json.Unmarshal(b, &s) == nil && s.Format == sidecarFormat
}

// ensure returns the cached top-k ground truth when it matches the data
// files and the request, and otherwise computes it and writes the cache.
func (g gtCache) ensure(base, queries []float32, dim, k int, m Metric, log io.Writer, tty bool) ([]int32, bool, error) {
	want, err := g.describe(base, queries, dim, k, m)
	if err != nil {
		return nil, false, err
	}
	if gt, ok := g.loadCached(want); ok {
		return gt, true, nil
	}
	var p *Progress
	if log != nil && dim > 0 {
		p = NewProgress(log, tty, fmt.Sprintf("ground truth top-%d", k), len(queries)/dim)
	}
	gt, err := groundTruth(base, queries, dim, k, m, p)
	p.Done()
	if err != nil {
		return nil, false, err
	}
	if err := WriteIvecs(g.ivecs, gt, k); err != nil {
		return nil, false, err
	}
	raw, err := os.ReadFile(g.ivecs)
	if err != nil {
		return nil, false, fmt.Errorf("read back ground truth: %w", err)
	}
	want.CRC32C = crc32.Checksum(raw, castagnoli)
	b, _ := json.MarshalIndent(want, "", "  ")
	if err := vfs.WriteFileAtomic(vfs.OS, g.sidecar(), append(b, '\n')); err != nil {
		return nil, false, fmt.Errorf("write ground truth sidecar: %w", err)
	}
	return gt, false, nil
}

// describe fills a sidecar for the cache's data files (CRC left zero).
func (g gtCache) describe(base, queries []float32, dim, k int, m Metric) (GroundTruthSidecar, error) {
	s := GroundTruthSidecar{Format: sidecarFormat, Version: sidecarVersion, Dim: dim, K: k, Metric: m}
	if dim > 0 {
		s.N, s.Queries = len(base)/dim, len(queries)/dim
	}
	bi, err := os.Stat(g.base)
	if err != nil {
		return s, fmt.Errorf("ground truth: %w", err)
	}
	qi, err := os.Stat(g.query)
	if err != nil {
		return s, fmt.Errorf("ground truth: %w", err)
	}
	s.BaseSize, s.BaseMtimeNS = bi.Size(), bi.ModTime().UnixNano()
	s.QuerySize, s.QueryMtimeNS = qi.Size(), qi.ModTime().UnixNano()
	return s, nil
}

// loadCached returns the cached ground truth when its sidecar matches want
// (with any K ≥ want.K) and the ivecs file has the recorded checksum and shape.
func (g gtCache) loadCached(want GroundTruthSidecar) ([]int32, bool) {
	b, err := os.ReadFile(g.sidecar())
	if err != nil {
		return nil, false
	}
	var have GroundTruthSidecar
	if json.Unmarshal(b, &have) != nil || have.K < want.K {
		return nil, false
	}
	crc, hk := have.CRC32C, have.K
	have.CRC32C, have.K = 0, want.K
	if have != want {
		return nil, false
	}
	raw, err := os.ReadFile(g.ivecs)
	if err != nil || crc32.Checksum(raw, castagnoli) != crc {
		return nil, false
	}
	gt, gdim, err := ReadIvecs(g.ivecs)
	if err != nil || gdim != hk || len(gt) != want.Queries*hk {
		return nil, false
	}
	return cutColumns(gt, hk, want.K), true
}

// cutColumns keeps the first k of the gdim ids of every row of gt.
func cutColumns(gt []int32, gdim, k int) []int32 {
	if gdim == k {
		return gt
	}
	rows := len(gt) / gdim
	cut := make([]int32, 0, rows*k)
	for i := range rows {
		cut = append(cut, gt[i*gdim:i*gdim+k]...)
	}
	return cut
}
