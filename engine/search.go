package engine

import (
	"container/heap"
	"context"
	"math"
	"slices"
	"sync"

	"github.com/cairn-db/cairn/hnsw"
	"github.com/cairn-db/cairn/payload"
	"github.com/cairn-db/cairn/point"
	"github.com/cairn-db/cairn/simd"
)

// Scores are ranked by a key where higher is better: the similarity for
// Cosine and Dot, the negated squared distance for Euclid, the negated
// distance for Manhattan. Keys become Qdrant scores at the end.

// scanChunk is the number of vectors scored per batch-kernel call.
const scanChunk = 1024

var scratchPool = sync.Pool{New: func() any { b := make([]float32, scanChunk); return &b }}
var searcherPool = sync.Pool{New: func() any { return hnsw.NewSearcher() }}

// candidate is one scored point, materialised (its data copied).
type candidate struct {
	key     float32
	version uint64
	rec     Record
}

// topK keeps the k best keys seen (a min-heap on key).
type topK struct {
	k     int
	items []scored
}

type scored struct {
	key float32
	ref int // slot or offset
}

func (t *topK) Len() int           { return len(t.items) }
func (t *topK) Less(i, j int) bool { return t.items[i].key < t.items[j].key }
func (t *topK) Swap(i, j int)      { t.items[i], t.items[j] = t.items[j], t.items[i] }
func (t *topK) Push(x any)         { t.items = append(t.items, x.(scored)) }
func (t *topK) Pop() any {
	x := t.items[len(t.items)-1]
	t.items = t.items[:len(t.items)-1]
	return x
}

// admits reports whether a key would enter the heap.
func (t *topK) admits(key float32) bool { return len(t.items) < t.k || key > t.items[0].key }

func (t *topK) add(key float32, ref int) {
	if len(t.items) < t.k {
		heap.Push(t, scored{key, ref})
	} else if key > t.items[0].key {
		t.items[0] = scored{key, ref}
		heap.Fix(t, 0)
	}
}

// searchPlan is a validated search.
type searchPlan struct {
	name      string
	dist      point.Distance
	q         []float32
	k         int
	ef        int
	exact     bool
	filter    *payload.Filter
	threshold float32 // key threshold; -Inf for none
	fullScan  int     // filter cardinality below which graphs are skipped
	wp        WithPayload
	wv        WithVector
}

// Search returns the req.Limit points closest to the query vector (after
// skipping req.Offset), best first, with Qdrant's scores.
func (c *Collection) Search(ctx context.Context, req SearchRequest) ([]ScoredPoint, error) {
	p, err := c.planSearch(req)
	if err != nil {
		return nil, err
	}
	var cands []candidate
	for _, s := range c.shards {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		cands = append(cands, s.search(p)...)
	}
	return finishSearch(cands, p, req.Offset, req.Limit), nil
}

func (c *Collection) planSearch(req SearchRequest) (*searchPlan, error) {
	cfg := c.core.config()
	if req.Limit < 1 {
		return nil, errInvalid("limit", "value %d invalid, must be 1 or more", req.Limit)
	}
	if req.Offset < 0 {
		return nil, errInvalid("offset", "value %d invalid, must be 0 or more", req.Offset)
	}
	vp, ok := cfg.Params.Vectors[req.Vector.Name]
	if !ok {
		return nil, errBadRequest("Not existing vector name error: %s", vectorLabel(req.Vector.Name))
	}
	vecs, err := c.prepareVectors(point.ID{}, Vectors{req.Vector.Name: req.Vector.Vector}, nil)
	if err != nil {
		return nil, err
	}
	hc := cfg.hnswFor(req.Vector.Name)
	p := &searchPlan{name: req.Vector.Name, dist: vp.Distance, q: vecs[req.Vector.Name],
		k: req.Offset + req.Limit, ef: hc.EfConstruct, filter: req.Filter,
		threshold: float32(math.Inf(-1)), fullScan: fullScanPoints(hc, vp.Size),
		wp: withPayloadOr(req.WithPayload, false), wv: withVectorOr(req.WithVector)}
	if req.Params != nil {
		p.exact = req.Params.Exact
		if req.Params.HnswEf != nil && *req.Params.HnswEf > 0 {
			p.ef = *req.Params.HnswEf
		}
	}
	p.ef = max(p.ef, p.k)
	if t := req.ScoreThreshold; t != nil {
		p.threshold = scoreToKey(p.dist, *t)
	}
	return p, nil
}

// scoreToKey turns a score_threshold into the least key accepted. For
// Euclid and Manhattan the threshold is a largest distance, so a negative
// one accepts nothing.
func scoreToKey(d point.Distance, score float32) float32 {
	switch d {
	case point.Euclid:
		if score < 0 {
			return float32(math.Inf(1))
		}
		return -score * score
	case point.Manhattan:
		return -score
	}
	return score
}

func keyToScore(d point.Distance, key float32) float32 {
	switch d {
	case point.Euclid:
		return float32(math.Sqrt(float64(max(-key, 0))))
	case point.Manhattan:
		return -key
	}
	return key
}

// scoreBatch writes the key of every vector of block against q into out.
func scoreBatch(d point.Distance, q, block, out []float32) {
	switch d {
	case point.Euclid:
		simd.L2SquaredBatch(q, block, out)
	case point.Manhattan:
		simd.L1Batch(q, block, out)
	default:
		simd.DotBatch(q, block, out)
		return
	}
	for i := range out {
		out[i] = -out[i]
	}
}

// finishSearch de-duplicates by id (highest version wins), ranks, applies
// offset and limit and converts keys to scores.
func finishSearch(cands []candidate, p *searchPlan, offset, limit int) []ScoredPoint {
	best := map[point.ID]uint64{}
	for _, c := range cands {
		best[c.rec.ID] = max(best[c.rec.ID], c.version)
	}
	slices.SortStableFunc(cands, func(a, b candidate) int {
		if a.key != b.key {
			if a.key > b.key {
				return -1
			}
			return 1
		}
		return point.Compare(a.rec.ID, b.rec.ID)
	})
	out := []ScoredPoint{}
	seen := map[point.ID]bool{}
	for _, c := range cands {
		if c.version != best[c.rec.ID] || seen[c.rec.ID] {
			continue
		}
		seen[c.rec.ID] = true
		if offset > 0 {
			offset--
			continue
		}
		if len(out) == limit {
			break
		}
		out = append(out, ScoredPoint{ID: c.rec.ID, Version: c.version, Score: keyToScore(p.dist, c.key),
			Payload: c.rec.Payload, Vector: c.rec.Vector})
	}
	return out
}

// search returns the shard's k best candidates from each of its parts.
func (s *shard) search(p *searchPlan) []candidate {
	s.mu.RLock()
	var out []candidate
	defs := s.core.indexDefs()
	for _, m := range s.memTablesLocked() {
		out = append(out, searchMem(m, p, defs)...)
	}
	view := s.viewLocked()
	s.mu.RUnlock()
	defer releaseView(view)
	for _, sv := range view {
		out = append(out, sv.search(p)...)
	}
	return out
}

// searchMem scans a memtable exactly. Caller holds the shard's mu.
func searchMem(m *memTable, p *searchPlan, defs map[string]payload.FieldSchema) []candidate {
	si := specIndex(m.specs, p.name)
	n := m.slots()
	if si < 0 || n == 0 {
		return nil
	}
	t := &topK{k: p.k}
	dim := m.specs[si].Dim
	buf := scratchPool.Get().(*[]float32)
	defer scratchPool.Put(buf)
	for start := 0; start < n; start += scanChunk {
		end := min(n, start+scanChunk)
		out := (*buf)[:end-start]
		scoreBatch(p.dist, p.q, m.vecs[si][start/chunkSlots][:(end-start)*dim], out)
		for i, key := range out {
			slot := start + i
			if !m.live[slot] || !m.has[si][slot] || key < p.threshold || !t.admits(key) {
				continue
			}
			if p.filter != nil && !m.match(p.filter, slot, defs) {
				continue
			}
			t.add(key, slot)
		}
	}
	cands := make([]candidate, 0, len(t.items))
	for _, it := range t.items {
		cands = append(cands, candidate{key: it.key, version: m.versions[it.ref],
			rec: record(m.pointAt(it.ref), p.wp, p.wv)})
	}
	return cands
}

// search scores a pinned segment: by its HNSW graph when it has one for the
// vector and the plan allows, exactly otherwise.
func (sv segView) search(p *searchPlan) []candidate {
	seg := sv.h.seg
	block, dim := seg.Vectors(p.name)
	if block == nil || seg.Len() == 0 {
		return nil
	}
	var mt *payload.Matcher
	if p.filter != nil {
		mt = payload.Plan(p.filter, sv.source())
	}
	t := &topK{k: p.k}
	if g := sv.h.graphs[p.name]; g != nil && !p.exact && sv.useGraph(mt, p) {
		sv.searchGraph(g, mt, p, t)
	} else {
		sv.scan(block, dim, mt, p, t)
	}
	cands := make([]candidate, 0, len(t.items))
	for _, it := range t.items {
		r := segmentRecord(seg, uint32(it.ref))
		cands = append(cands, candidate{key: it.key, version: r.Version,
			rec: record(pointData{id: r.ID, vectors: r.Vectors, payload: r.Payload}, p.wp, p.wv)})
	}
	return cands
}

// useGraph reports whether graph search is worth it, as Qdrant decides:
// without a filter always; with one, exact search when at most fewer than
// full_scan_threshold points can match, the graph when at least as many
// surely match, otherwise by the expected count, which sampling refines
// when the indexes leave conditions unsettled (an unindexed key).
func (sv segView) useGraph(mt *payload.Matcher, p *searchPlan) bool {
	if mt == nil {
		return true
	}
	least, expected, most := mt.Estimate()
	switch {
	case most < p.fullScan:
		return false
	case least > p.fullScan:
		return true
	case !mt.Exact():
		expected = sampleCardinality(mt, sv.h.seg.Len())
	}
	return expected >= p.fullScan
}

// cardinalitySamples is how many offsets sampleCardinality evaluates.
const cardinalitySamples = 1000

// sampleCardinality estimates how many of n offsets mt matches from
// cardinalitySamples offsets spread evenly over them (deterministic).
func sampleCardinality(mt *payload.Matcher, n int) int {
	if n == 0 {
		return 0
	}
	k := min(n, cardinalitySamples)
	hits := 0
	for i := range k {
		if mt.Match(uint32(i * n / k)) {
			hits++
		}
	}
	return hits * n / k
}

func (sv segView) searchGraph(g *hnsw.Graph, mt *payload.Matcher, p *searchPlan, t *topK) {
	seg := sv.h.seg
	accept := func(i uint32) bool {
		return !sv.del.Has(int(i)) && seg.HasVector(p.name, i) && (mt == nil || mt.Match(i))
	}
	if mt == nil && sv.del.Count() == 0 {
		accept = nil // the graph holds only points with the vector: nothing to filter
	}
	sr := searcherPool.Get().(*hnsw.Searcher)
	defer searcherPool.Put(sr)
	res := g.Search(sr, p.q, p.k, p.ef, accept, nil)
	for _, nb := range res {
		key := -nb.Dist
		if key >= p.threshold {
			t.add(key, int(nb.ID))
		}
	}
}

func (sv segView) scan(block []float32, dim int, mt *payload.Matcher, p *searchPlan, t *topK) {
	seg := sv.h.seg
	if mt != nil {
		if offs, ok := mt.Candidates(); ok && len(offs) <= seg.Len()/2 {
			sv.scanCandidates(block, dim, offs, mt, p, t)
			return
		}
	}
	n := seg.Len()
	buf := scratchPool.Get().(*[]float32)
	defer scratchPool.Put(buf)
	for start := 0; start < n; start += scanChunk {
		end := min(n, start+scanChunk)
		out := (*buf)[:end-start]
		scoreBatch(p.dist, p.q, block[start*dim:end*dim], out)
		for i, key := range out {
			off := start + i
			if key < p.threshold || !t.admits(key) || sv.del.Has(off) || !seg.HasVector(p.name, uint32(off)) {
				continue
			}
			if mt != nil && !mt.Match(uint32(off)) {
				continue
			}
			t.add(key, off)
		}
	}
}

// scanCandidates scores only the offsets the payload indexes allow.
func (sv segView) scanCandidates(block []float32, dim int, offs []uint32, mt *payload.Matcher, p *searchPlan, t *topK) {
	seg := sv.h.seg
	var out [1]float32
	for _, off := range offs {
		if sv.del.Has(int(off)) || !seg.HasVector(p.name, off) || !mt.Match(off) {
			continue
		}
		scoreBatch(p.dist, p.q, block[int(off)*dim:(int(off)+1)*dim], out[:])
		if out[0] >= p.threshold {
			t.add(out[0], int(off))
		}
	}
}
