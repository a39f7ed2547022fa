package grpcapi

import (
	"math"

	"github.com/qdrant/go-client/qdrant"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/payload"
)

// searchParamsFromProto converts SearchParams. Quantization and ACORN
// hints are accepted as REST accepts them: Cairn has no quantization to
// tune, and its filtered search needs no hint.
func searchParamsFromProto(p *qdrant.SearchParams) *engine.SearchParams {
	if p == nil {
		return nil
	}
	out := &engine.SearchParams{Exact: p.GetExact(), IndexedOnly: p.GetIndexedOnly()}
	if p.HnswEf != nil {
		ef := uintToInt(*p.HnswEf)
		out.HnswEf = &ef
	}
	return out
}

// lookupFromProto converts a LookupLocation.
func lookupFromProto(l *qdrant.LookupLocation) (*engine.LookupLocation, error) {
	if l == nil {
		return nil, nil
	}
	if err := checkShardKey(l.GetShardKeySelector()); err != nil {
		return nil, err
	}
	return &engine.LookupLocation{Collection: l.GetCollectionName(), Vector: l.GetVectorName()}, nil
}

// strategyFromProto names a recommend strategy as the engine (and REST)
// spell it; the engine refuses those it lacks.
func strategyFromProto(s *qdrant.RecommendStrategy) (string, error) {
	if s == nil {
		return "", nil
	}
	switch *s {
	case qdrant.RecommendStrategy_AverageVector:
		return "average_vector", nil
	case qdrant.RecommendStrategy_BestScore:
		return "best_score", nil
	case qdrant.RecommendStrategy_SumScores:
		return "sum_scores", nil
	}
	return "", invalidArg("strategy: unknown variant `%d`, expected one of `average_vector`, `best_score`, `sum_scores`", *s)
}

// optUint converts an optional proto count to the engine's optional int.
func optUint(u *uint64) *int {
	if u == nil {
		return nil
	}
	n := uintToInt(*u)
	return &n
}

// queryExprFromProto converts a Query: every kind the engine serves, as
// REST's query decoding gives it; the engine validates the parameters.
func queryExprFromProto(q *qdrant.Query) (*engine.QueryExpr, error) {
	switch o := q.GetVariant().(type) {
	case nil:
		return nil, nil
	case *qdrant.Query_Nearest:
		in, err := vectorInputFromProto(o.Nearest)
		if err != nil {
			return nil, err
		}
		return &engine.QueryExpr{Kind: engine.QueryNearest, Nearest: in}, nil
	case *qdrant.Query_NearestWithMmr:
		in, err := vectorInputFromProto(o.NearestWithMmr.GetNearest())
		if err != nil {
			return nil, err
		}
		return &engine.QueryExpr{Kind: engine.QueryNearest, Nearest: in, MMR: mmrFromProto(o.NearestWithMmr.GetMmr())}, nil
	case *qdrant.Query_Recommend:
		return recommendQueryFromProto(o.Recommend)
	case *qdrant.Query_Fusion:
		switch o.Fusion {
		case qdrant.Fusion_RRF:
			return &engine.QueryExpr{Kind: engine.QueryFusion, Fusion: engine.FusionRRF}, nil
		case qdrant.Fusion_DBSF:
			return &engine.QueryExpr{Kind: engine.QueryFusion, Fusion: engine.FusionDBSF}, nil
		}
		return nil, invalidArg("query.fusion: unknown variant `%d`, expected one of `rrf`, `dbsf`", o.Fusion)
	case *qdrant.Query_Rrf:
		r := engine.RRFParams{Weights: o.Rrf.GetWeights()}
		if o.Rrf.K != nil {
			k := int(*o.Rrf.K)
			r.K = &k
		}
		return &engine.QueryExpr{Kind: engine.QueryFusion, Fusion: engine.FusionRRF, RRF: r}, nil
	case *qdrant.Query_Discover:
		target, err := vectorInputFromProto(o.Discover.GetTarget())
		if err != nil {
			return nil, err
		}
		pairs, err := contextFromProto(o.Discover.GetContext())
		if err != nil {
			return nil, err
		}
		return &engine.QueryExpr{Kind: engine.QueryDiscover, Discover: engine.DiscoverInput{Target: target, Context: pairs}}, nil
	case *qdrant.Query_Context:
		pairs, err := contextFromProto(o.Context)
		if err != nil {
			return nil, err
		}
		return &engine.QueryExpr{Kind: engine.QueryContext, Context: pairs}, nil
	case *qdrant.Query_OrderBy:
		ob, err := orderByFromProto(o.OrderBy)
		if err != nil {
			return nil, err
		}
		return &engine.QueryExpr{Kind: engine.QueryOrderBy, OrderBy: ob}, nil
	case *qdrant.Query_Sample:
		if o.Sample != qdrant.Sample_Random {
			return nil, invalidArg("query.sample: unknown variant `%d`, expected `random`", o.Sample)
		}
		return &engine.QueryExpr{Kind: engine.QuerySample, Sample: engine.SampleRandom}, nil
	case *qdrant.Query_Formula:
		f, err := formulaFromProto(o.Formula)
		if err != nil {
			return nil, err
		}
		return &engine.QueryExpr{Kind: engine.QueryFormula, Formula: f}, nil
	case *qdrant.Query_RelevanceFeedback:
		fb, err := feedbackFromProto(o.RelevanceFeedback)
		if err != nil {
			return nil, err
		}
		return &engine.QueryExpr{Kind: engine.QueryRelevanceFeedback, Feedback: fb}, nil
	}
	return nil, invalidArg("query: unknown query kind %T", q.GetVariant())
}

// recommendQueryFromProto converts a RecommendInput query.
func recommendQueryFromProto(r *qdrant.RecommendInput) (*engine.QueryExpr, error) {
	pos, err := vectorInputsFromProto(r.GetPositive())
	if err != nil {
		return nil, err
	}
	neg, err := vectorInputsFromProto(r.GetNegative())
	if err != nil {
		return nil, err
	}
	strat, err := strategyFromProto(r.Strategy)
	if err != nil {
		return nil, err
	}
	return &engine.QueryExpr{Kind: engine.QueryRecommend, Recommend: engine.RecommendInput{Positive: pos, Negative: neg, Strategy: strat}}, nil
}

// mmrFromProto converts an Mmr (nil: the engine's defaults).
func mmrFromProto(m *qdrant.Mmr) *engine.MMR {
	out := &engine.MMR{Diversity: m.Diversity}
	if m.CandidatesLimit != nil {
		n := int(*m.CandidatesLimit)
		out.CandidatesLimit = &n
	}
	return out
}

// contextFromProto converts the pairs of a ContextInput.
func contextFromProto(c *qdrant.ContextInput) ([]engine.ContextPair, error) {
	var out []engine.ContextPair
	for _, p := range c.GetPairs() {
		pos, err := vectorInputFromProto(p.GetPositive())
		if err != nil {
			return nil, err
		}
		neg, err := vectorInputFromProto(p.GetNegative())
		if err != nil {
			return nil, err
		}
		out = append(out, engine.ContextPair{Positive: pos, Negative: neg})
	}
	return out, nil
}

// feedbackFromProto converts a RelevanceFeedbackInput; target and the
// naive strategy are required, as REST requires them.
func feedbackFromProto(r *qdrant.RelevanceFeedbackInput) (engine.RelevanceFeedbackInput, error) {
	var out engine.RelevanceFeedbackInput
	if r.GetTarget() == nil {
		return out, invalidArg("query.relevance_feedback: missing field `target`")
	}
	n := r.GetStrategy().GetNaive()
	if n == nil {
		return out, invalidArg("query.relevance_feedback: missing field `strategy`")
	}
	var err error
	if out.Target, err = vectorInputFromProto(r.GetTarget()); err != nil {
		return out, err
	}
	out.Naive = engine.NaiveFeedback{A: n.GetA(), B: n.GetB(), C: n.GetC()}
	for _, it := range r.GetFeedback() {
		ex, err := vectorInputFromProto(it.GetExample())
		if err != nil {
			return out, err
		}
		out.Feedback = append(out.Feedback, engine.FeedbackItem{Example: ex, Score: it.GetScore()})
	}
	return out, nil
}

// queryNode holds the fields a QueryPoints and a PrefetchQuery share.
type queryNode struct {
	prefetch       []*qdrant.PrefetchQuery
	query          *qdrant.Query
	using          *string
	filter         *qdrant.Filter
	params         *qdrant.SearchParams
	scoreThreshold *float32
	limit          *uint64
	lookup         *qdrant.LookupLocation
}

// queryFromProto converts a QueryPoints request. budget is how many more
// prefetches to convert, as REST's request conversion: one more than the
// engine's bound, so a tree over it stays over it (and is refused by the
// engine) while a hostile fan-out is not copied in full.
func queryFromProto(q *qdrant.QueryPoints, budget *int) (engine.QueryRequest, error) {
	if err := checkShardKey(q.GetShardKeySelector()); err != nil {
		return engine.QueryRequest{}, err
	}
	if err := checkConsistency(q.GetReadConsistency()); err != nil {
		return engine.QueryRequest{}, err
	}
	r, err := convQueryNode(queryNode{q.GetPrefetch(), q.GetQuery(), q.Using, q.GetFilter(), q.GetParams(), q.ScoreThreshold, q.Limit, q.GetLookupFrom()}, budget)
	if err != nil {
		return r, err
	}
	r.Offset = optUint(q.Offset)
	r.WithPayload = withPayloadFromProto(q.GetWithPayload())
	r.WithVector = withVectorFromProto(q.GetWithVectors())
	return r, nil
}

// convQueryNode converts one node of the prefetch tree; the budget bounds
// the recursion (every level holds at least one prefetch).
func convQueryNode(n queryNode, budget *int) (engine.QueryRequest, error) {
	var r engine.QueryRequest
	var err error
	if r.Query, err = queryExprFromProto(n.query); err != nil {
		return r, err
	}
	if r.Filter, err = filterFromProto(n.filter); err != nil {
		return r, err
	}
	if r.LookupFrom, err = lookupFromProto(n.lookup); err != nil {
		return r, err
	}
	if n.using != nil {
		r.Using = *n.using
	}
	r.Params, r.ScoreThreshold, r.Limit = searchParamsFromProto(n.params), n.scoreThreshold, optUint(n.limit)
	if k := min(len(n.prefetch), max(*budget, 0)); k > 0 {
		*budget -= k
		r.Prefetch = make([]engine.QueryRequest, k)
		for i := range k {
			p := n.prefetch[i]
			sub := queryNode{p.GetPrefetch(), p.GetQuery(), p.Using, p.GetFilter(), p.GetParams(), p.ScoreThreshold, p.Limit, p.GetLookupFrom()}
			if r.Prefetch[i], err = convQueryNode(sub, budget); err != nil {
				return r, err
			}
		}
	}
	return r, nil
}

// orderByFromProto converts a scroll's OrderBy; start_from may be a
// number, a timestamp or a datetime string (compared as microseconds
// since the epoch, as the engine's order_by does).
func orderByFromProto(o *qdrant.OrderBy) (*engine.OrderBy, error) {
	if o == nil {
		return nil, nil
	}
	out := &engine.OrderBy{Key: o.GetKey(), Direction: "asc"}
	if o.Direction != nil {
		switch *o.Direction {
		case qdrant.Direction_Asc:
		case qdrant.Direction_Desc:
			out.Direction = "desc"
		default:
			return nil, invalidArg("order_by.direction: unknown variant `%d`, expected one of `asc`, `desc`", *o.Direction)
		}
	}
	var v float64
	switch s := o.GetStartFrom().GetValue().(type) {
	case nil:
		return out, nil
	case *qdrant.StartFrom_Float:
		v = s.Float
	case *qdrant.StartFrom_Integer:
		v = float64(s.Integer)
	case *qdrant.StartFrom_Timestamp:
		if err := s.Timestamp.CheckValid(); err != nil {
			return nil, invalidArg("order_by.start_from: %v", err)
		}
		v = float64(s.Timestamp.AsTime().UnixMicro())
	case *qdrant.StartFrom_Datetime:
		t, err := payload.ParseDatetime(s.Datetime)
		if err != nil {
			return nil, invalidArg("order_by.start_from: %q is not a datetime", s.Datetime)
		}
		v = float64(t.UnixMicro())
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil, invalidArg("order_by.start_from: expected a finite number")
	}
	out.StartFrom = &v
	return out, nil
}
