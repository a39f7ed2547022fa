package engine

import (
	"context"

	"github.com/cairn-db/cairn/point"
)

// MaxMMRCandidates is Qdrant's bound on mmr.candidates_limit.
const MaxMMRCandidates = 16384

// DefaultMMRDiversity is Qdrant's diversity when mmr sets none.
const DefaultMMRDiversity = 0.5

// MMR is Qdrant's Mmr of a nearest query: re-rank the nearest
// CandidatesLimit points (nil: the query's limit) by Maximal Marginal
// Relevance with λ = 1 − Diversity (nil: DefaultMMRDiversity).
type MMR struct {
	Diversity       *float32 `json:"diversity"`
	CandidatesLimit *int     `json:"candidates_limit"`
}

// check refuses Qdrant's out-of-range parameters.
func (m *MMR) check() error {
	if d := m.Diversity; d != nil && !(*d >= 0 && *d <= 1) {
		return errInvalid("diversity", "value %v invalid, must be from 0.0 to 1.0", *d)
	}
	if n := m.CandidatesLimit; n != nil && (*n < 0 || *n > MaxMMRCandidates) {
		return errInvalid("candidates_limit", "value %d invalid, must be from 0 to %d", *n, MaxMMRCandidates)
	}
	return nil
}

// mmrSearch answers a nearest query with mmr as Qdrant does: the nearest
// candidates (with their vectors), then a greedy selection starting from
// the most relevant candidate and adding, each round, the one maximising
// λ·sim(query, c) − (1 − λ)·max sim(c, selected), similarities being the
// distance's raw similarity (dot product, −squared distance, −L1). The
// points keep their search scores; fewer than two candidates pass as they
// are. Ties go to the earlier candidate.
func (c *Collection) mmrSearch(ctx context.Context, q *QueryRequest, base SearchRequest) ([]ScoredPoint, error) {
	m := q.Query.MMR
	if err := m.check(); err != nil {
		return nil, err
	}
	req, err := c.nearestSearch(ctx, q, base)
	if err != nil {
		return nil, err
	}
	final := satAdd(base.Offset, base.Limit)
	req.Limit, req.Offset = final, 0
	if m.CandidatesLimit != nil {
		req.Limit = *m.CandidatesLimit
	}
	if req.Limit == 0 {
		return nil, nil
	}
	req.WithPayload, req.WithVector = nil, &WithVector{Enable: true, Names: []string{q.Using}}
	cands, err := c.Search(ctx, req)
	if err != nil {
		return nil, err
	}
	vp := c.Config().Params.Vectors[q.Using]
	qv, err := prepareQuery(q.Using, vp, req.Vector.Vector, nil)
	if err != nil {
		return nil, err
	}
	kept := cands[:0]
	for _, p := range cands {
		if p.Vector[q.Using] != nil {
			kept = append(kept, p)
		}
	}
	lambda := float32(1) - DefaultMMRDiversity
	if m.Diversity != nil {
		lambda = 1 - *m.Diversity
	}
	sel := kept
	if len(kept) >= 2 {
		if sel, err = selectMMR(ctx, kept, q.Using, vp.Distance, qv, lambda, final); err != nil {
			return nil, err
		}
	}
	return c.withSelectors(ctx, pageOf(sel, base.Offset, base.Limit), base)
}

// selectMMR is the greedy MMR selection of up to limit of cands. Its
// quadratic work (up to MaxMMRCandidates² similarities) stops when ctx is
// done, with ctx's error.
func selectMMR(ctx context.Context, cands []ScoredPoint, using string, d point.Distance, qv []float32, lambda float32, limit int) ([]ScoredPoint, error) {
	n := len(cands)
	rel := make([]float32, n)
	for i, p := range cands {
		rel[i] = similarity(d, qv, p.Vector[using])
	}
	// maxSim[i] is candidate i's largest similarity to a selected point.
	maxSim := make([]float32, n)
	taken := make([]bool, n)
	var out []ScoredPoint
	pick := func(i int) {
		taken[i] = true
		out = append(out, cands[i])
		for j := range cands {
			if !taken[j] {
				s := similarity(d, cands[i].Vector[using], cands[j].Vector[using])
				if len(out) == 1 || s > maxSim[j] {
					maxSim[j] = s
				}
			}
		}
	}
	best := 0
	for i := range rel {
		if rel[i] > rel[best] {
			best = i
		}
	}
	pick(best)
	for len(out) < min(limit, n) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		best, bestScore := -1, float32(0)
		for i := range cands {
			if taken[i] {
				continue
			}
			s := lambda*rel[i] - (1-lambda)*maxSim[i]
			if best < 0 || s > bestScore {
				best, bestScore = i, s
			}
		}
		pick(best)
	}
	return out, nil
}
