package engine

import (
	"context"
	"math"
	"math/rand/v2"

	"github.com/cairn-db/cairn/point"
)

// Sample methods of a QuerySample expression.
const (
	// SampleRandom is a uniform random sample of the matching points.
	SampleRandom = "random"
)

// orderScore is the score of the points an order_by or sample query
// returns, as Qdrant gives them (their order is not by score).
const orderScore = 1

// orderByQuery answers an order_by query node: the points matching
// base.Filter sorted by the payload key as a scroll with order_by sorts
// them (Collection.Scroll: the key needs a range index), each with its
// order_value, paged by offset and limit, filled as the selectors ask.
func (c *Collection) orderByQuery(ctx context.Context, ob *OrderBy, base SearchRequest) ([]ScoredPoint, error) {
	if ob == nil {
		return nil, errBadRequestText("Bad request: order_by needs a key")
	}
	wv := WithVector{}
	if base.WithVector != nil {
		wv = *base.WithVector
	}
	res, err := c.scrollOrdered(ctx, ScrollRequest{Filter: base.Filter, OrderBy: ob}, satAdd(base.Offset, base.Limit), *orNoPayload(base.WithPayload), wv)
	if err != nil {
		return nil, err
	}
	out := make([]ScoredPoint, len(res.Points))
	for i, r := range res.Points {
		out[i] = ScoredPoint{ID: r.ID, Score: orderScore, Payload: r.Payload, Vector: r.Vector, OrderValue: r.OrderValue}
	}
	return pageOf(out, base.Offset, base.Limit), nil
}

// sampleQuery answers a `sample: random` node: up to limit points drawn
// uniformly without replacement from those matching base.Filter, in the
// order drawn. Qdrant ignores the offset of a sample without prefetches
// (its output is not stable), so base.Offset is not applied.
func (c *Collection) sampleQuery(ctx context.Context, base SearchRequest) ([]ScoredPoint, error) {
	var ids []point.ID
	for _, s := range c.shards {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		for _, r := range s.scroll(ctx, nil, base.Filter, math.MaxInt, WithPayload{}, WithVector{}) {
			ids = append(ids, r.ID)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ids = c.sampleIDs(ids, base.Limit)
	out := make([]ScoredPoint, len(ids))
	for i, id := range ids {
		out[i] = ScoredPoint{ID: id, Score: orderScore}
	}
	return c.withSelectors(ctx, applyThreshold(out, base.ScoreThreshold), base)
}

// sampleIDs returns up to n of ids in a uniformly random order (a partial
// Fisher–Yates shuffle of ids, which it reorders), seeded by
// Options.SampleSeed when set.
func (c *Collection) sampleIDs(ids []point.ID, n int) []point.ID {
	seed := c.core.sampleSeed
	if seed == 0 {
		seed = rand.Uint64()
	}
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	n = min(n, len(ids))
	for i := range n {
		j := i + r.IntN(len(ids)-i)
		ids[i], ids[j] = ids[j], ids[i]
	}
	return ids[:n]
}

// rescoreOrdered answers an order_by or sample node over the union of its
// prefetches' results (ids): the node's ordering applied to those points.
func (c *Collection) rescoreOrdered(ctx context.Context, q *QueryRequest, ids []point.ID, base SearchRequest) ([]ScoredPoint, error) {
	if q.Query.Kind == QueryOrderBy {
		base.Filter = idFilter(base.Filter, ids)
		return c.orderByQuery(ctx, q.Query.OrderBy, base)
	}
	ids = c.sampleIDs(ids, satAdd(base.Offset, base.Limit))
	out := make([]ScoredPoint, len(ids))
	for i, id := range ids {
		out[i] = ScoredPoint{ID: id, Score: orderScore}
	}
	return c.withSelectors(ctx, pageOf(applyThreshold(out, base.ScoreThreshold), base.Offset, base.Limit), base)
}
