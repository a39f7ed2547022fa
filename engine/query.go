package engine

import (
	"context"
	"fmt"

	"github.com/cairn-db/cairn/payload"
	"github.com/cairn-db/cairn/point"
)

// DefaultQueryLimit is Qdrant's limit when a query or prefetch sets none.
const DefaultQueryLimit = 10

// DefaultMaxQueryPrefetches is Options.MaxQueryPrefetches when it is 0.
const DefaultMaxQueryPrefetches = 1024

// QueryKind says what a query expression asks for.
type QueryKind uint8

// The query expressions Cairn serves.
const (
	// QueryNearest searches with a vector, or with a stored point's vector.
	QueryNearest QueryKind = iota + 1
	// QueryRecommend searches with examples by a recommend strategy.
	QueryRecommend
	// QueryFusion combines the results of the prefetches.
	QueryFusion
	// QueryDiscover searches near a target within context pairs.
	QueryDiscover
	// QueryContext searches where the context pairs' positives overlap.
	QueryContext
	// QueryOrderBy lists the points matching the filter in the order of a
	// payload key (OrderBy), as a scroll with order_by does.
	QueryOrderBy
	// QuerySample lists a random sample of the points matching the filter.
	QuerySample
	// QueryFormula rescores the prefetches' results with a formula.
	QueryFormula
	// QueryRelevanceFeedback searches near a target corrected by judged
	// examples (Qdrant's naive feedback strategy).
	QueryRelevanceFeedback
)

// Fusion methods of a QueryFusion expression.
const (
	// FusionRRF is Reciprocal Rank Fusion.
	FusionRRF = "rrf"
	// FusionDBSF is Distribution-Based Score Fusion.
	FusionDBSF = "dbsf"
)

// VectorInput is Qdrant's VectorInput in its dense forms: a vector, or
// (ID set) the id of a stored point whose vector is used.
type VectorInput struct {
	ID     *point.ID
	Vector []float32
	// Sparse, when set, is a sparse query vector (Vector unused).
	Sparse *point.SparseVector
}

// RecommendInput is Qdrant's RecommendInput: examples to move towards
// (Positive) and away from (Negative). Strategy is "" or "average_vector"
// (one search with the average vector), "best_score" or "sum_scores"
// (Qdrant's custom scorings, computed exactly; see customQuery.score).
type RecommendInput struct {
	Positive []VectorInput
	Negative []VectorInput
	Strategy string
}

// QueryExpr is Qdrant's QueryInterface in the forms Cairn serves.
type QueryExpr struct {
	Kind      QueryKind
	Nearest   VectorInput            // QueryNearest
	MMR       *MMR                   // QueryNearest: re-rank by MMR when set
	Recommend RecommendInput         // QueryRecommend
	Fusion    string                 // QueryFusion: FusionRRF or FusionDBSF
	RRF       RRFParams              // QueryFusion with FusionRRF: {"rrf": {k, weights}}
	OrderBy   *OrderBy               // QueryOrderBy
	Sample    string                 // QuerySample: SampleRandom
	Formula   *Formula               // QueryFormula
	Feedback  RelevanceFeedbackInput // QueryRelevanceFeedback
	Discover  DiscoverInput          // QueryDiscover
	Context   []ContextPair          // QueryContext
}

// LookupLocation is Qdrant's LookupLocation: the collection (and vector)
// where example ids are looked up instead of the queried collection.
type LookupLocation struct {
	Collection string `json:"collection"`
	Vector     string `json:"vector"`
}

// QueryRequest is Qdrant's QueryRequest; a prefetch is one too (its
// Offset, WithPayload and WithVector are ignored). Nil pointers are fields
// the client did not set: Limit defaults to DefaultQueryLimit, Offset to 0.
type QueryRequest struct {
	Prefetch       []QueryRequest
	Query          *QueryExpr
	Using          string
	Filter         *payload.Filter
	Params         *SearchParams
	ScoreThreshold *float32
	Limit          *int
	Offset         *int
	WithPayload    *WithPayload
	WithVector     *WithVector
	LookupFrom     *LookupLocation
}

// Query answers Qdrant's universal query: it runs the prefetch tree
// (each prefetch a search or scroll of its own, the parent's filter
// applying to it too), then rescores the union of the prefetches' results
// with the query, fuses them, or (one prefetch, no query) passes them
// through; without prefetches it is a search, or a scroll without a
// query. Only the top level honours Offset and the selectors. A tree of
// more than Options.MaxQueryPrefetches prefetches, or nested deeper than
// MaxPrefetchDepth, is refused before any work.
func (c *Collection) Query(ctx context.Context, req QueryRequest) ([]ScoredPoint, error) {
	if err := c.checkPrefetches([]QueryRequest{req}); err != nil {
		return nil, err
	}
	if err := c.checkQueryTree(&req, true); err != nil {
		return nil, err
	}
	ctx, err := c.checkRead(ctx, false, queryChecks(nil, &req)...)
	if err != nil {
		return nil, err
	}
	return c.runQuery(ctx, &req, nil, true)
}

// QueryBatch answers several queries in order (see RunBatch); the
// prefetch bound applies to all their prefetches together.
func (c *Collection) QueryBatch(ctx context.Context, reqs []QueryRequest) ([][]ScoredPoint, error) {
	if err := c.checkPrefetches(reqs); err != nil {
		return nil, err
	}
	for i := range reqs {
		if err := c.checkQueryTree(&reqs[i], true); err != nil {
			return nil, err
		}
	}
	ctx, err := c.checkBatchQueries(ctx, reqs)
	if err != nil {
		return nil, err
	}
	return RunBatch(ctx, reqs, func(ctx context.Context, q *QueryRequest) ([]ScoredPoint, error) {
		return c.runQuery(ctx, q, nil, true)
	})
}

// MaxQueryPrefetches returns the prefetch bound of the collection's
// storage (Options.MaxQueryPrefetches). A transport converting a decoded
// prefetch tree need not convert more than one prefetch past it: Query
// refuses such a tree anyway.
func (c *Collection) MaxQueryPrefetches() int { return c.maxPrefetches() }

// maxPrefetches returns the prefetch bound of the collection's storage.
func (c *Collection) maxPrefetches() int {
	if c.core.maxPrefetches > 0 {
		return c.core.maxPrefetches
	}
	return DefaultMaxQueryPrefetches
}

// checkPrefetches refuses queries whose prefetches, all together, exceed
// the bound: each prefetch is a search of its own, so a fan-out of 10^5
// leaves would keep a core busy for minutes.
func (c *Collection) checkPrefetches(qs []QueryRequest) error {
	limit, n := c.maxPrefetches(), 0
	for i := range qs {
		if n = countPrefetches(&qs[i], n, limit); n > limit {
			return PrefetchLimitError(limit)
		}
		if prefetchDeeper(&qs[i], 0, MaxPrefetchDepth) {
			return PrefetchDepthError(MaxPrefetchDepth)
		}
	}
	return nil
}

// prefetchDeeper reports whether q's prefetches, q being at level depth,
// nest deeper than limit levels. It runs after countPrefetches has bounded
// the tree's size, so it visits at most the bound's nodes.
func prefetchDeeper(q *QueryRequest, depth, limit int) bool {
	if len(q.Prefetch) > 0 && depth+1 > limit {
		return true
	}
	for i := range q.Prefetch {
		if prefetchDeeper(&q.Prefetch[i], depth+1, limit) {
			return true
		}
	}
	return false
}

// PrefetchLimitError is the answer to a query request with more than limit
// prefetches; a transport that bounds them while decoding (REST's body
// scan) answers with it too.
func PrefetchLimitError(limit int) error {
	return errBadRequestText("Bad request: Limit exceeded: the request has more than %d prefetch queries. Help: reduce the number of prefetch queries to %d or below", limit, limit)
}

// MaxPrefetchDepth bounds how deeply prefetch queries nest (a query's own
// prefetches are level 1). Qdrant's JSON parser refuses bodies nested
// deeper than 128 levels, and each prefetch level in its list form takes
// two of them, so Qdrant serves no deeper tree than this; Query refuses a
// deeper one whatever the transport (REST's body scan refuses it before
// decoding too). Documented in docs/limits.md.
const MaxPrefetchDepth = 64

// PrefetchDepthError is the answer to a query whose prefetches nest deeper
// than limit levels; a transport that bounds them while decoding (REST's
// body scan) answers with it too.
func PrefetchDepthError(limit int) error {
	return errBadRequestText("Bad request: Limit exceeded: prefetch queries are nested deeper than %d levels. Help: nest prefetch queries %d levels deep or less", limit, limit)
}

// countPrefetches adds the prefetches of q's tree to n and returns the
// sum, stopping as soon as it passes limit.
func countPrefetches(q *QueryRequest, n, limit int) int {
	for i := range q.Prefetch {
		if n++; n > limit {
			return n
		}
		if n = countPrefetches(&q.Prefetch[i], n, limit); n > limit {
			return n
		}
	}
	return n
}

// runQuery answers one query node. The parent's filter applies to its
// prefetches too; only the top node honours offset and the selectors.
func (c *Collection) runQuery(ctx context.Context, q *QueryRequest, parent *payload.Filter, top bool) ([]ScoredPoint, error) {
	limit, offset := DefaultQueryLimit, 0
	if q.Limit != nil {
		limit = *q.Limit
	}
	if q.Offset != nil && top {
		offset = *q.Offset
	}
	if err := checkPaging(limit, offset); err != nil {
		return nil, err
	}
	base := SearchRequest{Filter: andFilter(parent, q.Filter), Params: q.Params, Limit: limit, Offset: offset, ScoreThreshold: q.ScoreThreshold}
	if top {
		base.WithPayload, base.WithVector = q.WithPayload, q.WithVector
	}
	if len(q.Prefetch) > 0 {
		return c.runPrefetched(ctx, q, base)
	}
	if q.Query == nil {
		return c.scrollAsQuery(ctx, base)
	}
	switch q.Query.Kind {
	case QueryFusion:
		return nil, errBadRequestText("Bad request: fusion needs prefetch queries to combine")
	case QueryOrderBy:
		return c.orderByQuery(ctx, q.Query.OrderBy, base)
	case QuerySample:
		return c.sampleQuery(ctx, base)
	case QueryFormula:
		return nil, errBadRequest("cannot apply Formula without prefetches")
	}
	return c.searchExpr(ctx, q, base)
}

// searchExpr runs a nearest, recommend, discover or context expression as
// one search.
func (c *Collection) searchExpr(ctx context.Context, q *QueryRequest, base SearchRequest) ([]ScoredPoint, error) {
	var req SearchRequest
	var err error
	switch q.Query.Kind {
	case QueryRecommend:
		req, err = c.recommendSearch(ctx, q.Query.Recommend, q.Using, q.LookupFrom, base)
	case QueryDiscover:
		req, err = c.discoverSearch(ctx, &q.Query.Discover.Target, q.Query.Discover.Context, q.Using, q.LookupFrom, base)
	case QueryContext:
		req, err = c.discoverSearch(ctx, nil, q.Query.Context, q.Using, q.LookupFrom, base)
	case QueryRelevanceFeedback:
		req, err = c.feedbackSearch(ctx, q.Query.Feedback, q.Using, q.LookupFrom, base)
	case QueryNearest:
		if q.Query.MMR != nil {
			return c.mmrSearch(ctx, q, base)
		}
		req, err = c.nearestSearch(ctx, q, base)
	default:
		req, err = c.nearestSearch(ctx, q, base)
	}
	if err != nil {
		return nil, err
	}
	return c.Search(ctx, req)
}

// nearestSearch resolves a nearest query; a point id searches with that
// point's vector and leaves the point out of the results.
func (c *Collection) nearestSearch(ctx context.Context, q *QueryRequest, base SearchRequest) (SearchRequest, error) {
	ex := q.Query.Nearest
	if ex.ID == nil {
		base.Vector = NamedVector{Name: q.Using, Vector: ex.Vector, Sparse: ex.Sparse}
		return base, nil
	}
	src, name, err := c.lookupSource(q.Using, q.LookupFrom)
	if err != nil {
		return base, err
	}
	if _, sparse := src.core.config().Params.SparseVectors[name]; sparse {
		v, err := sparseOfPoint(ctx, src, name, *ex.ID)
		if err != nil {
			return base, err
		}
		base.Vector = NamedVector{Name: q.Using, Sparse: &v}
		if src == c {
			base.Filter = excludeIDs(base.Filter, []VectorInput{ex})
		}
		return base, nil
	}
	vecs, err := resolveExamples(ctx, src, name, []VectorInput{ex})
	if err != nil {
		return base, err
	}
	base.Vector = NamedVector{Name: q.Using, Vector: vecs[0]}
	if src == c {
		base.Filter = excludeIDs(base.Filter, []VectorInput{ex})
	}
	return base, nil
}

// runPrefetched runs the prefetches, then rescores their union with the
// query, fuses them, or (one prefetch, no query) passes it through.
func (c *Collection) runPrefetched(ctx context.Context, q *QueryRequest, base SearchRequest) ([]ScoredPoint, error) {
	lists := make([][]ScoredPoint, len(q.Prefetch))
	for i := range q.Prefetch {
		res, err := c.runQuery(ctx, &q.Prefetch[i], base.Filter, false)
		if err != nil {
			return nil, fmt.Errorf("prefetch[%d]: %w", i, err)
		}
		lists[i] = res
	}
	switch {
	case q.Query == nil: // refused by checkQueryLevel; kept for callers that skip it
		return nil, errBadRequestText("Bad request: A query is needed to merge the prefetches. Can't have prefetches without defining a query.")
	case q.Query.Kind == QueryFusion:
		if w := q.Query.RRF.Weights; q.Query.Fusion == FusionRRF && w != nil && len(w) != len(lists) {
			return nil, errBadRequest("Number of weights in RRF should match number of pre-fetches: got %d, expected %d", len(w), len(lists))
		}
		orders := make([]bool, len(q.Prefetch))
		for i := range q.Prefetch {
			orders[i] = c.scoreHigherIsBetter(&q.Prefetch[i])
		}
		fused := Fuse(q.Query.Fusion, q.Query.RRF, lists, orders)
		fused = applyThreshold(fused, q.ScoreThreshold)
		return c.withSelectors(ctx, pageOf(fused, base.Offset, base.Limit), base)
	}
	var ids []point.ID
	seen := map[point.ID]bool{}
	for _, l := range lists {
		for _, p := range l {
			if !seen[p.ID] {
				seen[p.ID] = true
				ids = append(ids, p.ID)
			}
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	switch q.Query.Kind {
	case QueryOrderBy, QuerySample:
		return c.rescoreOrdered(ctx, q, ids, base)
	case QueryFormula:
		return c.rescoreFormula(ctx, q.Query.Formula, lists, ids, base)
	}
	base.Filter = idFilter(base.Filter, ids)
	inner := *q
	inner.Prefetch = nil
	return c.searchExpr(ctx, &inner, base)
}
