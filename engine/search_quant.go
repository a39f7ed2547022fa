package engine

import (
	"math"
	"unsafe"

	"github.com/cairn-db/cairn/hnsw"
	"github.com/cairn-db/cairn/payload"
	"github.com/cairn-db/cairn/quant"
	"github.com/cairn-db/cairn/simd"
)

// QuantizationSearchParams is Qdrant's params.quantization.
type QuantizationSearchParams struct {
	// Ignore searches the original vectors only.
	Ignore bool `json:"ignore,omitempty"`
	// Rescore re-scores the quantized candidates with the original vectors;
	// unset: rescore (Cairn always can: the originals are memory-mapped).
	Rescore *bool `json:"rescore,omitempty"`
	// Oversampling (>= 1, unset 1) multiplies the number of quantized
	// candidates kept for rescoring.
	Oversampling *float64 `json:"oversampling,omitempty"`
}

// quantPlan is params.quantization with Qdrant's defaults filled in.
type quantPlan struct {
	ignore       bool
	rescore      bool
	oversampling float64
}

func planQuant(q *QuantizationSearchParams) quantPlan {
	p := quantPlan{rescore: true, oversampling: 1}
	if q == nil {
		return p
	}
	p.ignore = q.Ignore
	if q.Rescore != nil {
		p.rescore = *q.Rescore
	}
	if q.Oversampling != nil {
		p.oversampling = *q.Oversampling
	}
	return p
}

// candidates returns how many quantized candidates to keep for k results.
func (qp quantPlan) candidates(k, n int) int {
	if !qp.rescore {
		return k
	}
	c := math.Ceil(float64(k) * qp.oversampling)
	if c >= float64(n) {
		return n
	}
	return max(k, int(c))
}

// searchGraphQuantized walks the HNSW graph on the int8 estimates, keeps
// the best k·oversampling (ef raised to that) and rescores them as
// scanQuantized does.
func (sv segView) searchGraphQuantized(g *hnsw.Graph, qz *quant.Scalar, accept func(uint32) bool, p *searchPlan, sc *searchScratch) {
	n := sv.h.seg.Len()
	qz.EncodeQuery(&sc.qq, p.q)
	k := p.quant.candidates(sc.top.k, n)
	// One kernel call per neighbour list, the code rows addressed directly
	// and prefetched together (quant.Scalar.Dists is -Key, bit for bit).
	dists := func(ids []uint32, ds []float32) { qz.Dists(&sc.qq, ids, ds) }
	sc.nbrs = g.SearchBatch(sc.sr, dists, k, min(max(p.ef, k), n), accept, sc.nbrs[:0])
	cand := &sc.qtop
	cand.k, cand.items = k, cand.items[:0]
	for _, nb := range sc.nbrs {
		cand.add(-nb.Dist, int(nb.ID))
	}
	block, dim := sv.h.seg.Vectors(p.name)
	sv.rescore(block, dim, p, sc)
}

// rescore moves the quantized candidates of sc.qtop into sc.top, with their
// exact keys unless rescoring is off, applying the score threshold.
func (sv segView) rescore(block []float32, dim int, p *searchPlan, sc *searchScratch) {
	var out [1]float32
	if p.quant.rescore && len(block) > 0 {
		// The candidates' vectors are scattered: start loading them all so
		// that their cache misses overlap (prefetching never faults).
		base := unsafe.Pointer(unsafe.SliceData(block))
		for _, it := range sc.qtop.items {
			simd.Prefetch(unsafe.Add(base, uintptr(it.ref)*uintptr(dim)*4))
		}
	}
	for _, it := range sc.qtop.items {
		key := it.key
		if p.quant.rescore {
			scoreBatch(p.dist, p.q, block[it.ref*dim:(it.ref+1)*dim], out[:])
			key = out[0]
		}
		if key >= p.threshold {
			sc.top.add(key, it.ref)
		}
	}
}

// scanQuantized scores every live point of the segment on its int8 codes,
// keeps the best k·oversampling and, unless rescoring is off, re-scores
// them with the original vectors into sc.top (whose k is the part's limit).
// The score threshold applies to the final keys.
func (sv segView) scanQuantized(qz *quant.Scalar, block []float32, dim int, mt *payload.Matcher, p *searchPlan, sc *searchScratch) {
	seg, t := sv.h.seg, &sc.top
	n := seg.Len()
	qz.EncodeQuery(&sc.qq, p.q)
	cand := &sc.qtop
	cand.k, cand.items = p.quant.candidates(t.k, n), cand.items[:0]
	visit := func(off uint32) {
		key := qz.Key(&sc.qq, off)
		if !cand.admits(key) || sv.del.Has(int(off)) || !seg.HasVector(p.name, off) {
			return
		}
		if mt != nil && !mt.Match(off) {
			return
		}
		cand.add(key, int(off))
	}
	offs, listed := []uint32(nil), false
	if mt != nil {
		offs, listed = mt.Candidates()
		listed = listed && len(offs) <= n/2
	}
	if listed {
		for i, off := range offs {
			if i%ctxCheckEvery == 0 && stopped(p.ctx) {
				return
			}
			visit(off)
		}
	} else {
		for off := range n {
			if off%ctxCheckEvery == 0 && stopped(p.ctx) {
				return
			}
			visit(uint32(off))
		}
	}
	sv.rescore(block, dim, p, sc)
}
