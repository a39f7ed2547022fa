package server

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// seeded returns a server with collection c (4-d, Dot) holding points
// 1..4, the largest uint64 and a UUID, with payloads.
func seeded(t *testing.T) *Server {
	t.Helper()
	s := newEngineServer(t, Options{})
	mustOK(t, s, "PUT", "/collections/c", `{"vectors":{"size":4,"distance":"Dot"}}`)
	mustOK(t, s, "PUT", "/collections/c/points?wait=true", `{"points":[
		{"id":1,"vector":[0.05,0.61,0.76,0.74],"payload":{"city":"Berlin","n":1}},
		{"id":2,"vector":[0.19,0.81,0.75,0.11],"payload":{"city":["Berlin","London"],"n":2}},
		{"id":3,"vector":[0.36,0.55,0.47,0.94],"payload":{"city":["Berlin","Moscow"],"n":3}},
		{"id":4,"vector":[0.18,0.01,0.85,0.80],"payload":{"city":["London","Moscow"],"n":4}},
		{"id":18446744073709551615,"vector":[0.24,0.18,0.22,0.44],"payload":{"big":9007199254740993}},
		{"id":"5C56C793-69F3-4FBF-87E6-C4BF54C28C26","vector":[0.35,0.08,0.11,0.44]}]}`)
	return s
}

// tid is a point id as the test reads it: the number or the UUID text.
type tid string

func (i *tid) UnmarshalJSON(b []byte) error {
	*i = tid(strings.Trim(string(b), `"`))
	return nil
}

func (i tid) String() string { return string(i) }

type scored struct {
	ID      tid            `json:"id"`
	Score   float64        `json:"score"`
	Payload map[string]any `json:"payload"`
	Vector  any            `json:"vector"`
}

func ids(pts []scored) string {
	var b []string
	for _, p := range pts {
		b = append(b, p.ID.String())
	}
	return strings.Join(b, ",")
}

func TestUpsertAndRetrieveExactIDs(t *testing.T) {
	s := seeded(t)
	raw := string(mustOK(t, s, "GET", "/collections/c/points/18446744073709551615", ""))
	if !strings.Contains(raw, `"id":18446744073709551615`) || !strings.Contains(raw, `"big":9007199254740993`) {
		t.Fatalf("max id / exact payload lost: %s", raw)
	}
	raw = string(mustOK(t, s, "GET", "/collections/c/points/5c56c793-69f3-4fbf-87e6-c4bf54c28c26", ""))
	if !strings.Contains(raw, `"id":"5c56c793-69f3-4fbf-87e6-c4bf54c28c26"`) {
		t.Fatalf("uuid not canonical: %s", raw)
	}
	// Any spelling of the UUID finds the point.
	mustOK(t, s, "GET", "/collections/c/points/{5c56c793-69f3-4fbf-87e6-c4bf54c28c26}", "")
	mustFail(t, s, "GET", "/collections/c/points/99", "", 404, "No point with id 99 found")
	mustFail(t, s, "GET", "/collections/c/points/not-an-id", "", 400, "not-an-id")
	mustFail(t, s, "GET", "/collections/nope/points/1", "", 404, "Collection `nope`")

	got := decode[[]scored](t, mustOK(t, s, "POST", "/collections/c/points", `{"ids":[18446744073709551615,"5c56c793-69f3-4fbf-87e6-c4bf54c28c26",77],"with_vector":true}`))
	if len(got) != 2 || got[0].Vector == nil {
		t.Fatalf("get many %+v", got)
	}
	got = decode[[]scored](t, mustOK(t, s, "POST", "/collections/c/points", `{"ids":[1],"with_payload":false}`))
	if len(got) != 1 || got[0].Payload != nil {
		t.Fatalf("with_payload false %+v", got)
	}
	mustFail(t, s, "POST", "/collections/c/points", `{}`, 400, "ids")
}

func TestUpsertForms(t *testing.T) {
	s := newEngineServer(t, Options{})
	mustOK(t, s, "PUT", "/collections/c", `{"vectors":{"size":2,"distance":"Euclid"}}`)
	res := decode[map[string]any](t, mustOK(t, s, "PUT", "/collections/c/points?wait=true&ordering=strong", `{"batch":{"ids":[1,2,3],"vectors":[[1,0],[0,1],[1,1]],"payloads":[{"a":1},null,{"a":3}]}}`))
	if res["status"] != "completed" {
		t.Fatalf("wait=true status %v", res)
	}
	res = decode[map[string]any](t, mustOK(t, s, "PUT", "/collections/c/points", `{"points":[{"id":4,"vector":[2,2]}]}`))
	if res["status"] != "acknowledged" {
		t.Fatalf("wait=false status %v", res)
	}
	if c := decode[map[string]int](t, mustOK(t, s, "POST", "/collections/c/points/count", `{}`)); c["count"] != 4 {
		t.Fatalf("count %v", c)
	}
	// Named vectors, batch form.
	mustOK(t, s, "PUT", "/collections/n", `{"vectors":{"img":{"size":2,"distance":"Dot"},"txt":{"size":3,"distance":"Cosine"}}}`)
	mustOK(t, s, "PUT", "/collections/n/points?wait=true", `{"batch":{"ids":[1,2],"vectors":{"img":[[1,0],[0,1]],"txt":[[1,0,0],[0,1,0]]}}}`)
	mustOK(t, s, "PUT", "/collections/n/points?wait=true", `{"points":[{"id":3,"vector":{"img":[1,1],"txt":[0,0,1]}}]}`)
	got := decode[[]scored](t, mustOK(t, s, "POST", "/collections/n/points/search", `{"vector":{"name":"txt","vector":[0,0,1]},"limit":1}`))
	if ids(got) != "3" {
		t.Fatalf("named search %v", got)
	}
}

func TestUpsertErrors(t *testing.T) {
	s := newEngineServer(t, Options{})
	mustOK(t, s, "PUT", "/collections/c", `{"vectors":{"size":2,"distance":"Dot"}}`)
	const p = "/collections/c/points"
	tests := []struct {
		name, path, body string
		code             int
		frags            []string
	}{
		{"dimension", p, `{"points":[{"id":1,"vector":[1,2,3]}]}`, 400, []string{"expected dim: 2", "got 3"}},
		{"overflow", p, `{"points":[{"id":1,"vector":[1,1e39]}]}`, 400, []string{"vector[1]"}},
		{"null element", p, `{"points":[{"id":1,"vector":[1,null]}]}`, 400, []string{"vector[1]"}},
		{"NaN literal", p, `{"points":[{"id":1,"vector":[1,NaN]}]}`, 400, []string{"Format error in JSON body"}},
		{"string vector", p, `{"points":[{"id":1,"vector":"x"}]}`, 400, []string{"vector"}},
		{"missing id", p, `{"points":[{"vector":[1,2]}]}`, 400, []string{"points[0].id"}},
		{"missing vector", p, `{"points":[{"id":1}]}`, 400, []string{"points[0].vector"}},
		{"negative id", p, `{"points":[{"id":-1,"vector":[1,2]}]}`, 400, []string{"-1"}},
		{"id too big", p, `{"points":[{"id":18446744073709551616,"vector":[1,2]}]}`, 400, []string{"18446744073709551616"}},
		{"bad uuid", p, `{"points":[{"id":"abc","vector":[1,2]}]}`, 400, []string{"abc"}},
		{"payload number out of range", p, `{"points":[{"id":1,"vector":[1,2],"payload":{"f":1e400}}]}`, 400, []string{"out of range"}},
		{"batch payload number out of range", p, `{"batch":{"ids":[1],"vectors":[[1,2]],"payloads":[{"f":-2e308}]}}`, 400, []string{"out of range"}},
		{"payload not object", p, `{"points":[{"id":1,"vector":[1,2],"payload":[1]}]}`, 400, []string{"points[0].payload"}},
		{"neither form", p, `{}`, 400, []string{"points"}},
		{"both forms", p, `{"points":[],"batch":{"ids":[],"vectors":[]}}`, 400, []string{"not both"}},
		{"batch count", p, `{"batch":{"ids":[1,2],"vectors":[[1,2]]}}`, 400, []string{"1 vectors for 2 ids"}},
		{"batch payloads", p, `{"batch":{"ids":[1],"vectors":[[1,2]],"payloads":[]}}`, 400, []string{"payloads"}},
		{"unknown vector name", p, `{"points":[{"id":1,"vector":{"x":[1,2]}}]}`, 400, []string{"x"}},
		{"bad wait", p + "?wait=perhaps", `{"points":[]}`, 400, []string{"wait"}},
		{"bad ordering", p + "?ordering=chaotic", `{"points":[]}`, 400, []string{"ordering"}},
		{"missing collection", "/collections/nope/points", `{"points":[]}`, 404, []string{"nope"}},
		{"update_mode", p, `{"points":[],"update_mode":"sometimes"}`, 400, []string{"update_mode", "unknown variant `sometimes`"}},
		{"update_filter", p, `{"points":[],"update_filter":{"must":5}}`, 400, []string{"must"}},
		{"shard_key", p, `{"points":[],"shard_key":"a"}`, 400, []string{"shard_key"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mustFail(t, s, "PUT", tt.path, tt.body, tt.code, tt.frags...)
		})
	}
	if c := decode[map[string]int](t, mustOK(t, s, "POST", p+"/count", `{}`)); c["count"] != 0 {
		t.Fatalf("a failed upsert wrote points: %v", c)
	}
}

func TestDeleteAndPayloadRoutes(t *testing.T) {
	s := seeded(t)
	const p = "/collections/c/points"
	mustOK(t, s, "POST", p+"/payload?wait=true", `{"payload":{"color":"red"},"points":[1,2]}`)
	got := decode[[]scored](t, mustOK(t, s, "POST", p, `{"ids":[1]}`))
	if got[0].Payload["color"] != "red" || got[0].Payload["city"] != "Berlin" {
		t.Fatalf("set payload %v", got[0].Payload)
	}
	mustOK(t, s, "PUT", p+"/payload?wait=true", `{"payload":{"only":true},"points":[1]}`)
	got = decode[[]scored](t, mustOK(t, s, "POST", p, `{"ids":[1]}`))
	if len(got[0].Payload) != 1 || got[0].Payload["only"] != true {
		t.Fatalf("overwrite payload %v", got[0].Payload)
	}
	mustOK(t, s, "POST", p+"/payload/delete?wait=true", `{"keys":["color"],"filter":{"must":[{"has_id":[2]}]}}`)
	got = decode[[]scored](t, mustOK(t, s, "POST", p, `{"ids":[2]}`))
	if _, has := got[0].Payload["color"]; has {
		t.Fatalf("delete payload %v", got[0].Payload)
	}
	mustOK(t, s, "POST", p+"/payload/clear?wait=true", `{"points":[2]}`)
	got = decode[[]scored](t, mustOK(t, s, "POST", p, `{"ids":[2]}`))
	if len(got[0].Payload) != 0 {
		t.Fatalf("clear payload %v", got[0].Payload)
	}
	mustFail(t, s, "POST", p+"/payload", `{"points":[1]}`, 400, "payload")
	mustFail(t, s, "POST", p+"/payload", `{"payload":{"a":1}}`, 400, "points")
	mustFail(t, s, "POST", p+"/payload/delete", `{"points":[1]}`, 400, "keys")
	mustFail(t, s, "POST", p+"/payload/clear", `{}`, 400, "points")

	mustOK(t, s, "POST", p+"/delete?wait=true", `{"points":[1,18446744073709551615]}`)
	mustOK(t, s, "POST", p+"/delete?wait=true", `{"filter":{"must":[{"key":"city","match":{"value":"Moscow"}}]}}`)
	if c := decode[map[string]int](t, mustOK(t, s, "POST", p+"/count", `{}`)); c["count"] != 2 {
		t.Fatalf("count after deletes %v", c)
	}
	mustFail(t, s, "POST", p+"/delete", `{"points":[1],"filter":{}}`, 400, "not both")
	mustFail(t, s, "POST", p+"/delete", `{"filter":{"must":[{"key":"a","match":{"valu":1}}]}}`, 400)
}

func TestVectorRoutes(t *testing.T) {
	s := newEngineServer(t, Options{})
	mustOK(t, s, "PUT", "/collections/n", `{"vectors":{"a":{"size":2,"distance":"Dot"},"b":{"size":2,"distance":"Dot"}}}`)
	mustOK(t, s, "PUT", "/collections/n/points?wait=true", `{"points":[{"id":1,"vector":{"a":[1,0],"b":[0,1]}}]}`)
	mustOK(t, s, "PUT", "/collections/n/points/vectors?wait=true", `{"points":[{"id":1,"vector":{"a":[0.5,0.5]}}]}`)
	got := decode[[]map[string]any](t, mustOK(t, s, "POST", "/collections/n/points", `{"ids":[1],"with_vector":true}`))
	vec := got[0]["vector"].(map[string]any)
	if fmt.Sprint(vec["a"]) != "[0.5 0.5]" || fmt.Sprint(vec["b"]) != "[0.0 1.0]" {
		t.Fatalf("update vectors %v", vec)
	}
	mustOK(t, s, "POST", "/collections/n/points/vectors/delete?wait=true", `{"points":[1],"vector":["b"]}`)
	got = decode[[]map[string]any](t, mustOK(t, s, "POST", "/collections/n/points", `{"ids":[1],"with_vector":["a","b"]}`))
	if _, has := got[0]["vector"].(map[string]any)["b"]; has {
		t.Fatalf("delete vectors %v", got[0])
	}
	mustFail(t, s, "PUT", "/collections/n/points/vectors", `{"points":[{"id":9,"vector":{"a":[1,1]}}]}`, 404, "9")
	mustFail(t, s, "PUT", "/collections/n/points/vectors", `{"points":[{"id":1,"vector":{"a":[1,1,1]}}]}`, 400, "expected dim: 2", "got 3")
	mustFail(t, s, "PUT", "/collections/n/points/vectors", `{}`, 400, "points")
	mustFail(t, s, "POST", "/collections/n/points/vectors/delete", `{"points":[1]}`, 400, "vector")
}

func TestBatchUpdate(t *testing.T) {
	s := seeded(t)
	res := decode[[]map[string]any](t, mustOK(t, s, "POST", "/collections/c/points/batch?wait=true", `{"operations":[
		{"upsert":{"points":[{"id":10,"vector":[1,1,1,1]}]}},
		{"set_payload":{"payload":{"k":"v"},"points":[10]}},
		{"delete":{"points":[2]}},
		{"overwrite_payload":{"payload":{"k":"w"},"points":[10]}},
		{"delete_payload":{"keys":["n"],"points":[3]}},
		{"clear_payload":{"points":[4]}},
		{"update_vectors":{"points":[{"id":10,"vector":[0,0,0,1]}]}}]}`))
	if len(res) != 7 || res[6]["status"] != "completed" {
		t.Fatalf("batch results %v", res)
	}
	got := decode[[]scored](t, mustOK(t, s, "POST", "/collections/c/points", `{"ids":[10,2]}`))
	if len(got) != 1 || got[0].Payload["k"] != "w" {
		t.Fatalf("after batch %+v", got)
	}
	mustFail(t, s, "POST", "/collections/c/points/batch", `{"operations":[{"explode":{}}]}`, 400, "operations[0]", "explode")
	mustFail(t, s, "POST", "/collections/c/points/batch", `{"operations":[{"delete":{"points":[1]},"upsert":{}}]}`, 400, "exactly one")
	mustFail(t, s, "POST", "/collections/c/points/batch", `{"operations":[{"upsert":{"points":[{"id":1,"vector":[1]}]}}]}`, 400, "operations[0]", "expected dim: 4")
	mustFail(t, s, "POST", "/collections/c/points/batch", `{}`, 400, "operations")
}

func TestScrollAndCount(t *testing.T) {
	s := seeded(t)
	type page struct {
		Points []scored `json:"points"`
		Next   any      `json:"next_page_offset"`
	}
	pg := decode[page](t, mustOK(t, s, "POST", "/collections/c/points/scroll", `{"limit":3}`))
	if ids(pg.Points) != "1,2,3" || fmt.Sprint(pg.Next) != "4" || pg.Points[0].Payload == nil {
		t.Fatalf("page 1 %+v", pg)
	}
	pg = decode[page](t, mustOK(t, s, "POST", "/collections/c/points/scroll", `{"limit":3,"offset":4,"with_payload":false,"with_vector":true}`))
	if ids(pg.Points) != "4,18446744073709551615,5c56c793-69f3-4fbf-87e6-c4bf54c28c26" || pg.Next != nil || pg.Points[0].Payload != nil || pg.Points[0].Vector == nil {
		t.Fatalf("page 2 %+v", pg)
	}
	pg = decode[page](t, mustOK(t, s, "POST", "/collections/c/points/scroll", `{"filter":{"must":[{"key":"city","match":{"value":"London"}}]}}`))
	if ids(pg.Points) != "2,4" {
		t.Fatalf("filtered scroll %+v", pg)
	}
	mustFail(t, s, "POST", "/collections/c/points/scroll", `{"limit":-1}`, 422, "limit")
	mustFail(t, s, "POST", "/collections/c/points/scroll", `{"offset":-5}`, 400)
	c := decode[map[string]int](t, mustOK(t, s, "POST", "/collections/c/points/count", `{"filter":{"must":[{"key":"n","range":{"gte":2}}]},"exact":true}`))
	if c["count"] != 3 {
		t.Fatalf("count %v", c)
	}
	mustFail(t, s, "POST", "/collections/c/points/count", `{"filter":{"must":[{"key":"n","range":{"gte":"x"}}]}}`, 400)
	// An empty body is an empty request.
	if c := decode[map[string]int](t, mustOK(t, s, "POST", "/collections/c/points/count", "")); c["count"] != 6 {
		t.Fatalf("count with empty body %v", c)
	}
}

func TestSearchRoutes(t *testing.T) {
	s := seeded(t)
	const p = "/collections/c/points"
	got := decode[[]scored](t, mustOK(t, s, "POST", p+"/search", `{"vector":[0.2,0.1,0.9,0.7],"limit":3}`))
	if ids(got) != "4,1,3" || got[0].Payload != nil {
		t.Fatalf("search %+v", got)
	}
	got = decode[[]scored](t, mustOK(t, s, "POST", p+"/search", `{"vector":[0.2,0.1,0.9,0.7],"top":3,"filter":{"should":[{"key":"city","match":{"value":"London"}}]},"with_payload":["city"]}`))
	if ids(got) != "4,2" || got[0].Payload["city"] == nil || got[0].Payload["n"] != nil {
		t.Fatalf("filtered search %+v", got)
	}
	got = decode[[]scored](t, mustOK(t, s, "POST", p+"/search", `{"vector":[0.2,0.1,0.9,0.7],"limit":2,"offset":1,"score_threshold":1.2}`))
	if ids(got) != "1,3" {
		t.Fatalf("offset/threshold %+v", got)
	}
	mustFail(t, s, "POST", p+"/search", `{"vector":[1,2,3],"limit":1}`, 400, "expected dim: 4", "got 3")
	mustFail(t, s, "POST", p+"/search", `{"vector":[1,2,3,4]}`, 400, "limit")
	mustFail(t, s, "POST", p+"/search", `{"limit":1}`, 400, "vector")
	mustFail(t, s, "POST", p+"/search", `{"vector":[1,2,3,4],"limit":0}`, 422, "limit")
	mustFail(t, s, "POST", p+"/search", `{"vector":[1,2,3,1e40],"limit":1}`, 400, "vector[3]")
	mustFail(t, s, "POST", p+"/search", `{"vector":{"name":"nope","vector":[1,2,3,4]},"limit":1}`, 400, "nope")

	batch := decode[[][]scored](t, mustOK(t, s, "POST", p+"/search/batch", `{"searches":[{"vector":[0.2,0.1,0.9,0.7],"limit":1},{"vector":[0.2,0.1,0.9,0.7],"limit":2,"filter":{"must":[{"has_id":[1,3]}]}}]}`))
	if len(batch) != 2 || ids(batch[0]) != "4" || ids(batch[1]) != "1,3" {
		t.Fatalf("search batch %+v", batch)
	}
	mustFail(t, s, "POST", p+"/search/batch", `{"searches":[{"vector":[1,2,3,4],"limit":1},{"vector":[1],"limit":1}]}`, 400, "searches[1]")
	mustFail(t, s, "POST", p+"/search/batch", `{}`, 400, "searches")
}

func TestRecommendRoute(t *testing.T) {
	s := seeded(t)
	const p = "/collections/c/points/recommend"
	got := decode[[]scored](t, mustOK(t, s, "POST", p, `{"positive":[4],"limit":2}`))
	if len(got) != 2 || strings.Contains(ids(got), "4") {
		t.Fatalf("recommend must exclude its examples: %+v", got)
	}
	// Same as searching with 2·avg(pos) − avg(neg), minus the examples.
	got = decode[[]scored](t, mustOK(t, s, "POST", p, `{"positive":[1,[0.2,0.1,0.9,0.7]],"negative":[2],"limit":10,"with_payload":true}`))
	want := decode[[]scored](t, mustOK(t, s, "POST", "/collections/c/points/search", `{"vector":[0.06,-0.44,1.03,1.33],"limit":10,"filter":{"must_not":[{"has_id":[1,2]}]}}`))
	if ids(got) != ids(want) {
		t.Fatalf("recommend %s, search %s", ids(got), ids(want))
	}
	mustFail(t, s, "POST", p, `{"positive":[99],"limit":1}`, 404, "99")
	mustFail(t, s, "POST", p, `{"positive":[],"limit":1}`, 400, "Bad request: At least one positive vector ID required with this strategy")
	mustFail(t, s, "POST", p, `{"negative":[1],"limit":1}`, 400, "Bad request: At least one positive vector ID required with this strategy")
	mustFail(t, s, "POST", "/collections/c/points/query", `{"query":{"recommend":{"negative":[1]}},"limit":1}`, 400,
		"Wrong input: Validation failed: Positive vectors should not be empty with `average` strategy")
	mustFail(t, s, "POST", p, `{"positive":[1]}`, 400, "limit")
	mustOK(t, s, "POST", p, `{"negative":[1],"limit":1,"strategy":"best_score"}`)
	mustFail(t, s, "POST", p, `{"limit":1,"strategy":"sum_scores"}`, 400, "At least one positive or negative vector ID required")
	strat := decode[[][]scored](t, mustOK(t, s, "POST", p+"/batch", `{"searches":[{"positive":[1],"negative":[2],"strategy":"best_score","limit":3},{"positive":[1],"negative":[2],"strategy":"sum_scores","limit":3}]}`))
	for i, st := range []string{"best_score", "sum_scores"} {
		one := decode[[]scored](t, mustOK(t, s, "POST", p, `{"positive":[1],"negative":[2],"strategy":"`+st+`","limit":3}`))
		if len(strat) != 2 || ids(strat[i]) != ids(one) || ids(one) == "" {
			t.Fatalf("%s batch %+v, single %+v", st, strat, one)
		}
	}
	mustFail(t, s, "POST", p, `{"positive":[1],"limit":1,"strategy":"magic"}`, 400, "strategy")
	mustFail(t, s, "POST", p, `{"positive":[[1,2]],"limit":1}`, 400, "expected dim: 4")

	batch := decode[[][]scored](t, mustOK(t, s, "POST", p+"/batch", `{"searches":[{"positive":[4],"limit":2},{"positive":[1],"negative":[2],"limit":1}]}`))
	single := decode[[]scored](t, mustOK(t, s, "POST", p, `{"positive":[1],"negative":[2],"limit":1}`))
	if len(batch) != 2 || len(batch[0]) != 2 || len(batch[1]) != 1 || ids(batch[1]) != ids(single) {
		t.Fatalf("recommend batch %+v", batch)
	}
	mustFail(t, s, "POST", p+"/batch", `{"searches":[{"positive":[1],"limit":1},{"positive":[99],"limit":1}]}`, 404, "searches[1]")
	mustFail(t, s, "POST", p+"/batch", `{}`, 400, "searches")
}

func TestQueryRoutes(t *testing.T) {
	s := seeded(t)
	const p = "/collections/c/points/query"
	type qr struct {
		Points []scored `json:"points"`
	}
	q := func(body string) string {
		t.Helper()
		return ids(decode[qr](t, mustOK(t, s, "POST", p, body)).Points)
	}
	if got := q(`{"query":[0.2,0.1,0.9,0.7],"limit":3}`); got != "4,1,3" {
		t.Fatalf("vector query %s", got)
	}
	if got := q(`{"query":{"nearest":[0.2,0.1,0.9,0.7]},"limit":2,"offset":1}`); got != "1,3" {
		t.Fatalf("nearest with offset %s", got)
	}
	if got := q(`{"query":4,"limit":10}`); strings.Contains(got, "4,") || got == "" {
		t.Fatalf("query by id includes itself: %s", got)
	}
	if got := q(`{"query":{"recommend":{"positive":[4]}},"limit":2}`); strings.Contains(got, "4") {
		t.Fatalf("recommend query %s", got)
	}
	// best_score through the query API equals the recommend route's answer.
	if got, want := q(`{"query":{"recommend":{"positive":[4],"negative":[1],"strategy":"best_score"}},"limit":3}`),
		ids(decode[[]scored](t, mustOK(t, s, "POST", "/collections/c/points/recommend", `{"positive":[4],"negative":[1],"strategy":"best_score","limit":3}`))); got != want || got == "" {
		t.Fatalf("best_score query %s, recommend %s", got, want)
	}
	if got := q(`{"limit":2}`); got != "1,2" {
		t.Fatalf("no query = id order: %s", got)
	}
	if got := q(`{"query":[0.2,0.1,0.9,0.7],"filter":{"must":[{"key":"city","match":{"value":"London"}}]}}`); got != "4,2" {
		t.Fatalf("filtered query %s", got)
	}
	// Rescoring: the query only ranks what the prefetch found.
	if got := q(`{"prefetch":{"query":[1,0,0,0],"limit":2},"query":[0,0,1,0]}`); got != "3,5c56c793-69f3-4fbf-87e6-c4bf54c28c26" {
		t.Fatalf("prefetch rescoring %s", got)
	}
	rrf := decode[qr](t, mustOK(t, s, "POST", p, `{"prefetch":[{"query":[0.2,0.1,0.9,0.7],"limit":3},{"query":[1,0,0,0],"limit":3}],"query":{"fusion":"rrf"},"with_payload":true}`))
	if len(rrf.Points) == 0 || rrf.Points[0].Score < rrf.Points[len(rrf.Points)-1].Score || rrf.Points[0].Payload == nil {
		t.Fatalf("rrf %+v", rrf)
	}
	if got := q(`{"prefetch":[{"query":[0.2,0.1,0.9,0.7],"limit":3},{"query":[0.2,0.1,0.9,0.7],"limit":3}],"query":{"fusion":"dbsf"},"limit":3}`); got != "4,1,3" {
		t.Fatalf("dbsf of identical lists %s", got)
	}
	mustFail(t, s, "POST", p, `{"query":{"fusion":"rrf"}}`, 400, "prefetch")
	mustFail(t, s, "POST", p, `{"query":{"discover":{}}}`, 400, "discover")
	mustFail(t, s, "POST", p, `{"query":{"indices":[1],"values":[1]}}`, 400, "sparse")
	mustFail(t, s, "POST", p, `{"query":[1,2]}`, 400, "expected dim: 4", "got 2")
	mustFail(t, s, "POST", p, `{"query":[1,2,3,4],"limit":0}`, 422, "limit")
	mustFail(t, s, "POST", p, `{"query":123456}`, 404, "123456")
	mustFail(t, s, "POST", p, `{"prefetch":[{"query":[1,0,0,0]},{"query":[0,1,0,0]}]}`, 400, "A query is needed to merge the prefetches")
	mustFail(t, s, "POST", p, `{"prefetch":{"query":[1]},"query":[1,0,0,0]}`, 400, "prefetch[0]")

	batch := decode[[]qr](t, mustOK(t, s, "POST", p+"/batch", `{"searches":[{"query":[0.2,0.1,0.9,0.7],"limit":1},{"limit":1}]}`))
	if len(batch) != 2 || ids(batch[0].Points) != "4" || ids(batch[1].Points) != "1" {
		t.Fatalf("query batch %+v", batch)
	}
	mustFail(t, s, "POST", p+"/batch", `{"searches":[{"query":[1]}]}`, 400, "searches[0]")
}

func TestReadOnlyKeyOnRealRoutes(t *testing.T) {
	s := newEngineServer(t, Options{APIKey: "w", ReadOnlyAPIKey: "r"})
	w := []string{"api-key", "w"}
	r := []string{"api-key", "r"}
	if c := call(t, s, "PUT", "/collections/c", `{"vectors":{"size":2,"distance":"Dot"}}`, w...).code; c != 200 {
		t.Fatalf("create with full key %d", c)
	}
	reads := [][3]string{
		{"GET", "/collections", ""}, {"GET", "/collections/c", ""}, {"GET", "/collections/c/exists", ""},
		{"GET", "/aliases", ""}, {"POST", "/collections/c/points/search", `{"vector":[1,0],"limit":1}`},
		{"POST", "/collections/c/points/scroll", `{}`}, {"POST", "/collections/c/points/count", `{}`},
		{"POST", "/collections/c/points/query", `{}`}, {"POST", "/collections/c/points", `{"ids":[1]}`},
		{"POST", "/collections/c/points/search/batch", `{"searches":[]}`}, {"POST", "/collections/c/points/query/batch", `{"searches":[]}`},
	}
	for _, rd := range reads {
		if c := call(t, s, rd[0], rd[1], rd[2], r...).code; c != 200 {
			t.Errorf("read-only %s %s = %d", rd[0], rd[1], c)
		}
	}
	writes := [][3]string{
		{"PUT", "/collections/d", `{"vectors":{"size":2,"distance":"Dot"}}`}, {"DELETE", "/collections/c", ""},
		{"PATCH", "/collections/c", `{}`}, {"PUT", "/collections/c/points", `{"points":[]}`},
		{"POST", "/collections/c/points/delete", `{"points":[1]}`}, {"POST", "/collections/aliases", `{"actions":[]}`},
		{"PUT", "/collections/c/index", `{"field_name":"a","field_schema":"keyword"}`}, {"POST", "/collections/c/points/batch", `{"operations":[]}`},
	}
	for _, wr := range writes {
		rep := call(t, s, wr[0], wr[1], wr[2], r...)
		if rep.code != http.StatusForbidden || !strings.Contains(rep.err, "Forbidden") {
			t.Errorf("read-only %s %s = %d %s", wr[0], wr[1], rep.code, rep.raw)
		}
	}
	if c := call(t, s, "POST", "/collections/c/points/search", `{"vector":[1,0],"limit":1}`).code; c != 401 {
		t.Fatalf("no key: %d", c)
	}
}
