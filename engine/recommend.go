package engine

import (
	"context"

	"github.com/cairn-db/cairn/payload"
	"github.com/cairn-db/cairn/point"
)

// RecommendRequest is Qdrant's RecommendRequest. A nil Limit is a request
// without its required limit (refused); a nil Offset is 0.
type RecommendRequest struct {
	Positive       []VectorInput
	Negative       []VectorInput
	Strategy       string
	Filter         *payload.Filter
	Params         *SearchParams
	Limit          *int
	Offset         *int
	WithPayload    *WithPayload
	WithVector     *WithVector
	ScoreThreshold *float32
	Using          string
	LookupFrom     *LookupLocation
}

// Recommend answers a recommend request as one search: with Qdrant's
// average_vector strategy (the default) the query is avg(positive) +
// (avg(positive) − avg(negative)); best_score and sum_scores score every
// point by its similarities to the examples (customQuery.score). The
// example points themselves are left out of the results.
// Example ids are looked up in LookupFrom's collection when it is set.
func (c *Collection) Recommend(ctx context.Context, in RecommendRequest) ([]ScoredPoint, error) {
	req, err := c.recommendRequest(ctx, in)
	if err != nil {
		return nil, err
	}
	return c.Search(ctx, req)
}

// recommendRequest validates in and turns it into the search Recommend
// runs, its examples read.
func (c *Collection) recommendRequest(ctx context.Context, in RecommendRequest) (SearchRequest, error) {
	limit, offset, err := requiredPaging(in.Limit, in.Offset)
	if err != nil {
		return SearchRequest{}, err
	}
	base := SearchRequest{
		Filter: in.Filter, Params: in.Params, Limit: limit, Offset: offset,
		WithPayload: in.WithPayload, WithVector: in.WithVector, ScoreThreshold: in.ScoreThreshold,
	}
	rec := RecommendInput{Positive: in.Positive, Negative: in.Negative, Strategy: in.Strategy}
	if len(rec.Positive) == 0 && (rec.Strategy == "" || rec.Strategy == "average_vector") {
		// Qdrant's recommend routes check the examples before the query
		// API's average does, with their own text.
		return SearchRequest{}, errBadRequestText("Bad request: At least one positive vector ID required with this strategy")
	}
	return c.recommendSearch(ctx, rec, in.Using, in.LookupFrom, base)
}

// RecommendBatch answers several recommend requests in order (see
// RunBatch).
func (c *Collection) RecommendBatch(ctx context.Context, reqs []RecommendRequest) ([][]ScoredPoint, error) {
	checks := make([]readCheck, len(reqs))
	for i := range reqs {
		checks[i] = reqs[i].strictCheck()
	}
	ctx, err := c.checkRead(ctx, true, checks...)
	if err != nil {
		return nil, err
	}
	return RunBatch(ctx, reqs, func(ctx context.Context, r *RecommendRequest) ([]ScoredPoint, error) {
		return c.Recommend(ctx, *r)
	})
}

// recommendSearch turns examples into one search request (see Recommend):
// a search with the average vector, or a custom scoring for best_score
// and sum_scores, which may have negatives only.
func (c *Collection) recommendSearch(ctx context.Context, r RecommendInput, using string, lookup *LookupLocation, base SearchRequest) (SearchRequest, error) {
	var kind customKind
	switch r.Strategy {
	case "", "average_vector":
		if len(r.Positive) == 0 {
			return base, errBadRequestText("Wrong input: Validation failed: Positive vectors should not be empty with `average` strategy")
		}
	case "best_score":
		kind = customBestScore
	case "sum_scores":
		kind = customSumScores
	default:
		return base, errBadRequestText("Format error in JSON body: strategy: unknown variant `%s`, expected one of `average_vector`, `best_score`, `sum_scores`", r.Strategy)
	}
	if len(r.Positive) == 0 && len(r.Negative) == 0 {
		return base, errBadRequestText("Bad request: At least one positive or negative vector ID required with this strategy")
	}
	if err := c.refuseSparse("recommend", using); err != nil {
		return base, err
	}
	all := append(append([]VectorInput(nil), r.Positive...), r.Negative...)
	src, vecs, err := c.lookupExamples(ctx, using, lookup, all)
	if err != nil {
		return base, err
	}
	n := len(r.Positive)
	pos, neg := vecs[:n:n], vecs[n:]
	base.Vector = NamedVector{Name: using}
	if kind != 0 {
		base.custom = &customQuery{kind: kind, pos: pos, neg: neg}
	} else if base.Vector.Vector, err = averageVector(pos, neg); err != nil {
		return base, err
	}
	if src == c {
		base.Filter = excludeIDs(base.Filter, all)
	}
	return base, nil
}

// lookupExamples resolves lookup_from (see lookupSource) and returns the
// collection the example ids were read from and each example's vector.
func (c *Collection) lookupExamples(ctx context.Context, using string, lookup *LookupLocation, ex []VectorInput) (*Collection, [][]float32, error) {
	src, vecName, err := c.lookupSource(using, lookup)
	if err != nil {
		return nil, nil, err
	}
	vecs, err := resolveExamples(ctx, src, vecName, ex)
	if err != nil {
		return nil, nil, err
	}
	return src, vecs, nil
}

// lookupSource resolves lookup_from: the collection where example ids
// are looked up and the vector read from them; c and using without it.
func (c *Collection) lookupSource(using string, lookup *LookupLocation) (*Collection, string, error) {
	if lookup == nil || lookup.Collection == "" {
		return c, using, nil
	}
	if c.core.lookup == nil {
		return nil, "", ErrClosed
	}
	src, err := c.core.lookup(lookup.Collection)
	if err != nil {
		return nil, "", err
	}
	return src, lookup.Vector, nil
}

func exampleIDs(ex []VectorInput) []point.ID {
	var ids []point.ID
	for _, e := range ex {
		if e.ID != nil {
			ids = append(ids, *e.ID)
		}
	}
	return ids
}

// resolveExamples returns each example's vector, fetching ids from col.
func resolveExamples(ctx context.Context, col *Collection, name string, ex []VectorInput) ([][]float32, error) {
	ids := exampleIDs(ex)
	byID := map[point.ID][]float32{}
	if len(ids) > 0 {
		recs, err := col.Get(ctx, ids, WithPayload{}, WithVector{Enable: true, Names: []string{name}})
		if err != nil {
			return nil, err
		}
		for _, r := range recs {
			byID[r.ID] = r.Vector[name]
		}
	}
	out := make([][]float32, len(ex))
	for i, e := range ex {
		if e.ID == nil {
			out[i] = e.Vector
			continue
		}
		v, found := byID[*e.ID]
		if !found {
			return nil, errPointNotFound(e.ID)
		}
		if v == nil {
			return nil, errBadRequest("point %s has no vector %q", e.ID, name)
		}
		out[i] = v
	}
	return out, nil
}

func averageVector(pos, neg [][]float32) ([]float32, error) {
	dim := len(pos[0])
	for _, v := range append(append([][]float32(nil), pos...), neg...) {
		if len(v) != dim {
			return nil, errBadRequest("Vector dimension error: expected dim: %d, got %d", dim, len(v))
		}
	}
	avg := func(vs [][]float32) []float32 {
		out := make([]float32, dim)
		for _, v := range vs {
			for i, x := range v {
				out[i] += x
			}
		}
		for i := range out {
			out[i] /= float32(len(vs))
		}
		return out
	}
	p := avg(pos)
	if len(neg) == 0 {
		return p, nil
	}
	n := avg(neg)
	for i := range p {
		p[i] += p[i] - n[i]
	}
	return p, nil
}

// refuseSparse refuses a search Cairn scores on dense vectors only (what:
// recommend, discover, context) when using names a sparse vector, with a
// clear 400 instead of the dense path's unrelated "Not existing vector
// name" or "Conversion between sparse and regular vectors failed".
func (c *Collection) refuseSparse(what, using string) error {
	if _, sparse := c.core.config().Params.SparseVectors[using]; sparse {
		return errBadRequestText("Bad request: %s on sparse vector %s is not supported by Cairn", what, using)
	}
	return nil
}
