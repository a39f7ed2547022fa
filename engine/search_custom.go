package engine

import (
	"math"

	"github.com/cairn-db/cairn/payload"
	"github.com/cairn-db/cairn/point"
	"github.com/cairn-db/cairn/simd"
)

// customKind says which of Qdrant's custom scorings a customQuery is.
type customKind uint8

// Qdrant's scorings other than nearest: each scores a stored vector by its
// similarities to several example vectors, and its scores are answered as
// computed (no distance post-processing).
const (
	customBestScore customKind = iota + 1 // recommend strategy best_score
	customSumScores                       // recommend strategy sum_scores
	customDiscover                        // discover: target and context pairs
	customContext                         // context: context pairs only
	customFeedback                        // relevance_feedback, naive strategy
)

// customQuery is a custom scoring with its (prepared) examples: Pos and
// Neg are the recommend examples or, for discover and context, the pairs
// (Pos[i], Neg[i]).
type customQuery struct {
	kind     customKind
	pos, neg [][]float32
	target   []float32
	// a and weights are the naive feedback strategy's: a weighs the target
	// similarity, weights[i] (confidence^b · c) the pair (pos[i], neg[i]).
	a       float32
	weights []float32
}

// similarity is Qdrant's raw similarity of two prepared vectors (its
// metric's score before post-processing): the dot product for Cosine and
// Dot, the negated squared distance for Euclid, the negated L1 distance
// for Manhattan. It is the key every search ranks by.
func similarity(d point.Distance, a, b []float32) float32 {
	switch d {
	case point.Euclid:
		return -simd.L2Squared(a, b)
	case point.Manhattan:
		return -simd.L1(a, b)
	}
	return simd.Dot(a, b)
}

// fastSigmoid is Qdrant's x / (1 + |x|), in (-1, 1).
func fastSigmoid(x float32) float32 { return x / (1 + float32(math.Abs(float64(x)))) }

// scaledFastSigmoid is fastSigmoid mapped into (0, 1).
func scaledFastSigmoid(x float32) float32 { return 0.5 * (fastSigmoid(x) + 1) }

// contextMargin is Qdrant's margin of a context pair: f32::EPSILON.
const contextMargin = float32(1.1920929e-07)

// score is the custom score of a stored vector v, as Qdrant computes it:
//   - best_score: the sigmoid of the best positive similarity if it beats
//     the best negative one, else minus the sigmoid of the best negative
//     (so every point nearer a negative ranks below every other);
//   - sum_scores: the sum of positive similarities minus the negative sum;
//   - discover: the rank (per pair +1 nearer its positive, −1 nearer its
//     negative, 0 on a tie) plus the scaled sigmoid of the target similarity;
//   - context: the sum over pairs of sigmoid(min(pos − neg − ε, 0)), 0 when
//     v is nearer the positive of every pair.
func (q *customQuery) score(d point.Distance, v []float32) float32 {
	switch q.kind {
	case customBestScore:
		bestPos, bestNeg := float32(math.Inf(-1)), float32(math.Inf(-1))
		for _, e := range q.pos {
			bestPos = max(bestPos, similarity(d, e, v))
		}
		for _, e := range q.neg {
			bestNeg = max(bestNeg, similarity(d, e, v))
		}
		if bestPos > bestNeg {
			return scaledFastSigmoid(bestPos)
		}
		return -scaledFastSigmoid(bestNeg)
	case customSumScores:
		var sp, sn float32
		for _, e := range q.pos {
			sp += similarity(d, e, v)
		}
		for _, e := range q.neg {
			sn += similarity(d, e, v)
		}
		return sp - sn
	case customDiscover:
		rank := 0
		for i := range q.pos {
			p, n := similarity(d, q.pos[i], v), similarity(d, q.neg[i], v)
			switch {
			case p > n:
				rank++
			case p < n:
				rank--
			}
		}
		return float32(rank) + scaledFastSigmoid(similarity(d, q.target, v))
	case customFeedback:
		score := q.a * similarity(d, q.target, v)
		for i := range q.pos {
			score += q.weights[i] * (similarity(d, q.pos[i], v) - similarity(d, q.neg[i], v))
		}
		return score
	}
	var loss float32
	for i := range q.pos {
		diff := similarity(d, q.pos[i], v) - similarity(d, q.neg[i], v) - contextMargin
		loss += fastSigmoid(min(diff, 0))
	}
	return loss
}

// prepare validates every example as a query vector of vp (dimension,
// finite components) and normalises it for Cosine, in place of copies.
func (q *customQuery) prepare(name string, vp VectorParams) (*customQuery, error) {
	out := &customQuery{kind: q.kind, a: q.a, weights: q.weights}
	prep := func(v []float32) ([]float32, error) { return prepareQuery(name, vp, v, nil) }
	var err error
	if q.target != nil {
		if out.target, err = prep(q.target); err != nil {
			return nil, err
		}
	}
	for _, src := range []struct {
		in  [][]float32
		dst *[][]float32
	}{{q.pos, &out.pos}, {q.neg, &out.neg}} {
		for _, v := range src.in {
			p, err := prep(v)
			if err != nil {
				return nil, err
			}
			*src.dst = append(*src.dst, p)
		}
	}
	return out, nil
}

// keepCustom reports whether a custom score passes a score_threshold:
// as Qdrant does, the threshold is read in the distance's order (at least
// it for Cosine and Dot, at most it for Euclid and Manhattan).
func keepCustom(d point.Distance, score, threshold float32) bool {
	if d == point.Euclid || d == point.Manhattan {
		return score <= threshold
	}
	return score >= threshold
}

// customTop keeps the k best (key, id) of a custom scan: a higher key,
// and among equal keys the smaller id, is better, so that the many equal
// scores of a context search (0 for every point in the best zone) keep the
// same points whatever the storage order. worse is a min-heap by that order.
type customTop struct {
	k     int
	items []customHit
}

type customHit struct {
	key float32
	id  point.ID
	ref int
}

// worse reports whether a ranks below b.
func (a customHit) worse(b customHit) bool {
	if a.key != b.key {
		return a.key < b.key
	}
	return point.Compare(a.id, b.id) > 0
}

func (t *customTop) add(h customHit) {
	if len(t.items) < t.k {
		t.items = append(t.items, h)
		for j := len(t.items) - 1; j > 0; {
			i := (j - 1) / 2
			if !t.items[j].worse(t.items[i]) {
				break
			}
			t.items[i], t.items[j] = t.items[j], t.items[i]
			j = i
		}
		return
	}
	if !t.items[0].worse(h) {
		return
	}
	t.items[0] = h
	for i, n := 0, len(t.items); ; {
		j := 2*i + 1
		if j >= n {
			break
		}
		if j+1 < n && t.items[j+1].worse(t.items[j]) {
			j++
		}
		if !t.items[j].worse(t.items[i]) {
			break
		}
		t.items[i], t.items[j] = t.items[j], t.items[i]
		i = j
	}
}

// flush hands the kept hits to the search's per-part heap (which has room
// for all of them).
func (t *customTop) flush(dst *topK) {
	for _, h := range t.items {
		dst.add(h.key, h.ref)
	}
}

// scanMemCustom scores a memtable's live points having vector si with the
// plan's custom query into the heap t. Caller holds the shard's mu.
func scanMemCustom(m *memTable, si int, p *searchPlan, defs map[string]payload.FieldSchema, t *topK) {
	top := customTop{k: t.k}
	defer top.flush(t)
	for slot := range m.slots() {
		if slot%ctxCheckEvery == 0 && stopped(p.ctx) {
			return
		}
		if !m.live[slot] || !m.has[si][slot] || (p.filter != nil && !m.match(p.filter, slot, defs)) {
			continue
		}
		top.add(customHit{p.custom.score(p.dist, m.vector(si, slot)), m.ids[slot], slot})
	}
}

// scanCustom scores a pinned segment's live points with the plan's custom
// query, exactly.
func (sv segView) scanCustom(mt *payload.Matcher, p *searchPlan, t *topK) {
	seg := sv.h.seg
	top := customTop{k: t.k}
	defer top.flush(t)
	for off := range seg.Len() {
		if off%ctxCheckEvery == 0 && stopped(p.ctx) {
			return
		}
		o := uint32(off)
		if sv.del.Has(off) || !seg.HasVector(p.name, o) || (mt != nil && !mt.Match(o)) {
			continue
		}
		top.add(customHit{p.custom.score(p.dist, seg.Vector(p.name, o)), seg.ID(o), off})
	}
}
