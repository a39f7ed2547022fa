package server

import "testing"

// TestMatrixRoutes checks both matrix layouts on the five 2-d points with
// every point sampled (hand-computed Dot scores), and the refusals.
func TestMatrixRoutes(t *testing.T) {
	s := fivePoints(t)
	const p = "/collections/d/points/search/matrix/"
	body := `{"sample":5,"limit":1,"filter":{"must":[{"key":"g","match":{"value":1}}]}}`
	// g = 1: points 1 [1,0], 3 [0,1], 5 [0.6,-0.8].
	got := string(mustOK(t, s, "POST", p+"pairs", body))
	if got != `{"pairs":[{"a":1,"b":5,"score":0.6},{"a":3,"b":1,"score":0.0},{"a":5,"b":1,"score":0.6}]}` {
		t.Fatalf("pairs %s", got)
	}
	got = string(mustOK(t, s, "POST", p+"offsets", body))
	if got != `{"offsets_row":[0,1,2],"offsets_col":[2,0,0],"scores":[0.6,0.0,0.6],"ids":[1,3,5]}` {
		t.Fatalf("offsets %s", got)
	}
	mustOK(t, s, "POST", p+"pairs", `{}`)
	mustFail(t, s, "POST", p+"pairs", `{"sample":1}`, 422, "sample")
	mustFail(t, s, "POST", p+"offsets", `{"limit":0}`, 422, "limit")
	mustFail(t, s, "POST", p+"offsets", `{"using":"x"}`, 400, "Not existing vector name error: x")
	mustFail(t, s, "POST", "/collections/nope/points/search/matrix/pairs", `{}`, 404, "nope")
}
