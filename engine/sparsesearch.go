package engine

import (
	"math"

	"github.com/cairn-db/cairn/payload"
	"github.com/cairn-db/cairn/point"
	"github.com/cairn-db/cairn/sparse"
)

// planSparse fills p for a search with a sparse query vector (or with a
// dense one on a sparse name, refused): the query validated and sorted,
// and with modifier idf each value weighted by its index's IDF over the
// collection's live points (sparseStats). Scores are the dot product over
// the indices the query and a point share, as Qdrant scores sparse vectors.
func (c *Collection) planSparse(req SearchRequest, sp SparseVectorParams, p *searchPlan) error {
	if req.Vector.Sparse == nil {
		return errBadRequest("Conversion between sparse and regular vectors failed")
	}
	if field, err := req.Vector.Sparse.Check(); err != nil {
		return errBadRequestText("Validation error in JSON body: [vector.%s: Validation error: %v [{}]]", field, err)
	}
	q := req.Vector.Sparse.Sorted()
	if sp.idf() {
		n, df := c.sparseStats(req.Vector.Name, q.Indices)
		for i := range q.Values {
			q.Values[i] *= idfWeight(df[i], n)
		}
	}
	*p = searchPlan{name: req.Vector.Name, dist: point.Dot, sparse: &q,
		k: satAdd(req.Offset, req.Limit), filter: req.Filter, threshold: float32(math.Inf(-1)),
		wp: withPayloadOr(req.WithPayload, false), wv: withVectorOr(req.WithVector)}
	if t := req.ScoreThreshold; t != nil {
		p.threshold = *t
	}
	return nil
}

// sparseStats returns the collection's statistics of the sparse vector
// name that IDF needs: n, the live points having the vector, and for each
// of terms the live points having a value for it. Each shard is counted
// under its read lock.
func (c *Collection) sparseStats(name string, terms []uint32) (int, []int) {
	df := make([]int, len(terms))
	n := 0
	for _, s := range c.shards {
		n += s.sparseStats(name, terms, df)
	}
	return n, df
}

// sparseStats adds the shard's document frequencies of terms to df and
// returns its number of live points having the vector (read lock,
// released on every path).
func (s *shard) sparseStats(name string, terms []uint32, df []int) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n := 0
	for _, m := range s.memTablesLocked() {
		if m == nil || m.sparse[name] == nil {
			continue
		}
		ms := m.sparse[name]
		for slot := range ms.vecs {
			if m.live[slot] {
				n++
			}
		}
		for i, t := range terms {
			for _, po := range ms.post[t] {
				if m.live[po.slot] {
					df[i]++
				}
			}
		}
	}
	for _, h := range s.segs {
		ix := h.sparse[name]
		if ix == nil {
			continue
		}
		del := h.deleted.Load()
		dirty := h.deletedCount(del) > 0
		n += ix.Count()
		if dirty {
			for off := range ix.Len() {
				if del.Has(off) && ix.Has(uint32(off)) {
					n--
				}
			}
		}
		for i, t := range terms {
			offs, _ := ix.Postings(t)
			if !dirty {
				df[i] += len(offs)
				continue
			}
			for _, off := range offs {
				if !del.Has(int(off)) {
					df[i]++
				}
			}
		}
	}
	return n
}

// searchMemSparse scores a memtable's live points that share an index with
// the query, from the memtable's postings. Caller holds the shard's mu.
func searchMemSparse(m *memTable, p *searchPlan, defs map[string]payload.FieldSchema, sc *searchScratch) {
	ms := m.sparse[p.name]
	if ms == nil {
		return
	}
	acc := sparse.GetAccumulator(m.slots())
	defer acc.Put()
	for i, t := range p.sparse.Indices {
		w := p.sparse.Values[i]
		for _, po := range ms.post[t] {
			if m.live[po.slot] {
				acc.Add(uint32(po.slot), w*po.val)
			}
		}
	}
	t := sc.heap(min(p.k, len(acc.Touched)))
	for i, slot := range acc.Ordered() {
		if i%ctxCheckEvery == 0 && stopped(p.ctx) {
			return
		}
		key := acc.Score(slot)
		if key < p.threshold || !t.admits(key) {
			continue
		}
		if p.filter != nil && !m.match(p.filter, int(slot), defs) {
			continue
		}
		t.add(key, int(slot))
	}
	addMemCandidates(m, p, sc, t)
}

// addMemCandidates moves a memtable's best hits from t into sc.
func addMemCandidates(m *memTable, p *searchPlan, sc *searchScratch, t *topK) {
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

// searchSparse scores a pinned segment's live points that share an index
// with the query by accumulating over the postings of the query's indices
// in its inverted index (never a scan of all points), then applies the
// filter to the points scored.
func (sv segView) searchSparse(p *searchPlan, sc *searchScratch) {
	ix := sv.h.sparse[p.name]
	seg := sv.h.seg
	if ix == nil || seg.Len() == 0 {
		return
	}
	var mt *payload.Matcher
	if p.filter != nil {
		mt = payload.Plan(p.filter, sv.source())
	}
	acc := sparse.GetAccumulator(seg.Len())
	defer acc.Put()
	ix.Accumulate(*p.sparse, acc)
	t := sc.heap(min(p.k, len(acc.Touched)))
	for i, off := range acc.Ordered() {
		if i%ctxCheckEvery == 0 && stopped(p.ctx) {
			return
		}
		key := acc.Score(off)
		if key < p.threshold || !t.admits(key) || sv.del.Has(int(off)) {
			continue
		}
		if mt != nil && !mt.Match(off) {
			continue
		}
		t.add(key, int(off))
	}
	if len(t.items) > 0 {
		sc.parts++
	}
	for _, it := range t.items {
		off := uint32(it.ref)
		sc.cands = append(sc.cands, candidate{key: it.key, version: seg.Version(off), id: seg.ID(off), h: sv.h, off: off})
	}
}
