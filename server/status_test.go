package server

import "testing"

// TestQdrantStatusCodes: answers whose code Qdrant's tests check.
func TestQdrantStatusCodes(t *testing.T) {
	s := newEngineServer(t, Options{})
	mustOK(t, s, "PUT", "/collections/c", `{"vectors":{"size":2,"distance":"Dot"}}`)
	// A negative u32 is Qdrant's JSON parse error (400), not a validation error.
	mustFail(t, s, "PUT", "/collections/d", `{"vectors":{"size":2,"distance":"Dot"},"shard_number":-1}`, 400,
		"Format error in JSON body: shard_number: invalid value: integer `-1`, expected u32")
	mustFail(t, s, "PUT", "/collections/d", `{"vectors":{"size":2,"distance":"Dot"},"replication_factor":-2}`, 400, "replication_factor")
	mustFail(t, s, "PUT", "/collections/c/index", `{"field_name":"x","field_schema":{"type":"integer","lookup":false,"range":false}}`, 422,
		"Validation error in JSON body: [field_schema.lookup: the 'lookup' and 'range' capabilities can't be both disabled]")
	mustOK(t, s, "PUT", "/collections/c/index", `{"field_name":"x","field_schema":{"type":"integer","lookup":false,"range":true}}`)
	mustFail(t, s, "POST", "/collections/c/points/search", `{"vector":[1,1],"limit":1,"params":{"hnsw_ef":0}}`, 422, "hnsw_ef")
	mustFail(t, s, "POST", "/collections/c/points/search?timeout=0", `{"vector":[1,1],"limit":1}`, 422, "timeout")
	mustFail(t, s, "POST", "/collections/c/points/scroll", `{"filter":{"must":[{"key":"a"}]}}`, 422,
		"Validation error in JSON body: [filter.must[0]: At least one field condition must be specified]")
	mustFail(t, s, "POST", "/collections/c/points/search", `{"vector":[1,1],"limit":1,"filter":{"should":[{"key":"a"}]}}`, 422,
		"Validation error in JSON body: [", "At least one field condition must be specified")
	mustFail(t, s, "POST", "/collections/c/points/scroll", `{"filter":{"must":[{"slice":{"index":3,"total":2}}]}}`, 422,
		"Validation error in JSON body: [filter.must[0].slice.index: must be below total]")
	mustFail(t, s, "POST", "/collections/c/points/scroll", `{"filter":{"must":[{"key":"a","match":{"value":[1]}}]}}`, 400, "Format error in JSON body")
	mustFail(t, s, "POST", "/no/such/route", ``, 404, "Not found")
}
