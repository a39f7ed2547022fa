package server

import (
	"bytes"
	"context"
	"fmt"

	"github.com/labstack/echo/v4"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/payload"
)

// queryExpr is Qdrant's QueryInterface in the forms Cairn serves: a
// vector or point id (nearest), {"nearest": ...}, {"recommend": ...} and
// {"fusion": "rrf"|"dbsf"}, {"discover": ...} and {"context": ...}.
type queryExpr struct {
	kind      engine.QueryKind
	nearest   exampleIn
	recommend recommendSpec
	fusion    string
	rrf       engine.RRFParams
	orderBy   *engine.OrderBy
	sample    string
	formula   *engine.Formula
	mmr       *engine.MMR
	feedback  engine.RelevanceFeedbackInput
	discover  engine.DiscoverInput
	context   []engine.ContextPair
}

// UnmarshalJSON reads one query expression.
func (q *queryExpr) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		q.kind = engine.QueryNearest
		return q.nearest.UnmarshalJSON(b)
	}
	var m map[string]rawJSON
	if err := (codec{}).unmarshal(b, &m); err != nil {
		return &fieldError{Field: "query", Msg: jsonErrorText(err)}
	}
	if _, sparse := m["indices"]; sparse {
		q.kind = engine.QueryNearest
		return q.nearest.UnmarshalJSON(b)
	}
	if f, isFormula := m["formula"]; isFormula {
		return q.decodeFormula(f, m)
	}
	if mm, hasMMR := m["mmr"]; hasMMR && len(m) == 2 && m["nearest"] != nil {
		q.kind = engine.QueryNearest
		if string(bytes.TrimSpace(mm)) != "null" {
			q.mmr = &engine.MMR{}
			if err := (codec{}).unmarshal(mm, q.mmr); err != nil {
				return &fieldError{Field: "query.mmr", Msg: jsonErrorText(err)}
			}
		}
		return q.nearest.UnmarshalJSON(m["nearest"])
	}
	if len(m) != 1 {
		return &fieldError{Field: "query", Msg: "expected exactly one of nearest, recommend, discover, context, order_by, sample, formula, relevance_feedback, fusion, rrf"}
	}
	for k, v := range m {
		switch k {
		case "nearest":
			q.kind = engine.QueryNearest
			return q.nearest.UnmarshalJSON(v)
		case "recommend":
			q.kind = engine.QueryRecommend
			if err := (codec{}).unmarshal(v, &q.recommend); err != nil {
				return &fieldError{Field: "query.recommend", Msg: jsonErrorText(err)}
			}
			return nil
		case "fusion":
			q.kind = engine.QueryFusion
			if err := (codec{}).unmarshal(v, &q.fusion); err != nil || (q.fusion != "rrf" && q.fusion != "dbsf") {
				return &fieldError{Field: "query.fusion", Msg: "unknown variant, expected one of `rrf`, `dbsf`"}
			}
			return nil
		case "rrf":
			q.kind, q.fusion = engine.QueryFusion, engine.FusionRRF
			return decodeRRF(v, &q.rrf)
		case "order_by":
			q.kind, q.orderBy = engine.QueryOrderBy, &engine.OrderBy{}
			if err := (codec{}).unmarshal(v, q.orderBy); err != nil {
				return &fieldError{Field: "query.order_by", Msg: jsonErrorText(err)}
			}
			return nil
		case "sample":
			q.kind = engine.QuerySample
			if err := (codec{}).unmarshal(v, &q.sample); err != nil || q.sample != engine.SampleRandom {
				return &fieldError{Field: "query.sample", Msg: "unknown variant, expected `random`"}
			}
			return nil
		case "relevance_feedback":
			q.kind = engine.QueryRelevanceFeedback
			return decodeFeedback(v, &q.feedback)
		case "discover":
			q.kind = engine.QueryDiscover
			var err error
			q.discover, err = decodeDiscover(v)
			return err
		case "context":
			q.kind = engine.QueryContext
			var err error
			q.context, err = decodeContext(v)
			return err
		default:
			return &fieldError{Field: "query", Msg: fmt.Sprintf("query `%s` is not supported by Cairn (supported: nearest, recommend, discover, context, order_by, sample, formula, relevance_feedback, fusion, rrf)", k)}
		}
	}
	return nil
}

// decodeFormula reads Qdrant's FormulaQuery: {"formula": expression,
// "defaults": {variable: value}}.
func (q *queryExpr) decodeFormula(f rawJSON, m map[string]rawJSON) error {
	q.kind, q.formula = engine.QueryFormula, &engine.Formula{Expr: &engine.Expr{}}
	for k := range m {
		if k != "formula" && k != "defaults" {
			return &fieldError{Field: "query", Msg: fmt.Sprintf("unknown field `%s`, expected `formula` or `defaults`", k)}
		}
	}
	if err := (codec{}).unmarshal(f, q.formula.Expr); err != nil {
		return &fieldError{Field: "query.formula", Msg: jsonErrorText(err)}
	}
	if d, ok := m["defaults"]; ok && string(bytes.TrimSpace(d)) != "null" {
		if err := (codec{}).unmarshal(d, &q.formula.Defaults); err != nil {
			return &fieldError{Field: "query.defaults", Msg: jsonErrorText(err)}
		}
	}
	return nil
}

// decodeFeedback reads Qdrant's RelevanceFeedbackInput: {"target",
// "feedback": [{"example", "score"}], "strategy": {"naive": {a, b, c}}}.
func decodeFeedback(b []byte, out *engine.RelevanceFeedbackInput) error {
	var in struct {
		Target   *exampleIn `json:"target"`
		Feedback *[]struct {
			Example *exampleIn `json:"example"`
			Score   *float32   `json:"score"`
		} `json:"feedback"`
		Strategy *struct {
			Naive *struct{ A, B, C *float32 } `json:"naive"`
		} `json:"strategy"`
	}
	if err := (codec{}).unmarshal(b, &in); err != nil {
		return &fieldError{Field: "query.relevance_feedback", Msg: jsonErrorText(err)}
	}
	missing := func(f string) error {
		return &fieldError{Field: "query.relevance_feedback", Msg: "missing field `" + f + "`"}
	}
	switch {
	case in.Target == nil:
		return missing("target")
	case in.Feedback == nil:
		return missing("feedback")
	case in.Strategy == nil || in.Strategy.Naive == nil:
		return missing("strategy")
	}
	n := in.Strategy.Naive
	if n.A == nil || n.B == nil || n.C == nil {
		return &fieldError{Field: "query.relevance_feedback.strategy.naive", Msg: "missing field `a`, `b` or `c`"}
	}
	out.Target, out.Naive = in.Target.input(), engine.NaiveFeedback{A: *n.A, B: *n.B, C: *n.C}
	for _, it := range *in.Feedback {
		if it.Example == nil || it.Score == nil {
			return &fieldError{Field: "query.relevance_feedback.feedback", Msg: "missing field `example` or `score`"}
		}
		out.Feedback = append(out.Feedback, engine.FeedbackItem{Example: it.Example.input(), Score: *it.Score})
	}
	return nil
}

// decodeRRF reads Qdrant's Rrf: {"k": K, "weights": [...]} (the engine
// checks k).
func decodeRRF(b []byte, out *engine.RRFParams) error {
	var in struct {
		K       *int      `json:"k"`
		Weights []float32 `json:"weights"`
	}
	if err := (codec{}).unmarshal(b, &in); err != nil {
		return &fieldError{Field: "query.rrf", Msg: jsonErrorText(err)}
	}
	out.K, out.Weights = in.K, in.Weights
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
	budget := col.MaxQueryPrefetches() + 1
	pts, err := col.Query(c.Request().Context(), in.request(&budget))
	if err != nil {
		return err
	}
	return ok(c, queryResponse{Points: nonNil(pts)})
}

// queryBatch answers POST /points/query/batch; the engine bounds the
// prefetches of all its queries together.
func (s *Server) queryBatch(c echo.Context) error {
	return serveBatch(s, c, func(ctx context.Context, col *engine.Collection, qs []queryIn) ([]queryResponse, error) {
		reqs := make([]engine.QueryRequest, len(qs))
		budget := col.MaxQueryPrefetches() + 1
		for i := range qs {
			reqs[i] = qs[i].request(&budget)
		}
		res, err := col.QueryBatch(ctx, reqs)
		if err != nil {
			return nil, err
		}
		out := make([]queryResponse, len(res))
		for i, pts := range res {
			out[i] = queryResponse{Points: nonNil(pts)}
		}
		return out, nil
	})
}

// request returns the engine's form of a decoded query. budget is how
// many more prefetches to convert: set to one more than the engine's
// bound, a tree over it stays over it (and is refused) while a hostile
// fan-out is not copied in full.
func (q *queryIn) request(budget *int) engine.QueryRequest {
	r := engine.QueryRequest{
		Using: q.Using, Filter: q.Filter, Params: q.Params, ScoreThreshold: q.ScoreThreshold,
		Limit: q.Limit, Offset: q.Offset, WithPayload: q.WithPayload,
		WithVector: vectorSelector(q.WithVector, q.WithVectors), LookupFrom: q.LookupFrom,
	}
	if q.Query != nil {
		r.Query = &engine.QueryExpr{Kind: q.Query.kind, Nearest: q.Query.nearest.input(), MMR: q.Query.mmr,
			Recommend: q.Query.recommend.input(), Fusion: q.Query.fusion, RRF: q.Query.rrf, OrderBy: q.Query.orderBy, Sample: q.Query.sample, Formula: q.Query.formula, Feedback: q.Query.feedback,
			Discover: q.Query.discover, Context: q.Query.context}
	}
	if n := min(len(q.Prefetch), max(*budget, 0)); n > 0 {
		*budget -= n
		r.Prefetch = make([]engine.QueryRequest, n)
		for i := range n {
			r.Prefetch[i] = q.Prefetch[i].request(budget)
		}
	}
	return r
}
