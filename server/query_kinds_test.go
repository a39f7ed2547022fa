package server

import (
	"math"
	"testing"
)

type queryPoints struct {
	Points []scored `json:"points"`
}

// TestQueryRRFK checks {"rrf": {"k", "weights"}} over REST: Qdrant's
// 1/((rank+1)/w + k − 1) per list, k at least 1, one weight per prefetch,
// and the validation of the query levels with Qdrant's texts.
func TestQueryRRFK(t *testing.T) {
	s := seeded(t)
	const p = "/collections/c/points/query"
	pre := `"prefetch":[{"query":[0.2,0.1,0.9,0.7],"limit":2},{"query":[0.2,0.1,0.9,0.7],"limit":1}]`
	got := decode[queryPoints](t, mustOK(t, s, "POST", p, `{`+pre+`,"query":{"rrf":{"k":5}}}`)).Points
	if ids(got) != "4,1" || math.Abs(got[0].Score-2.0/5) > 1e-6 || math.Abs(got[1].Score-1.0/6) > 1e-6 {
		t.Fatalf("rrf k=5: %+v", got)
	}
	got = decode[queryPoints](t, mustOK(t, s, "POST", p, `{`+pre+`,"query":{"rrf":{"weights":[2,1]}}}`)).Points
	if ids(got) != "4,1" || math.Abs(got[0].Score-(1/1.5+0.5)) > 1e-6 || math.Abs(got[1].Score-0.5) > 1e-6 {
		t.Fatalf("rrf weights: %+v", got)
	}
	got = decode[queryPoints](t, mustOK(t, s, "POST", p, `{`+pre+`,"query":{"rrf":{}}}`)).Points
	if ids(got) != "4,1" || math.Abs(got[0].Score-1) > 1e-6 {
		t.Fatalf("rrf default k: %+v", got)
	}
	mustFail(t, s, "POST", p, `{`+pre+`,"query":{"rrf":{"k":0}}}`, 422, "k")
	mustFail(t, s, "POST", p, `{`+pre+`,"query":{"rrf":{"weights":[1]}}}`, 400, "Number of weights in RRF should match number of pre-fetches: got 1, expected 2")
	mustFail(t, s, "POST", p, `{`+pre+`,"query":{"rrf":{}},"using":"x"}`, 400, "Fusion queries cannot be combined with the 'using' field.")
	mustFail(t, s, "POST", p, `{"score_threshold":0.5}`, 400, "A query is needed to use the score_threshold.")
	mustFail(t, s, "POST", p, `{"query":[0.2,0.1,0.9,0.7],"with_vector":["x"]}`, 400, "Not existing vector name error: x")
	mustFail(t, s, "POST", p, `{"prefetch":{"query":1,"lookup_from":{"collection":"nope"}},"query":{"rrf":{}}}`, 404, "Collection `nope` doesn't exist!")
	mustFail(t, s, "POST", p+"/batch", `{"searches":[{`+pre+`}]}`, 400, "A query is needed to merge the prefetches.")
}

// TestQueryOrderBySample checks order_by and sample queries over REST:
// order_value in the answer, Qdrant's refusals, a sample of distinct
// matching points, in a batch too.
func TestQueryOrderBySample(t *testing.T) {
	s := seeded(t)
	const p = "/collections/c/points/query"
	mustFail(t, s, "POST", p, `{"query":{"order_by":"n"}}`, 400, "No range index for `order_by` key: `n`")
	mustOK(t, s, "PUT", "/collections/c/index?wait=true", `{"field_name":"n","field_schema":"integer"}`)
	type ordered struct {
		Points []struct {
			ID         tid     `json:"id"`
			Score      float64 `json:"score"`
			OrderValue *int    `json:"order_value"`
		} `json:"points"`
	}
	got := decode[ordered](t, mustOK(t, s, "POST", p, `{"query":{"order_by":{"key":"n","direction":"desc"}},"limit":2}`))
	if len(got.Points) != 2 || got.Points[0].ID != "4" || got.Points[1].ID != "3" || got.Points[0].OrderValue == nil || *got.Points[0].OrderValue != 4 || got.Points[0].Score != 1 {
		t.Fatalf("order_by: %+v", got)
	}
	mustFail(t, s, "POST", p, `{"query":{"order_by":"n"},"score_threshold":1}`, 400, "Can't use score_threshold with an order_by query.")
	mustFail(t, s, "POST", p, `{"query":{"sample":"other"}}`, 400, "random")
	pts := decode[queryPoints](t, mustOK(t, s, "POST", p, `{"query":{"sample":"random"},"limit":3,"filter":{"must":[{"key":"city","match":{"value":"Berlin"}}]}}`)).Points
	seen := map[tid]bool{}
	for _, pt := range pts {
		if seen[pt.ID] || (pt.ID != "1" && pt.ID != "2" && pt.ID != "3") {
			t.Fatalf("sample: %+v", pts)
		}
		seen[pt.ID] = true
	}
	if len(pts) != 3 {
		t.Fatalf("sample: %+v", pts)
	}
	batch := decode[[]queryPoints](t, mustOK(t, s, "POST", p+"/batch", `{"searches":[{"query":{"order_by":"n"},"limit":1},{"query":{"sample":"random"},"limit":1}]}`))
	if len(batch) != 2 || ids(batch[0].Points) != "1" || len(batch[1].Points) != 1 {
		t.Fatalf("batch: %+v", batch)
	}
}

// TestQueryFormula checks a formula query over REST: the score computed
// from $score and payload values, defaults, Qdrant's error for a missing
// value without default, in a batch too.
func TestQueryFormula(t *testing.T) {
	s := seeded(t)
	const p = "/collections/c/points/query"
	pre := `"prefetch":{"query":[0.2,0.1,0.9,0.7],"limit":3,"filter":{"must":[{"key":"n","range":{"gte":1}}]}}`
	body := `{` + pre + `,"query":{"formula":{"sum":["$score",{"mult":[10,"n"]}]}},"limit":3}`
	got := decode[queryPoints](t, mustOK(t, s, "POST", p, body)).Points
	// The prefetch finds 4, 1, 3 (n = id): n dominates the order.
	if ids(got) != "4,3,1" || got[0].Score < 40 || got[0].Score > 41.5 {
		t.Fatalf("formula: %+v", got)
	}
	mustFail(t, s, "POST", p, `{"prefetch":{"query":[0.2,0.1,0.9,0.7],"limit":10},"query":{"formula":{"mult":[10,"n"]}}}`, 400,
		"Wrong input: Expected number value for n in the payload and/or in the formula defaults. Error: No value found in a payload nor defaults")
	got = decode[queryPoints](t, mustOK(t, s, "POST", p, `{"prefetch":{"query":[0.2,0.1,0.9,0.7],"limit":10},"query":{"formula":{"mult":[10,"n"]},"defaults":{"n":0.5}},"limit":10}`)).Points
	if len(got) != 6 || got[0].ID != "4" || got[len(got)-1].Score != 5 {
		t.Fatalf("formula with defaults: %+v", got)
	}
	mustFail(t, s, "POST", p, `{"query":{"formula":1}}`, 400, "cannot apply Formula without prefetches")
	mustFail(t, s, "POST", p, `{`+pre+`,"query":{"formula":"$nope"}}`, 400, "Invalid reserved word: $nope")
	batch := decode[[]queryPoints](t, mustOK(t, s, "POST", p+"/batch", `{"searches":[{`+pre+`,"query":{"formula":"n"},"limit":1}]}`))
	if len(batch) != 1 || ids(batch[0].Points) != "4" {
		t.Fatalf("batch: %+v", batch)
	}
}

// TestQueryMMRRoute checks {"nearest": v, "mmr": {...}} over REST: the
// re-ranked order (see engine.TestQueryMMR for the hand computation) and
// the range checks.
func TestQueryMMRRoute(t *testing.T) {
	s := newEngineServer(t, Options{})
	mustOK(t, s, "PUT", "/collections/m", `{"vectors":{"size":2,"distance":"Dot"}}`)
	mustOK(t, s, "PUT", "/collections/m/points?wait=true", `{"points":[
		{"id":1,"vector":[1,0]},{"id":2,"vector":[0.99,0.141]},{"id":3,"vector":[0.6,0.8]},{"id":4,"vector":[0,1]}]}`)
	const p = "/collections/m/points/query"
	got := decode[queryPoints](t, mustOK(t, s, "POST", p, `{"query":{"nearest":[1,0],"mmr":{"diversity":0.7,"candidates_limit":4}},"limit":3}`)).Points
	if ids(got) != "1,4,3" {
		t.Fatalf("mmr: %+v", got)
	}
	got = decode[queryPoints](t, mustOK(t, s, "POST", p, `{"query":{"nearest":[1,0],"mmr":null},"limit":3}`)).Points
	if ids(got) != "1,2,3" {
		t.Fatalf("mmr null: %+v", got)
	}
	mustFail(t, s, "POST", p, `{"query":{"nearest":[1,0],"mmr":{"diversity":2}}}`, 422, "diversity")
	mustFail(t, s, "POST", p, `{"query":{"nearest":[1,0],"mmr":{"candidates_limit":16385}}}`, 422, "candidates_limit")
}

// TestQueryRelevanceFeedbackRoute checks {"relevance_feedback": ...} over
// REST (see engine.TestQueryRelevanceFeedback for the hand computation).
func TestQueryRelevanceFeedbackRoute(t *testing.T) {
	s := newEngineServer(t, Options{})
	mustOK(t, s, "PUT", "/collections/m", `{"vectors":{"size":2,"distance":"Dot"}}`)
	mustOK(t, s, "PUT", "/collections/m/points?wait=true", `{"points":[
		{"id":1,"vector":[1,0]},{"id":2,"vector":[0.99,0.141]},{"id":3,"vector":[0.6,0.8]},{"id":4,"vector":[0,1]}]}`)
	const p = "/collections/m/points/query"
	got := decode[queryPoints](t, mustOK(t, s, "POST", p, `{"query":{"relevance_feedback":{"target":[1,0],
		"feedback":[{"example":[0,1],"score":0.9},{"example":[1,0],"score":0.1}],"strategy":{"naive":{"a":1,"b":1,"c":1}}}}}`)).Points
	if ids(got) != "4,3,2,1" || math.Abs(got[0].Score-0.8) > 1e-5 {
		t.Fatalf("relevance_feedback: %+v", got)
	}
	mustFail(t, s, "POST", p, `{"query":{"relevance_feedback":{"target":[1,0],"feedback":[]}}}`, 400, "strategy")
	mustFail(t, s, "POST", p, `{"query":{"relevance_feedback":{"target":[1,0],"feedback":[],"strategy":{"naive":{"a":1,"b":-1,"c":1}}}}}`, 422, "b")
}
