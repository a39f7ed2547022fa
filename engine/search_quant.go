package engine

import (
	"math"

	"github.com/cairn-db/cairn/payload"
	"github.com/cairn-db/cairn/quant"
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
	var out [1]float32
	for _, it := range cand.items {
		key := it.key
		if p.quant.rescore {
			scoreBatch(p.dist, p.q, block[it.ref*dim:(it.ref+1)*dim], out[:])
			key = out[0]
		}
		if key >= p.threshold {
			t.add(key, it.ref)
		}
	}
}
