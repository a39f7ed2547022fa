package server

import (
	"math"
	"testing"
)

// fivePoints returns a server with collection d (2-d, Dot) holding points
// 1..5 at [1,0], [0.8,0.6], [0,1], [-1,0], [0.6,-0.8], payload {"g": id%2}.
func fivePoints(t *testing.T) *Server {
	t.Helper()
	s := newEngineServer(t, Options{})
	mustOK(t, s, "PUT", "/collections/d", `{"vectors":{"size":2,"distance":"Dot"}}`)
	mustOK(t, s, "PUT", "/collections/d/points?wait=true", `{"points":[
		{"id":1,"vector":[1,0],"payload":{"g":1}},{"id":2,"vector":[0.8,0.6],"payload":{"g":0}},
		{"id":3,"vector":[0,1],"payload":{"g":1}},{"id":4,"vector":[-1,0],"payload":{"g":0}},
		{"id":5,"vector":[0.6,-0.8],"payload":{"g":1}}]}`)
	return s
}

// TestDiscoverRoutes checks POST /points/discover (discover and context
// searches, hand-computed), its batch, the query API's discover and
// context, and the refusals with Qdrant's codes.
func TestDiscoverRoutes(t *testing.T) {
	s := fivePoints(t)
	const p = "/collections/d/points/discover"
	got := decode[[]scored](t, mustOK(t, s, "POST", p, `{"target":[1,0],"context":[{"positive":[0,1],"negative":[0,-1]}],"limit":5}`))
	if ids(got) != "2,3,1,4,5" || math.Abs(got[0].Score-(1+0.5*(0.8/1.8+1))) > 1e-6 {
		t.Fatalf("discover %+v", got)
	}
	got = decode[[]scored](t, mustOK(t, s, "POST", p, `{"context":[{"positive":[0,1],"negative":[0,-1]}],"limit":2,"offset":1,"with_payload":true}`))
	if ids(got) != "3,1" || got[0].Score != 0 || got[0].Payload["g"] == nil {
		t.Fatalf("context %+v", got)
	}
	got = decode[[]scored](t, mustOK(t, s, "POST", p, `{"target":3,"limit":5,"filter":{"must":[{"key":"g","match":{"value":1}}]}}`))
	if ids(got) != "1,5" {
		t.Fatalf("discover by id, filtered: %s", ids(got))
	}
	batch := decode[[][]scored](t, mustOK(t, s, "POST", p+"/batch", `{"searches":[{"target":[1,0],"limit":1},{"context":{"positive":[0,1],"negative":[0,-1]},"limit":2}]}`))
	if len(batch) != 2 || ids(batch[0]) != "1" || ids(batch[1]) != "2,3" {
		t.Fatalf("batch %+v", batch)
	}
	type qr struct {
		Points []scored `json:"points"`
	}
	q := func(body string) string {
		t.Helper()
		return ids(decode[qr](t, mustOK(t, s, "POST", "/collections/d/points/query", body)).Points)
	}
	if got := q(`{"query":{"discover":{"target":[1,0],"context":{"positive":[0,1],"negative":[0,-1]}}},"limit":5}`); got != "2,3,1,4,5" {
		t.Fatalf("query discover %s", got)
	}
	if got := q(`{"query":{"discover":{"target":[1,0],"context":null}},"limit":2}`); got != "1,2" {
		t.Fatalf("query discover without context %s", got)
	}
	if got := q(`{"query":{"context":[{"positive":[0,1],"negative":[0,-1]}]},"limit":3}`); got != "2,3,1" {
		t.Fatalf("query context %s", got)
	}
	mustFail(t, s, "POST", p, `{"target":[1,0]}`, 400, "limit")
	mustFail(t, s, "POST", p, `{"limit":1}`, 400, "target and/or context_pairs must be specified")
	mustFail(t, s, "POST", p, `{"context":[{"positive":[0,1]}],"limit":1}`, 400, "negative")
	mustFail(t, s, "POST", p, `{"target":9,"limit":1}`, 404, "9")
	mustFail(t, s, "POST", p, `{"target":[1,0],"limit":1,"using":"x"}`, 400, "Not existing vector name error: x")
	mustFail(t, s, "POST", p, `{"target":[1,0,0],"limit":1}`, 400, "expected dim: 2")
	mustFail(t, s, "POST", "/collections/nope/points/discover", `{"target":[1,0],"limit":1}`, 404, "nope")
	mustFail(t, s, "POST", p, `{"target":[1,0],"limit":1,"lookup_from":{"collection":"nope"}}`, 404, "nope")
	mustFail(t, s, "POST", "/collections/d/points/query", `{"query":{"discover":{"target":[1,0]}}}`, 400, "context")
	mustFail(t, s, "POST", "/collections/d/points/query", `{"query":{"discover":{"context":[]}}}`, 400, "target")
}
