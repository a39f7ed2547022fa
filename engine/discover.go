package engine

import (
	"context"

	"github.com/cairn-db/cairn/payload"
)

// ContextPair is Qdrant's ContextPair: an example to be nearer to
// (Positive) than to the other (Negative).
type ContextPair struct {
	Positive VectorInput
	Negative VectorInput
}

// DiscoverInput is Qdrant's DiscoverInput: a target and the context pairs
// constraining the search around it.
type DiscoverInput struct {
	Target  VectorInput
	Context []ContextPair
}

// DiscoverRequest is Qdrant's DiscoverRequest (the POST …/points/discover
// body). Without Target it is a context search; a nil Limit is a request
// without its required limit (refused); a nil Offset is 0.
type DiscoverRequest struct {
	Target      *VectorInput
	Context     []ContextPair
	Filter      *payload.Filter
	Params      *SearchParams
	Limit       *int
	Offset      *int
	WithPayload *WithPayload
	WithVector  *WithVector
	Using       string
	LookupFrom  *LookupLocation
}

// Discover answers Qdrant's discover request: with a target, each point
// scores its rank against the context pairs (+1 per pair whose positive it
// is nearer, −1 per pair whose negative) plus the scaled sigmoid of its
// similarity to the target; without one, the context search's loss (0 at
// best; see customQuery.score). Scoring is exact. The example points are
// left out of the results, unless looked up in another collection.
func (c *Collection) Discover(ctx context.Context, in DiscoverRequest) ([]ScoredPoint, error) {
	limit, offset, err := requiredPaging(in.Limit, in.Offset)
	if err != nil {
		return nil, err
	}
	if in.Target == nil && len(in.Context) == 0 {
		return nil, errBadRequestText("Bad request: target and/or context_pairs must be specified")
	}
	base := SearchRequest{Filter: in.Filter, Params: in.Params, Limit: limit, Offset: offset,
		WithPayload: in.WithPayload, WithVector: in.WithVector}
	req, err := c.discoverSearch(ctx, in.Target, in.Context, in.Using, in.LookupFrom, base)
	if err != nil {
		return nil, err
	}
	return c.Search(ctx, req)
}

// DiscoverBatch answers several discover requests in order (see RunBatch).
func (c *Collection) DiscoverBatch(ctx context.Context, reqs []DiscoverRequest) ([][]ScoredPoint, error) {
	checks := make([]readCheck, len(reqs))
	for i := range reqs {
		checks[i] = reqs[i].strictCheck()
	}
	ctx, err := c.checkRead(ctx, true, checks...)
	if err != nil {
		return nil, err
	}
	return RunBatch(ctx, reqs, func(ctx context.Context, r *DiscoverRequest) ([]ScoredPoint, error) {
		return c.Discover(ctx, *r)
	})
}

// discoverSearch resolves a discover (target set) or context (target nil)
// query into a search with its custom scoring.
func (c *Collection) discoverSearch(ctx context.Context, target *VectorInput, pairs []ContextPair, using string, lookup *LookupLocation, base SearchRequest) (SearchRequest, error) {
	what := "context"
	if target != nil {
		what = "discover"
	}
	if err := c.refuseSparse(what, using); err != nil {
		return base, err
	}
	var all []VectorInput
	if target != nil {
		all = append(all, *target)
	}
	for _, p := range pairs {
		all = append(all, p.Positive, p.Negative)
	}
	src, vecs, err := c.lookupExamples(ctx, using, lookup, all)
	if err != nil {
		return base, err
	}
	q := &customQuery{kind: customContext}
	if target != nil {
		q.kind, q.target, vecs = customDiscover, vecs[0], vecs[1:]
	}
	for i := 0; i < len(vecs); i += 2 {
		q.pos, q.neg = append(q.pos, vecs[i]), append(q.neg, vecs[i+1])
	}
	base.Vector, base.custom = NamedVector{Name: using}, q
	if src == c {
		base.Filter = excludeIDs(base.Filter, all)
	}
	return base, nil
}
