package engine

import (
	"github.com/cairn-db/cairn/hnsw"
	"github.com/cairn-db/cairn/payload"
)

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
		switch {
		case m == nil:
		case p.sparse != nil:
			searchMemSparse(m, p, defs, sc)
		default:
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
	if p.custom != nil {
		scanMemCustom(m, si, p, defs, t)
	} else {
		scanMem(m, si, p, defs, sc)
	}
	addMemCandidates(m, p, sc, t)
}

// scanMem scores every live point of the memtable having vector si into
// the heap. Caller holds the shard's mu.
func scanMem(m *memTable, si int, p *searchPlan, defs map[string]payload.FieldSchema, sc *searchScratch) {
	n, dim, t := m.slots(), m.specs[si].Dim, &sc.top
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
}

// search scores a pinned segment: by its HNSW graph when it has one for the
// vector and the plan allows, exactly otherwise.
func (sv segView) search(p *searchPlan, sc *searchScratch) {
	if p.sparse != nil {
		sv.searchSparse(p, sc)
		return
	}
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
	if p.custom != nil {
		sv.scanCustom(mt, p, t)
	} else if g := sv.h.graphs[p.name]; g != nil && !p.exact && sv.useGraph(mt, p) {
		sv.searchGraph(g, mt, p, sc)
	} else if qz := sv.h.quant[p.name]; qz != nil && !p.quant.ignore && !p.exact {
		sv.scanQuantized(qz, block, dim, mt, p, sc)
	} else {
		sv.scan(block, dim, mt, p, sc)
	}
	if len(t.items) > 0 {
		sc.parts++
	}
	for _, it := range t.items {
		off := uint32(it.ref)
		sc.cands = append(sc.cands, candidate{key: it.key, version: seg.Version(off), id: seg.ID(off), h: sv.h, off: off})
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
	if qz := sv.h.quant[p.name]; qz != nil && !p.quant.ignore {
		sv.searchGraphQuantized(g, qz, accept, p, sc)
		return
	}
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
