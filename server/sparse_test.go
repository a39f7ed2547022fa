package server

import (
	"strings"
	"testing"
)

// TestSparseREST drives sparse vectors through the REST routes as a
// Qdrant client does: create, info, upsert (list and batch), retrieve,
// scroll, search, query (sparse, by id and hybrid with rrf and dbsf),
// update and delete vectors, PATCH, and the bad inputs with Qdrant's
// codes and texts, nothing stored changing.
func TestSparseREST(t *testing.T) {
	s := newEngineServer(t, Options{})
	mustOK(t, s, "PUT", "/collections/h", `{"vectors":{"d":{"size":2,"distance":"Dot"}},"sparse_vectors":{"text":{},"bm":{"modifier":"idf","index":{"on_disk":true}}}}`)
	info := string(mustOK(t, s, "GET", "/collections/h", ""))
	if !strings.Contains(info, `"sparse_vectors":{"bm":{"index":{"on_disk":true},"modifier":"idf"},"text":{}}`) {
		t.Fatalf("info: %s", info)
	}
	mustOK(t, s, "PUT", "/collections/h/points?wait=true", `{"points":[
		{"id":1,"vector":{"d":[1,0],"text":{"indices":[5,2],"values":[0.5,1]}},"payload":{"g":1}},
		{"id":2,"vector":{"d":[0,1],"text":{"indices":[2,7],"values":[2,3]},"bm":{"indices":[1],"values":[1]}}},
		{"id":3,"vector":{"bm":{"indices":[1,2],"values":[1,1]}}}]}`)
	mustOK(t, s, "PUT", "/collections/h/points?wait=true", `{"batch":{"ids":[4,5],"vectors":{"d":[[1,1],[2,2]],"text":[{"indices":[7],"values":[1]},{"indices":[],"values":[]}]}}}`)
	got := string(mustOK(t, s, "POST", "/collections/h/points", `{"ids":[1,5],"with_vector":true}`))
	want := `[{"id":1,"payload":{"g":1},"vector":{"d":[1.0,0.0],"text":{"indices":[2,5],"values":[1.0,0.5]}}},{"id":5,"payload":{},"vector":{"d":[2.0,2.0],"text":{"indices":[],"values":[]}}}]`
	if got != want {
		t.Fatalf("retrieve:\n%s\nwant\n%s", got, want)
	}
	got = string(mustOK(t, s, "POST", "/collections/h/points/query", `{"query":{"indices":[7,2],"values":[1,1]},"using":"text"}`))
	if !strings.HasPrefix(got, `{"points":[{"id":2,"version":1,"score":5.0,`) || !strings.Contains(got, `{"id":1,"version":1,"score":1.0,`) || strings.Contains(got, `"id":5`) {
		t.Fatalf("query: %s", got)
	}
	got = string(mustOK(t, s, "POST", "/collections/h/points/search", `{"vector":{"name":"text","vector":{"indices":[2],"values":[2]}},"limit":1,"filter":{"must":[{"key":"g","match":{"value":1}}]}}`))
	if !strings.HasPrefix(got, `[{"id":1,"version":1,"score":2.0,`) {
		t.Fatalf("search: %s", got)
	}
	// IDF over the 2 points with "bm": index 1 in both, index 2 in one:
	// ln(0.5/2.5 + 1) + ln(1.5/1.5 + 1) for point 3.
	got = string(mustOK(t, s, "POST", "/collections/h/points/query", `{"query":{"nearest":{"indices":[1,2],"values":[1,1]}},"using":"bm"}`))
	if !strings.HasPrefix(got, `{"points":[{"id":3,"version":1,"score":0.8754688,`) || !strings.Contains(got, `"id":2,"version":1,"score":0.1823216,`) {
		t.Fatalf("idf query: %s", got)
	}
	got = string(mustOK(t, s, "POST", "/collections/h/points/query", `{"query":3,"using":"bm"}`))
	if !strings.HasPrefix(got, `{"points":[{"id":2,`) {
		t.Fatalf("query by id: %s", got)
	}
	// Hybrid: dense [1,0.5] ranks 5,4,1,2; sparse {2,7} ranks 2,1,4.
	got = string(mustOK(t, s, "POST", "/collections/h/points/query", `{"prefetch":[{"query":[1,0.5],"using":"d","limit":4},
		{"query":{"indices":[2,7],"values":[1,1]},"using":"text","limit":3}],"query":{"fusion":"rrf"},"limit":3}`))
	if !strings.HasPrefix(got, `{"points":[{"id":2,"version":1,"score":0.7,`) {
		t.Fatalf("rrf: %s", got)
	}
	mustOK(t, s, "POST", "/collections/h/points/query", `{"prefetch":[{"query":[1,0.5],"using":"d"},{"query":{"indices":[2,7],"values":[1,1]},"using":"text"}],"query":{"fusion":"dbsf"}}`)

	before := string(mustOK(t, s, "POST", "/collections/h/points/scroll", `{"with_vector":true,"limit":100}`))
	for _, tc := range []struct {
		path, body, msg string
		code            int
	}{
		{"/collections/h/points?wait=true", `{"points":[{"id":1,"vector":{"text":{"indices":[100,500],"values":[0.9,0.8,0.5]}}}]}`,
			"Validation error in JSON body: [points[0].vector.?.values: Validation error: must be the same length as indices [{}]]", 400},
		{"/collections/h/points?wait=true", `{"points":[{"id":1,"vector":{"text":{"indices":[100,500,500],"values":[0.9,0.8,0.5]}}}]}`,
			"Validation error in JSON body: [points[0].vector.?.indices: Validation error: must be unique [{}]]", 400},
		{"/collections/h/points?wait=true", `{"points":[{"id":1,"vector":{"text":{"indices":[-1],"values":[1]}}}]}`, "invalid value: integer `-1`, expected u32", 400},
		{"/collections/h/points?wait=true", `{"points":[{"id":1,"vector":{"text":{"indices":[4294967296],"values":[1]}}}]}`, "expected u32", 400},
		{"/collections/h/points?wait=true", `{"points":[{"id":1,"vector":{"text":{"indices":[1.5],"values":[1]}}}]}`, "floating point `1.5`, expected u32", 400},
		{"/collections/h/points?wait=true", `{"points":[{"id":1,"vector":{"text":{"indices":[1],"values":[1e40]}}}]}`, "not a finite float32 number", 400},
		{"/collections/h/points?wait=true", `{"points":[{"id":1,"vector":{"text":[1,2]}}]}`, "Conversion between sparse and regular vectors failed", 400},
		{"/collections/h/points?wait=true", `{"points":[{"id":1,"vector":{"d":{"indices":[1],"values":[1]}}}]}`, "Conversion between sparse and regular vectors failed", 400},
		{"/collections/h/points/vectors?wait=true", `{"points":[{"id":1,"vector":{"text":{"indices":[1,1],"values":[1,2]}}}]}`, "must be unique", 400},
	} {
		mustFail(t, s, "PUT", tc.path, tc.body, tc.code, tc.msg)
	}
	if after := string(mustOK(t, s, "POST", "/collections/h/points/scroll", `{"with_vector":true,"limit":100}`)); after != before {
		t.Fatalf("a refused request changed the points:\n%s\n%s", before, after)
	}
	mustFail(t, s, "POST", "/collections/h/points/query", `{"query":{"indices":[1,1],"values":[1,1]},"using":"text"}`, 400, "must be unique")
	mustFail(t, s, "POST", "/collections/h/points/query", `{"query":[1,2],"using":"text"}`, 400, "Conversion between sparse and regular vectors failed")
	mustFail(t, s, "PUT", "/collections/x", `{"sparse_vectors":{"t":{"index":{"datatype":"uint8"}}}}`, 400, "sparse_vectors.t.index.datatype")
	mustOK(t, s, "PUT", "/collections/only", `{"sparse_vectors":{"t":{"index":{"datatype":"float32"}}}}`)
	if info := string(mustOK(t, s, "GET", "/collections/only", "")); !strings.Contains(info, `"params":{"vectors":{},"sparse_vectors":{"t":{"index":{}}}`) {
		t.Fatalf("sparse-only info: %s", info)
	}
	mustFail(t, s, "PUT", "/collections/x", `{"sparse_vectors":{"t":{"modifier":"bm25"}}}`, 400, "unknown variant `bm25`")
	mustFail(t, s, "PUT", "/collections/x", `{"vectors":{"t":{"size":2,"distance":"Dot"}},"sparse_vectors":{"t":{}}}`, 400, "both a dense and a sparse vector")

	mustOK(t, s, "PUT", "/collections/h/points/vectors?wait=true", `{"points":[{"id":3,"vector":{"text":{"indices":[9,3],"values":[9,3]}}}]}`)
	mustOK(t, s, "POST", "/collections/h/points/vectors/delete?wait=true", `{"points":[2],"vector":["bm"]}`)
	got = string(mustOK(t, s, "POST", "/collections/h/points", `{"ids":[2,3],"with_vector":["bm","text"]}`))
	if got != `[{"id":2,"payload":{},"vector":{"text":{"indices":[2,7],"values":[2.0,3.0]}}},{"id":3,"payload":{},"vector":{"bm":{"indices":[1,2],"values":[1.0,1.0]},"text":{"indices":[3,9],"values":[3.0,9.0]}}}]` {
		t.Fatalf("after update/delete vectors: %s", got)
	}
	mustOK(t, s, "PATCH", "/collections/h", `{"sparse_vectors":{"text":{"modifier":"idf","index":{"full_scan_threshold":100}}}}`)
	if info := string(mustOK(t, s, "GET", "/collections/h", "")); !strings.Contains(info, `"text":{"index":{"full_scan_threshold":100},"modifier":"idf"}`) {
		t.Fatalf("after PATCH: %s", info)
	}
	mustFail(t, s, "PATCH", "/collections/h", `{"sparse_vectors":{"nope":{"modifier":"idf"}}}`, 400, "Not existing vector name error: nope")
}
