package engine

import (
	"context"

	"github.com/cairn-db/cairn/payload"
	"github.com/cairn-db/cairn/point"
)

// scrollAsQuery answers a query without a query: points in id order.
func (c *Collection) scrollAsQuery(ctx context.Context, base SearchRequest) ([]ScoredPoint, error) {
	res, err := c.Scroll(ctx, ScrollRequest{
		Limit: satAdd(base.Offset, base.Limit), Filter: base.Filter,
		WithPayload: orNoPayload(base.WithPayload), WithVector: base.WithVector,
	})
	if err != nil {
		return nil, err
	}
	out := make([]ScoredPoint, 0, len(res.Points))
	for _, r := range res.Points {
		out = append(out, ScoredPoint{ID: r.ID, Payload: r.Payload, Vector: r.Vector, Sparse: r.Sparse})
	}
	return pageOf(out, base.Offset, base.Limit), nil
}

func orNoPayload(w *WithPayload) *WithPayload {
	if w == nil {
		return &WithPayload{}
	}
	return w
}

// withSelectors fills payloads and vectors of fused or passed-through
// results as the top-level with_payload and with_vector ask.
func (c *Collection) withSelectors(ctx context.Context, pts []ScoredPoint, base SearchRequest) ([]ScoredPoint, error) {
	wantP := base.WithPayload != nil && base.WithPayload.Enable
	wantV := base.WithVector != nil && base.WithVector.Enable
	for i := range pts {
		pts[i].Payload, pts[i].Vector, pts[i].Sparse = nil, nil, nil
	}
	if len(pts) == 0 || (!wantP && !wantV) {
		return pts, nil
	}
	ids := make([]point.ID, len(pts))
	for i, p := range pts {
		ids[i] = p.ID
	}
	wv := WithVector{}
	if base.WithVector != nil {
		wv = *base.WithVector
	}
	recs, err := c.Get(ctx, ids, *orNoPayload(base.WithPayload), wv)
	if err != nil {
		return nil, err
	}
	byID := make(map[point.ID]Record, len(recs))
	for _, r := range recs {
		byID[r.ID] = r
	}
	for i := range pts {
		r := byID[pts[i].ID]
		pts[i].Payload, pts[i].Vector, pts[i].Sparse = r.Payload, r.Vector, r.Sparse
	}
	return pts, nil
}

// pageOf returns pts[offset:offset+limit], clipped.
func pageOf(pts []ScoredPoint, offset, limit int) []ScoredPoint {
	if offset >= len(pts) {
		return nil
	}
	pts = pts[offset:]
	if len(pts) > limit {
		pts = pts[:limit]
	}
	return pts
}

func applyThreshold(pts []ScoredPoint, t *float32) []ScoredPoint {
	if t == nil {
		return pts
	}
	out := pts[:0]
	for _, p := range pts {
		if p.Score >= *t {
			out = append(out, p)
		}
	}
	return out
}

// andFilter returns the conjunction of two optional filters.
func andFilter(a, b *payload.Filter) *payload.Filter {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	return &payload.Filter{Must: []payload.Condition{{Filter: a}, {Filter: b}}}
}

// higherIsBetter reports the score order of the vector a query uses.
func (c *Collection) higherIsBetter(using string) bool {
	if vp, found := c.Config().Params.Vectors[using]; found {
		return vp.Distance.HigherIsBetter()
	}
	return true
}

// scoreHigherIsBetter says whether a larger score is better in the
// results of query node q, from its own scoring: a nearest search or an
// average_vector recommendation in the order of its vector's distance,
// every other scoring (custom scores, fusions; scrolls, order_by and
// samples, whose scores are all equal) higher first.
func (c *Collection) scoreHigherIsBetter(q *QueryRequest) bool {
	if q.Query == nil {
		return true
	}
	switch q.Query.Kind {
	case QueryNearest:
		return c.higherIsBetter(q.Using)
	case QueryRecommend:
		if s := q.Query.Recommend.Strategy; s == "" || s == "average_vector" {
			return c.higherIsBetter(q.Using)
		}
	}
	return true
}

// idFilter returns f narrowed to the listed ids.
func idFilter(f *payload.Filter, ids []point.ID) *payload.Filter {
	out := &payload.Filter{Must: []payload.Condition{{HasID: &payload.HasID{IDs: ids}}}}
	if f != nil {
		out.Must = append(out.Must, payload.Condition{Filter: f})
	}
	return out
}

// excludeIDs returns f narrowed to points not among the examples' ids.
func excludeIDs(f *payload.Filter, ex []VectorInput) *payload.Filter {
	ids := exampleIDs(ex)
	if len(ids) == 0 {
		return f
	}
	out := &payload.Filter{MustNot: []payload.Condition{{HasID: &payload.HasID{IDs: ids}}}}
	if f != nil {
		out.Must = []payload.Condition{{Filter: f}}
	}
	return out
}
