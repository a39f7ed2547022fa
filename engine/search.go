package engine

import (
	"context"
	"math"
	"slices"
	"sync"

	"github.com/cairn-db/cairn/hnsw"
	"github.com/cairn-db/cairn/payload"
	"github.com/cairn-db/cairn/point"
	"github.com/cairn-db/cairn/segment"
	"github.com/cairn-db/cairn/simd"
)

// Scores are ranked by a key where higher is better: the similarity for
// Cosine and Dot, the negated squared distance for Euclid, the negated
// distance for Manhattan. Keys become Qdrant scores at the end.

// scanChunk is the number of vectors scored per batch-kernel call.
const scanChunk = 1024

// maxPooledCands bounds the candidates a pooled scratch keeps room for, so
// that one search with a huge offset does not pin its buffers for good.
const maxPooledCands = 4096

// searchScratch is the reusable state of one Search call: the candidate
// list, the per-part heap, the graph searcher and its result buffer, the
// scan buffer, the query copy and the pinned segment views. Pooled, so that
// a search allocates little more than its result.
type searchScratch struct {
	cands []candidate
	recs  []Record // materialised memtable hits (when payload or vectors are asked)
	parts int      // parts that produced at least one candidate
	top   topK
	sr    *hnsw.Searcher
	nbrs  []hnsw.Neighbor
	buf   []float32
	q     []float32
	views []segView
}

var scratchPool = sync.Pool{New: func() any {
	return &searchScratch{sr: hnsw.NewSearcher(), buf: make([]float32, scanChunk)}
}}

func getScratch() *searchScratch { return scratchPool.Get().(*searchScratch) }

// put clears the references the scratch holds and returns it to the pool.
func (sc *searchScratch) put() {
	if cap(sc.cands) > maxPooledCands || cap(sc.recs) > maxPooledCands || cap(sc.top.items) > maxPooledCands {
		return
	}
	clear(sc.cands)
	clear(sc.recs)
	clear(sc.views)
	sc.cands, sc.recs, sc.views, sc.parts = sc.cands[:0], sc.recs[:0], sc.views[:0], 0
	scratchPool.Put(sc)
}

// heap returns the emptied per-part heap keeping the k best keys.
func (sc *searchScratch) heap(k int) *topK {
	sc.top.k, sc.top.items = k, sc.top.items[:0]
	return &sc.top
}

// candidate is one scored point. A segment hit is read from its (pinned)
// segment only if it makes the result; a memtable hit whose payload or
// vectors are asked is materialised under the shard lock into recs[off].
type candidate struct {
	key     float32
	version uint64
	id      point.ID
	seg     *segment.Segment // nil for a memtable hit
	off     uint32           // offset in seg, or index in searchScratch.recs
}

// topK keeps the k best keys seen (a min-heap on key, with the sift-up and
// sift-down of container/heap, so that ties resolve as they always have).
type topK struct {
	k     int
	items []scored
}

type scored struct {
	key float32
	ref int // slot or offset
}

// admits reports whether a key would enter the heap.
func (t *topK) admits(key float32) bool { return len(t.items) < t.k || key > t.items[0].key }

func (t *topK) add(key float32, ref int) {
	if len(t.items) < t.k {
		t.items = append(t.items, scored{key, ref})
		t.up(len(t.items) - 1)
	} else if key > t.items[0].key {
		t.items[0] = scored{key, ref} // larger than the old root: it can only sink
		t.down(0)
	}
}

func (t *topK) up(j int) {
	h := t.items
	for {
		i := (j - 1) / 2 // parent
		if i == j || !(h[j].key < h[i].key) {
			break
		}
		h[i], h[j] = h[j], h[i]
		j = i
	}
}

func (t *topK) down(i int) {
	h, n := t.items, len(t.items)
	for {
		j1 := 2*i + 1 // no overflow: i < n, a slice length
		if j1 >= n {
			break
		}
		j := j1 // left child
		if j2 := j1 + 1; j2 < n && h[j2].key < h[j1].key {
			j = j2
		}
		if !(h[j].key < h[i].key) {
			break
		}
		h[i], h[j] = h[j], h[i]
		i = j
	}
}

// searchPlan is a validated search.
type searchPlan struct {
	ctx       context.Context // checked per segment and every ctxCheckEvery candidates
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

// wantsData reports whether results carry a payload or vectors.
func (p *searchPlan) wantsData() bool { return p.wp.Enable || p.wv.Enable }

// Search returns the req.Limit points closest to the query vector (after
// skipping req.Offset), best first, with Qdrant's scores.
func (c *Collection) Search(ctx context.Context, req SearchRequest) ([]ScoredPoint, error) {
	release, err := c.core.limits.searchSlot(ctx) // storage.performance.max_search_threads
	if err != nil {
		return nil, err
	}
	defer release()
	sc := getScratch()
	defer sc.put()
	var p searchPlan
	if err := c.planSearch(req, &p, sc); err != nil {
		return nil, err
	}
	// Segment hits are read at the end: their views stay pinned until then.
	defer func() { releaseView(sc.views) }()
	p.ctx = ctx
	for _, s := range c.shards {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		s.search(&p, sc)
	}
	// A search stopped half-way has incomplete candidates: never return them.
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return finishSearch(sc, &p, req.Offset, req.Limit), nil
}

func (c *Collection) planSearch(req SearchRequest, p *searchPlan, sc *searchScratch) error {
	cfg := c.core.config()
	if err := checkPaging(req.Limit, req.Offset); err != nil {
		return err
	}
	if err := checkSearchParams(req.Params); err != nil {
		return err
	}
	if err := checkFilter(req.Filter); err != nil {
		return err
	}
	if err := checkThreshold(req.ScoreThreshold); err != nil {
		return err
	}
	vp, ok := cfg.Params.Vectors[req.Vector.Name]
	if !ok {
		return errBadRequest("Not existing vector name error: %s", vectorLabel(req.Vector.Name))
	}
	q, err := prepareQuery(req.Vector.Name, vp, req.Vector.Vector, sc.q[:0])
	if err != nil {
		return err
	}
	sc.q = q
	hc := cfg.hnswFor(req.Vector.Name)
	*p = searchPlan{name: req.Vector.Name, dist: vp.Distance, q: q,
		k: satAdd(req.Offset, req.Limit), ef: hc.EfConstruct, filter: req.Filter,
		threshold: float32(math.Inf(-1)), fullScan: fullScanPoints(hc, vp.Size),
		wp: withPayloadOr(req.WithPayload, false), wv: withVectorOr(req.WithVector)}
	if req.Params != nil {
		p.exact = req.Params.Exact
		if req.Params.HnswEf != nil {
			p.ef = *req.Params.HnswEf
		}
	}
	p.ef = max(p.ef, p.k)
	if t := req.ScoreThreshold; t != nil {
		p.threshold = scoreToKey(p.dist, *t)
	}
	return nil
}

// prepareQuery validates a query vector as stored vectors are (dimension,
// finite components) and appends it to dst, normalised for Cosine. The
// errors are prepareVectors'.
func prepareQuery(name string, vp VectorParams, v, dst []float32) ([]float32, error) {
	if len(v) != vp.Size {
		return nil, errBadRequest("Vector dimension error: expected dim: %d, got %d", vp.Size, len(v))
	}
	q := append(dst, v...)
	// Normalize fails only for a zero vector or one with a NaN or infinite
	// component, so a Cosine vector is scanned only then.
	if vp.Distance != point.Cosine || !simd.Normalize(q) {
		if i := nonFinite(q); i >= 0 {
			return nil, errBadRequest("vector %s of point %s has a NaN or infinite component at index %d",
				vectorLabel(name), point.ID{}, i)
		}
	}
	return q, nil
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

// finishSearch de-duplicates by id (highest version wins), ranks by key
// then id, applies offset and limit, converts keys to scores and reads the
// payload and vectors of the returned points only.
func finishSearch(sc *searchScratch, p *searchPlan, offset, limit int) []ScoredPoint {
	cands := sc.cands
	if sc.parts > 1 {
		cands = dedupeCandidates(cands)
	}
	slices.SortStableFunc(cands, func(a, b candidate) int {
		if a.key != b.key {
			if a.key > b.key {
				return -1
			}
			return 1
		}
		return point.Compare(a.id, b.id)
	})
	cands = cands[min(offset, len(cands)):]
	cands = cands[:min(limit, len(cands))]
	out := make([]ScoredPoint, len(cands))
	for i, c := range cands {
		out[i] = ScoredPoint{ID: c.id, Version: c.version, Score: keyToScore(p.dist, c.key)}
		if !p.wantsData() {
			continue
		}
		if c.seg != nil {
			out[i].Payload, out[i].Vector = segmentData(c.seg, c.off, p.wp, p.wv)
		} else {
			out[i].Payload, out[i].Vector = sc.recs[c.off].Payload, sc.recs[c.off].Vector
		}
	}
	return out
}

// dedupeCandidates keeps one candidate per id: the highest version, and among equal
// versions the highest key (the first one given on a tie), as ranking all
// candidates and keeping each id's first best version would. It reorders
// cands in place.
func dedupeCandidates(cands []candidate) []candidate {
	slices.SortStableFunc(cands, func(a, b candidate) int {
		if c := point.Compare(a.id, b.id); c != 0 {
			return c
		}
		if a.version != b.version {
			if a.version > b.version {
				return -1
			}
			return 1
		}
		if a.key != b.key {
			if a.key > b.key {
				return -1
			}
			return 1
		}
		return 0
	})
	out := cands[:0]
	for i, c := range cands {
		if i > 0 && c.id == cands[i-1].id {
			continue
		}
		out = append(out, c)
	}
	return out
}

// segmentData reads the asked payload and vectors of the point at off.
func segmentData(seg *segment.Segment, off uint32, wp WithPayload, wv WithVector) (payload.Payload, Vectors) {
	var vs Vectors
	if wv.Enable {
		vs = Vectors{}
		for _, sp := range seg.Specs() {
			if len(wv.Names) > 0 && !slices.Contains(wv.Names, sp.Name) {
				continue
			}
			if v := seg.Vector(sp.Name, off); v != nil {
				vs[sp.Name] = slices.Clone(v)
			}
		}
	}
	return shapePayload(seg.Payload(off), wp), vs
}

// search adds the shard's k best candidates of each of its parts to sc and
// leaves its segment views pinned in sc.views.
func (s *shard) search(p *searchPlan, sc *searchScratch) {
	first := s.searchHeads(p, sc)
	for _, sv := range sc.views[first:] {
		if stopped(p.ctx) {
			return
		}
		sv.search(p, sc)
	}
}

// searchHeads scans the heads and pins the segment views under the read
// lock (released on every path, panics included); it returns the index in
// sc.views of the shard's first view.
func (s *shard) searchHeads(p *searchPlan, sc *searchScratch) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var defs map[string]payload.FieldSchema
	if p.filter != nil {
		defs = s.core.indexDefs()
	}
	for _, m := range s.memTablesLocked() {
		if m != nil {
			searchMem(m, p, defs, sc)
		}
	}
	first := len(sc.views)
	sc.views = s.appendViewLocked(sc.views, defs)
	return first
}

// searchMem scans a memtable exactly. Caller holds the shard's mu.
func searchMem(m *memTable, p *searchPlan, defs map[string]payload.FieldSchema, sc *searchScratch) {
	si := specIndex(m.specs, p.name)
	n := m.slots()
	if si < 0 || n == 0 {
		return
	}
	t := sc.heap(min(p.k, n))
	dim := m.specs[si].Dim
	for start := 0; start < n && !stopped(p.ctx); start += scanChunk {
		end := min(n, start+scanChunk)
		out := sc.buf[:end-start]
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
	if len(t.items) > 0 {
		sc.parts++
	}
	for _, it := range t.items {
		c := candidate{key: it.key, version: m.versions[it.ref], id: m.ids[it.ref]}
		if p.wantsData() {
			// The head's vectors are only safe to read under the lock.
			c.off = uint32(len(sc.recs))
			sc.recs = append(sc.recs, record(m.pointAt(it.ref), p.wp, p.wv))
		}
		sc.cands = append(sc.cands, c)
	}
}

// search scores a pinned segment: by its HNSW graph when it has one for the
// vector and the plan allows, exactly otherwise.
func (sv segView) search(p *searchPlan, sc *searchScratch) {
	seg := sv.h.seg
	block, dim := seg.Vectors(p.name)
	if block == nil || seg.Len() == 0 {
		return
	}
	var mt *payload.Matcher
	if p.filter != nil {
		mt = payload.Plan(p.filter, sv.source())
	}
	// No part holds more than its points: k and ef are capped by them.
	t := sc.heap(min(p.k, seg.Len()))
	if g := sv.h.graphs[p.name]; g != nil && !p.exact && sv.useGraph(mt, p) {
		sv.searchGraph(g, mt, p, sc)
	} else {
		sv.scan(block, dim, mt, p, sc)
	}
	if len(t.items) > 0 {
		sc.parts++
	}
	for _, it := range t.items {
		off := uint32(it.ref)
		sc.cands = append(sc.cands, candidate{key: it.key, version: seg.Version(off), id: seg.ID(off), seg: seg, off: off})
	}
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

func (sv segView) searchGraph(g *hnsw.Graph, mt *payload.Matcher, p *searchPlan, sc *searchScratch) {
	var accept func(i uint32) bool
	// Without a filter or deletions there is nothing to reject: the graph
	// holds only points with the vector.
	if mt != nil || sv.h.deletedCount(sv.del) > 0 {
		seg, del := sv.h.seg, sv.del
		accept = func(i uint32) bool {
			return !del.Has(int(i)) && seg.HasVector(p.name, i) && (mt == nil || mt.Match(i))
		}
	}
	n := sv.h.seg.Len()
	sc.nbrs = g.Search(sc.sr, p.q, min(p.k, n), min(p.ef, n), accept, sc.nbrs[:0])
	for _, nb := range sc.nbrs {
		key := -nb.Dist
		if key >= p.threshold {
			sc.top.add(key, int(nb.ID))
		}
	}
}

func (sv segView) scan(block []float32, dim int, mt *payload.Matcher, p *searchPlan, sc *searchScratch) {
	seg, t := sv.h.seg, &sc.top
	if mt != nil {
		if offs, ok := mt.Candidates(); ok && len(offs) <= seg.Len()/2 {
			sv.scanCandidates(block, dim, offs, mt, p, t)
			return
		}
	}
	n := seg.Len()
	for start := 0; start < n && !stopped(p.ctx); start += scanChunk {
		end := min(n, start+scanChunk)
		out := sc.buf[:end-start]
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
	for i, off := range offs {
		if i%ctxCheckEvery == 0 && stopped(p.ctx) {
			return
		}
		if sv.del.Has(int(off)) || !seg.HasVector(p.name, off) || !mt.Match(off) {
			continue
		}
		scoreBatch(p.dist, p.q, block[int(off)*dim:(int(off)+1)*dim], out[:])
		if out[0] >= p.threshold {
			t.add(out[0], int(off))
		}
	}
}
