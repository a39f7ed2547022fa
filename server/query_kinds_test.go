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
