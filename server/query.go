package server

import (
	"bytes"
	"context"
	"fmt"

	"github.com/labstack/echo/v4"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/payload"
	"github.com/cairn-db/cairn/point"
)

// defaultQueryLimit is Qdrant's limit when a query or prefetch sets none.
const defaultQueryLimit = 10

// queryKind says what a query expression asks for.
type queryKind uint8

const (
	queryNearest queryKind = iota + 1
	queryRecommend
	queryFusion
)

// queryExpr is Qdrant's QueryInterface in the forms Cairn serves: a
// vector or point id (nearest), {"nearest": ...}, {"recommend": ...} and
// {"fusion": "rrf"|"dbsf"}.
type queryExpr struct {
	kind      queryKind
	nearest   exampleIn
	recommend recommendSpec
	fusion    string
}

// UnmarshalJSON reads one query expression.
func (q *queryExpr) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		q.kind = queryNearest
		return q.nearest.UnmarshalJSON(b)
	}
	var m map[string]rawJSON
	if err := (codec{}).unmarshal(b, &m); err != nil {
		return &fieldError{Field: "query", Msg: jsonErrorText(err)}
	}
	if _, sparse := m["indices"]; sparse {
		return &fieldError{Field: "query", Msg: "sparse vectors are not supported"}
	}
	if len(m) != 1 {
		return &fieldError{Field: "query", Msg: "expected exactly one of nearest, recommend, fusion"}
	}
	for k, v := range m {
		switch k {
		case "nearest":
			q.kind = queryNearest
			return q.nearest.UnmarshalJSON(v)
		case "recommend":
			q.kind = queryRecommend
			if err := (codec{}).unmarshal(v, &q.recommend); err != nil {
				return &fieldError{Field: "query.recommend", Msg: jsonErrorText(err)}
			}
			return nil
		case "fusion":
			q.kind = queryFusion
			if err := (codec{}).unmarshal(v, &q.fusion); err != nil || (q.fusion != "rrf" && q.fusion != "dbsf") {
				return &fieldError{Field: "query.fusion", Msg: "unknown variant, expected one of `rrf`, `dbsf`"}
			}
			return nil
		default:
			return &fieldError{Field: "query", Msg: fmt.Sprintf("query `%s` is not supported by Cairn (supported: nearest, recommend, fusion)", k)}
		}
	}
	return nil
}

// queryIn is Qdrant's QueryRequest; a Prefetch has the same fields minus
// offset and the selectors.
type queryIn struct {
	Prefetch       prefetchList         `json:"prefetch"`
	Query          *queryExpr           `json:"query"`
	Using          string               `json:"using"`
	Filter         *payload.Filter      `json:"filter"`
	Params         *engine.SearchParams `json:"params"`
	ScoreThreshold *float32             `json:"score_threshold"`
	Limit          *int                 `json:"limit"`
	Offset         *int                 `json:"offset"`
	WithPayload    *engine.WithPayload  `json:"with_payload"`
	WithVector     *engine.WithVector   `json:"with_vector"`
	WithVectors    *engine.WithVector   `json:"with_vectors"` // Qdrant's alias
	LookupFrom     *lookupIn            `json:"lookup_from"`
}

// prefetchList is a query's prefetches. Qdrant accepts one prefetch object
// or a list of them; normalizeQueryBody rewrites the object form as a list
// before the body is decoded, so the tree decodes in one pass.
type prefetchList []queryIn

// normalizeBody implements bodyNormalizer: it bounds the prefetch tree and
// writes single prefetch objects as lists.
func (*queryIn) normalizeBody(b []byte) ([]byte, error) { return normalizeQueryBody(b, false) }

type queryResponse struct {
	Points []engine.ScoredPoint `json:"points"`
}

func (s *Server) query(c echo.Context) error {
	col, err := s.collection(c)
	if err != nil {
		return err
	}
	var in queryIn
	if err := s.bind(c, &in); err != nil {
		return err
	}
	if err := checkPrefetches([]queryIn{in}); err != nil {
		return err
	}
	pts, err := s.runQuery(c.Request().Context(), col, &in, nil, true)
	if err != nil {
		return err
	}
	return ok(c, queryResponse{Points: nonNil(pts)})
}

// queryBatch answers POST /points/query/batch; MaxQueryPrefetches bounds
// the prefetches of all its queries together.
func (s *Server) queryBatch(c echo.Context) error {
	return serveBatch(s, c, checkPrefetches, func(ctx context.Context, col *engine.Collection, q *queryIn) (queryResponse, error) {
		pts, err := s.runQuery(ctx, col, q, nil, true)
		return queryResponse{Points: nonNil(pts)}, err
	})
}

// runQuery answers one query node. The parent's filter applies to its
// prefetches too; only the top node honours offset and the selectors.
func (s *Server) runQuery(ctx context.Context, col *engine.Collection, q *queryIn, parent *payload.Filter, top bool) ([]engine.ScoredPoint, error) {
	limit, offset := defaultQueryLimit, 0
	if q.Limit != nil {
		limit = *q.Limit
	}
	if q.Offset != nil && top {
		offset = *q.Offset
	}
	if err := checkPaging(limit, offset); err != nil {
		return nil, err
	}
	filter := andFilter(parent, q.Filter)
	base := engine.SearchRequest{Filter: filter, Params: q.Params, Limit: limit, Offset: offset, ScoreThreshold: q.ScoreThreshold}
	if top {
		base.WithPayload, base.WithVector = q.WithPayload, vectorSelector(q.WithVector, q.WithVectors)
	}
	if len(q.Prefetch) > 0 {
		return s.runPrefetched(ctx, col, q, base, top)
	}
	if q.Query == nil {
		return s.scrollAsQuery(ctx, col, base)
	}
	switch q.Query.kind {
	case queryFusion:
		return nil, badRequest("fusion needs prefetch queries to combine")
	case queryRecommend:
		req, err := s.recommendRequest(ctx, col, q.Query.recommend, q.Using, q.LookupFrom, base)
		if err != nil {
			return nil, err
		}
		return col.Search(ctx, req)
	}
	req, err := s.nearestRequest(ctx, col, q, base)
	if err != nil {
		return nil, err
	}
	return col.Search(ctx, req)
}

// nearestRequest resolves a nearest query; a point id searches with that
// point's vector and leaves the point out of the results.
func (s *Server) nearestRequest(ctx context.Context, col *engine.Collection, q *queryIn, base engine.SearchRequest) (engine.SearchRequest, error) {
	ex := q.Query.nearest
	if ex.ID == nil {
		base.Vector = engine.NamedVector{Name: q.Using, Vector: ex.Vector}
		return base, nil
	}
	src, name := col, q.Using
	if q.LookupFrom != nil && q.LookupFrom.Collection != "" {
		st, err := s.storage()
		if err != nil {
			return base, err
		}
		if src, err = st.Collection(q.LookupFrom.Collection); err != nil {
			return base, err
		}
		name = q.LookupFrom.Vector
	}
	vecs, err := resolveExamples(ctx, src, name, []exampleIn{ex})
	if err != nil {
		return base, err
	}
	base.Vector = engine.NamedVector{Name: q.Using, Vector: vecs[0]}
	if src == col {
		base.Filter = excludeIDs(base.Filter, []exampleIn{ex})
	}
	return base, nil
}

// runPrefetched runs the prefetches, then rescores their union with the
// query, fuses them, or (one prefetch, no query) passes it through.
func (s *Server) runPrefetched(ctx context.Context, col *engine.Collection, q *queryIn, base engine.SearchRequest, top bool) ([]engine.ScoredPoint, error) {
	lists := make([][]engine.ScoredPoint, len(q.Prefetch))
	for i := range q.Prefetch {
		res, err := s.runQuery(ctx, col, &q.Prefetch[i], base.Filter, false)
		if err != nil {
			return nil, fmt.Errorf("prefetch[%d]: %w", i, err)
		}
		lists[i] = res
	}
	switch {
	case q.Query == nil && len(lists) == 1:
		return s.withSelectors(ctx, col, page(lists[0], base.Offset, base.Limit), base)
	case q.Query == nil:
		return nil, badRequest("several prefetches need a query (e.g. {\"fusion\": \"rrf\"}) to combine them")
	case q.Query.kind == queryFusion:
		fused := fuse(q.Query.fusion, lists, higherIsBetter(col, q.Using))
		fused = applyThreshold(fused, q.ScoreThreshold)
		return s.withSelectors(ctx, col, page(fused, base.Offset, base.Limit), base)
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
	base.Filter = idFilter(base.Filter, ids)
	inner := *q
	inner.Prefetch = nil
	if q.Query.kind == queryRecommend {
		req, err := s.recommendRequest(ctx, col, q.Query.recommend, q.Using, q.LookupFrom, base)
		if err != nil {
			return nil, err
		}
		return col.Search(ctx, req)
	}
	req, err := s.nearestRequest(ctx, col, &inner, base)
	if err != nil {
		return nil, err
	}
	return col.Search(ctx, req)
}

// scrollAsQuery answers a query without a query: points in id order.
func (s *Server) scrollAsQuery(ctx context.Context, col *engine.Collection, base engine.SearchRequest) ([]engine.ScoredPoint, error) {
	res, err := col.Scroll(ctx, engine.ScrollRequest{
		Limit: satAdd(base.Offset, base.Limit), Filter: base.Filter,
		WithPayload: orNoPayload(base.WithPayload), WithVector: base.WithVector,
	})
	if err != nil {
		return nil, err
	}
	out := make([]engine.ScoredPoint, 0, len(res.Points))
	for _, r := range res.Points {
		out = append(out, engine.ScoredPoint{ID: r.ID, Payload: r.Payload, Vector: r.Vector})
	}
	return page(out, base.Offset, base.Limit), nil
}

func orNoPayload(w *engine.WithPayload) *engine.WithPayload {
	if w == nil {
		return &engine.WithPayload{}
	}
	return w
}

// withSelectors fills payloads and vectors of fused or passed-through
// results as the top-level with_payload and with_vector ask.
func (s *Server) withSelectors(ctx context.Context, col *engine.Collection, pts []engine.ScoredPoint, base engine.SearchRequest) ([]engine.ScoredPoint, error) {
	wantP := base.WithPayload != nil && base.WithPayload.Enable
	wantV := base.WithVector != nil && base.WithVector.Enable
	for i := range pts {
		pts[i].Payload, pts[i].Vector = nil, nil
	}
	if len(pts) == 0 || (!wantP && !wantV) {
		return pts, nil
	}
	ids := make([]point.ID, len(pts))
	for i, p := range pts {
		ids[i] = p.ID
	}
	recs, err := col.Get(ctx, ids, *orNoPayload(base.WithPayload), withVectorOf(base.WithVector))
	if err != nil {
		return nil, err
	}
	byID := make(map[point.ID]engine.Record, len(recs))
	for _, r := range recs {
		byID[r.ID] = r
	}
	for i := range pts {
		r := byID[pts[i].ID]
		pts[i].Payload, pts[i].Vector = r.Payload, r.Vector
	}
	return pts, nil
}

func withVectorOf(w *engine.WithVector) engine.WithVector {
	if w == nil {
		return engine.WithVector{}
	}
	return *w
}

func page(pts []engine.ScoredPoint, offset, limit int) []engine.ScoredPoint {
	if offset >= len(pts) {
		return nil
	}
	pts = pts[offset:]
	if len(pts) > limit {
		pts = pts[:limit]
	}
	return pts
}

func applyThreshold(pts []engine.ScoredPoint, t *float32) []engine.ScoredPoint {
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
func higherIsBetter(col *engine.Collection, using string) bool {
	if vp, found := col.Config().Params.Vectors[using]; found {
		return vp.Distance.HigherIsBetter()
	}
	return true
}
