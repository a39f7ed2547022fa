package grpcapi

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/grpc/codes"
)

// TestPointsQueryKindsMatchREST: every query kind the engine gained
// (discover, context, order_by, sample, formula, MMR, rrf with k and
// weights, relevance_feedback, recommend strategies) answers over gRPC
// what REST answers for the same request, order_value included.
func TestPointsQueryKindsMatchREST(t *testing.T) {
	e := newPointsEnv(t)
	ctx := context.Background()
	if _, err := e.cl.CreateFieldIndex(ctx, &qdrant.CreateFieldIndexCollection{CollectionName: "c", FieldName: "n",
		FieldType: qdrant.FieldType_FieldTypeInteger.Enum(), Wait: qdrant.PtrOf(true)}); err != nil {
		t.Fatal(err)
	}
	id := qdrant.NewVectorInputID
	num := qdrant.NewIDNum
	two := []*qdrant.PrefetchQuery{
		{Query: qdrant.NewQueryDense([]float32{1, 3, 9, 4}), Limit: qdrant.PtrOf(uint64(4))},
		{Query: qdrant.NewQueryDense([]float32{1, 6, 1, 1}), Limit: qdrant.PtrOf(uint64(4))}}
	twoJSON := `"prefetch":[{"query":[1,3,9,4],"limit":4},{"query":[1,6,1,1],"limit":4}]`
	cases := []struct {
		name     string
		q        *qdrant.QueryPoints
		rest     string
		ordered  bool // compare order_value
		anyOrder bool // a random sample: the same set only
	}{
		{"discover", &qdrant.QueryPoints{Query: qdrant.NewQueryDiscover(&qdrant.DiscoverInput{Target: id(num(2)),
			Context: &qdrant.ContextInput{Pairs: []*qdrant.ContextInputPair{{Positive: id(num(3)), Negative: id(num(5))}}}})},
			`{"query":{"discover":{"target":2,"context":[{"positive":3,"negative":5}]}}}`, false, false},
		{"context", &qdrant.QueryPoints{Query: qdrant.NewQueryContext(&qdrant.ContextInput{Pairs: []*qdrant.ContextInputPair{{Positive: id(num(3)), Negative: id(num(5))}}})},
			`{"query":{"context":[{"positive":3,"negative":5}]}}`, false, false},
		{"order_by", &qdrant.QueryPoints{Query: qdrant.NewQueryOrderBy(&qdrant.OrderBy{Key: "n", Direction: qdrant.Direction_Desc.Enum()}), Limit: qdrant.PtrOf(uint64(4))},
			`{"query":{"order_by":{"key":"n","direction":"desc"}},"limit":4}`, true, false},
		{"sample", &qdrant.QueryPoints{Query: qdrant.NewQuerySample(qdrant.Sample_Random), Limit: qdrant.PtrOf(uint64(10))},
			`{"query":{"sample":"random"},"limit":10}`, false, true},
		{"formula", &qdrant.QueryPoints{Prefetch: two[:1], Query: qdrant.NewQueryFormula(&qdrant.Formula{
			Expression: qdrant.NewExpressionSum(&qdrant.SumExpression{Sum: []*qdrant.Expression{
				qdrant.NewExpressionVariable("$score"),
				qdrant.NewExpressionMult(&qdrant.MultExpression{Mult: []*qdrant.Expression{qdrant.NewExpressionConstant(0.5), qdrant.NewExpressionVariable("w")}}),
				qdrant.NewExpressionCondition(qdrant.NewMatchKeyword("city", "Oslo")),
				qdrant.NewExpressionExpDecay(&qdrant.DecayParamsExpression{X: qdrant.NewExpressionVariable("n"), Target: qdrant.NewExpressionConstant(3), Scale: qdrant.PtrOf(float32(2))}),
			}}), Defaults: map[string]*qdrant.Value{"w": qdrant.NewValueDouble(9)}})},
			`{"prefetch":{"query":[1,3,9,4],"limit":4},"query":{"formula":{"sum":["$score",{"mult":[0.5,"w"]},{"key":"city","match":{"value":"Oslo"}},{"exp_decay":{"x":"n","target":3,"scale":2}}]},"defaults":{"w":9}}}`, false, false},
		{"formula div pow", &qdrant.QueryPoints{Prefetch: two[:1], Query: qdrant.NewQueryFormula(&qdrant.Formula{
			Expression: qdrant.NewExpressionDiv(&qdrant.DivExpression{
				Left:          qdrant.NewExpressionPow(&qdrant.PowExpression{Base: qdrant.NewExpressionVariable("n"), Exponent: qdrant.NewExpressionConstant(2)}),
				Right:         qdrant.NewExpressionSum(&qdrant.SumExpression{Sum: []*qdrant.Expression{qdrant.NewExpressionVariable("$score"), qdrant.NewExpressionNeg(qdrant.NewExpressionVariable("w"))}}),
				ByZeroDefault: qdrant.PtrOf(float32(7))})})},
			`{"prefetch":{"query":[1,3,9,4],"limit":4},"query":{"formula":{"div":{"left":{"pow":{"base":"n","exponent":2}},"right":{"sum":["$score",{"neg":"w"}]},"by_zero_default":7}}}}`, false, false},
		{"mmr", &qdrant.QueryPoints{Query: qdrant.NewQueryMMR(qdrant.NewVectorInput(1, 3, 9, 4), &qdrant.Mmr{Diversity: qdrant.PtrOf(float32(0.7)), CandidatesLimit: qdrant.PtrOf(uint32(5))}), Limit: qdrant.PtrOf(uint64(3))},
			`{"query":{"nearest":[1,3,9,4],"mmr":{"diversity":0.7,"candidates_limit":5}},"limit":3}`, false, false},
		{"rrf k weights", &qdrant.QueryPoints{Prefetch: two, Query: qdrant.NewQueryRRF(&qdrant.Rrf{K: qdrant.PtrOf(uint32(5)), Weights: []float32{2, 0.5}})},
			`{` + twoJSON + `,"query":{"rrf":{"k":5,"weights":[2,0.5]}}}`, false, false},
		{"dbsf", &qdrant.QueryPoints{Prefetch: two, Query: qdrant.NewQueryFusion(qdrant.Fusion_DBSF)}, `{` + twoJSON + `,"query":{"fusion":"dbsf"}}`, false, false},
		{"relevance feedback", &qdrant.QueryPoints{Query: qdrant.NewQueryRelevanceFeedback(&qdrant.RelevanceFeedbackInput{Target: qdrant.NewVectorInput(1, 3, 9, 4),
			Feedback: []*qdrant.FeedbackItem{{Example: id(num(2)), Score: 0.9}, {Example: id(num(5)), Score: 0.1}},
			Strategy: &qdrant.FeedbackStrategy{Variant: &qdrant.FeedbackStrategy_Naive{Naive: &qdrant.NaiveFeedbackStrategy{A: 1, B: 0.5, C: 0.2}}}}), Limit: qdrant.PtrOf(uint64(4))},
			`{"query":{"relevance_feedback":{"target":[1,3,9,4],"feedback":[{"example":2,"score":0.9},{"example":5,"score":0.1}],"strategy":{"naive":{"a":1,"b":0.5,"c":0.2}}}},"limit":4}`, false, false},
		{"sum_scores", &qdrant.QueryPoints{Query: qdrant.NewQueryRecommend(&qdrant.RecommendInput{Positive: []*qdrant.VectorInput{id(num(1))}, Negative: []*qdrant.VectorInput{id(num(6))},
			Strategy: qdrant.RecommendStrategy_SumScores.Enum()})}, `{"query":{"recommend":{"positive":[1],"negative":[6],"strategy":"sum_scores"}}}`, false, false},
	}
	for _, tt := range cases {
		tt.q.CollectionName = "c"
		got, err := e.cl.Query(ctx, tt.q)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		var rest struct {
			Points []struct {
				ID         uint64
				Score      float32
				OrderValue json.RawMessage `json:"order_value"`
			}
		}
		if err := json.Unmarshal(e.rest(t, "POST", "/collections/c/points/query", tt.rest), &rest); err != nil {
			t.Fatal(err)
		}
		if len(got) != len(rest.Points) || len(got) == 0 {
			t.Fatalf("%s: gRPC %v, REST %v", tt.name, got, rest.Points)
		}
		seen := map[uint64]bool{}
		for _, p := range rest.Points {
			seen[p.ID] = true
		}
		for i, p := range rest.Points {
			g := got[i]
			if tt.anyOrder {
				if !seen[g.GetId().GetNum()] {
					t.Fatalf("%s: gRPC %v not in REST's %v", tt.name, g, rest.Points)
				}
				continue
			}
			if g.GetId().GetNum() != p.ID || g.GetScore() != p.Score {
				t.Fatalf("%s[%d]: gRPC %v, REST %+v", tt.name, i, g, p)
			}
			if tt.ordered && fmt.Sprint(g.GetOrderValue().GetInt()) != string(p.OrderValue) {
				t.Fatalf("%s[%d]: order_value gRPC %v, REST %s", tt.name, i, g.GetOrderValue(), p.OrderValue)
			}
		}
	}
	// Refusals are the engine's, as for REST.
	_, err := e.cl.Query(ctx, &qdrant.QueryPoints{CollectionName: "c", Prefetch: two})
	wantCode(t, "prefetch without a query", err, codes.InvalidArgument, "A query is needed to merge the prefetches")
	_, err = e.cl.Query(ctx, &qdrant.QueryPoints{CollectionName: "c", Query: qdrant.NewQueryMMR(qdrant.NewVectorInput(1, 3, 9, 4), &qdrant.Mmr{Diversity: qdrant.PtrOf(float32(2))})})
	wantCode(t, "mmr diversity 2", err, codes.InvalidArgument, "diversity")
	_, err = e.cl.Query(ctx, &qdrant.QueryPoints{CollectionName: "c", Prefetch: two[:1], Query: qdrant.NewQueryFormula(&qdrant.Formula{
		Expression: qdrant.NewExpressionVariable("$nope")})})
	wantCode(t, "bad formula variable", err, codes.InvalidArgument, "Invalid reserved word: $nope")
	_, err = e.cl.Query(ctx, &qdrant.QueryPoints{CollectionName: "c", Query: qdrant.NewQueryRelevanceFeedback(&qdrant.RelevanceFeedbackInput{Target: qdrant.NewVectorInput(1, 3, 9, 4)})})
	wantCode(t, "feedback without strategy", err, codes.InvalidArgument, "missing field `strategy`")
}
