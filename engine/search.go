package engine

import (
	"context"
	"math"
	"slices"

	"github.com/cairn-db/cairn/payload"
	"github.com/cairn-db/cairn/point"
	"github.com/cairn-db/cairn/simd"
)

// Scores are ranked by a key where higher is better: the similarity for
// Cosine and Dot, the negated squared distance for Euclid, the negated
// distance for Manhattan. Keys become Qdrant scores at the end.

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
	custom    *customQuery // a custom scoring; keys are then its scores
	quant     quantPlan    // how quantized segments are scored
	customMin *float32     // the score_threshold of a custom scoring
	// sparse, when set, is the sparse query (sorted, IDF-weighted when
	// the vector asks for it): q, ef, exact and fullScan are then unused.
	sparse *point.SparseVector
}

// wantsData reports whether results carry a payload or vectors.
func (p *searchPlan) wantsData() bool { return p.wp.Enable || p.wv.Enable }

// Search returns the req.Limit points closest to the query vector (after
// skipping req.Offset), best first, with Qdrant's scores.
func (c *Collection) Search(ctx context.Context, req SearchRequest) ([]ScoredPoint, error) {
	ctx, err := c.checkRead(ctx, false, req.strictCheck())
	if err != nil {
		return nil, err
	}
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
	if sp, ok := cfg.Params.SparseVectors[req.Vector.Name]; ok {
		return c.planSparse(req, sp, p)
	}
	if req.Vector.Sparse != nil {
		if _, ok := cfg.Params.Vectors[req.Vector.Name]; ok {
			return errBadRequest("Conversion between sparse and regular vectors failed")
		}
		return errBadRequest("Not existing vector name error: %s", vectorLabel(req.Vector.Name))
	}
	vp, ok := cfg.Params.Vectors[req.Vector.Name]
	if !ok {
		return errBadRequest("Not existing vector name error: %s", vectorLabel(req.Vector.Name))
	}
	var q []float32
	var custom *customQuery
	var err error
	if req.custom != nil {
		custom, err = req.custom.prepare(req.Vector.Name, vp)
	} else {
		q, err = prepareQuery(req.Vector.Name, vp, req.Vector.Vector, sc.q[:0])
		sc.q = q
	}
	if err != nil {
		return err
	}
	hc := cfg.hnswFor(req.Vector.Name)
	*p = searchPlan{name: req.Vector.Name, dist: vp.Distance, q: q,
		k: satAdd(req.Offset, req.Limit), ef: hc.EfConstruct, filter: req.Filter,
		threshold: float32(math.Inf(-1)), fullScan: fullScanPoints(hc, vp.Size),
		wp: withPayloadOr(req.WithPayload, false), wv: withVectorOr(req.WithVector), custom: custom,
		quant: planQuant(nil)}
	if req.Params != nil {
		p.exact = req.Params.Exact
		p.quant = planQuant(req.Params.Quantization)
		if req.Params.HnswEf != nil {
			p.ef = *req.Params.HnswEf
		}
	}
	p.ef = max(p.ef, p.k)
	if t := req.ScoreThreshold; t != nil && custom != nil {
		p.customMin = t
	} else if t != nil {
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
	slices.SortStableFunc(cands, func(a, b candidate) int { return bestFirst(a.key, a.id, b.key, b.id) })
	if p.customMin != nil {
		// Qdrant keeps the best results while they pass the threshold.
		n := 0
		for n < len(cands) && keepCustom(p.dist, cands[n].key, *p.customMin) {
			n++
		}
		cands = cands[:n]
	}
	cands = cands[min(offset, len(cands)):]
	cands = cands[:min(limit, len(cands))]
	out := make([]ScoredPoint, len(cands))
	for i, c := range cands {
		out[i] = ScoredPoint{ID: c.id, Version: c.version, Score: c.key}
		if p.custom == nil {
			out[i].Score = keyToScore(p.dist, c.key)
		}
		if !p.wantsData() {
			continue
		}
		if c.h != nil {
			out[i].Payload, out[i].Vector, out[i].Sparse = segmentData(c.h, c.off, p.wp, p.wv)
		} else {
			r := &sc.recs[c.off]
			out[i].Payload, out[i].Vector, out[i].Sparse = r.Payload, r.Vector, r.Sparse
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
func segmentData(h *segHandle, off uint32, wp WithPayload, wv WithVector) (payload.Payload, Vectors, SparseVectors) {
	seg := h.seg
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
	return shapePayload(seg.Payload(off), wp), vs, shapeSparse(h.sparseAt(off), wv)
}
