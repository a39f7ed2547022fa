package server

import (
	"net/http"
	"strings"
	"testing"

	"github.com/cairn-db/cairn/payload"
)

func nestedPayload(depth int) string {
	return strings.Repeat(`{"a":`, depth-1) + `{"b":1}` + strings.Repeat(`}`, depth-1)
}

// TestPayloadDepthLimit: a payload nested deeper than payload.MaxDepth is
// refused with 400 by every write that stores one, and nothing is
// stored; one at the limit is stored and answered by every read.
func TestPayloadDepthLimit(t *testing.T) {
	s := newEngineServer(t, Options{})
	mustOK(t, s, http.MethodPut, "/collections/c", `{"vectors":{"size":2,"distance":"Dot"}}`)
	mustOK(t, s, http.MethodPut, "/collections/n", `{"vectors":{"v":{"size":2,"distance":"Dot"}}}`)
	mustOK(t, s, http.MethodPut, "/collections/c/points?wait=true", `{"points":[{"id":1,"vector":[1,0],"payload":{"keep":1}}]}`)
	for _, depth := range []int{payload.MaxDepth + 1, 10000} {
		deep := nestedPayload(depth)
		for _, w := range []struct{ method, path, body string }{
			{http.MethodPut, "/collections/c/points?wait=true", `{"points":[{"id":1,"vector":[1,0],"payload":` + deep + `}]}`},
			{http.MethodPut, "/collections/c/points?wait=true", `{"batch":{"ids":[1],"vectors":[[1,0]],"payloads":[` + deep + `]}}`},
			{http.MethodPut, "/collections/n/points?wait=true", `{"points":[{"id":1,"vector":{"v":[1,0]},"payload":` + deep + `}]}`},
			{http.MethodPost, "/collections/c/points/payload?wait=true", `{"points":[1],"payload":` + deep + `}`},
			{http.MethodPut, "/collections/c/points/payload?wait=true", `{"points":[1],"payload":` + deep + `}`},
			{http.MethodPost, "/collections/c/points/batch?wait=true", `{"operations":[{"overwrite_payload":{"points":[1],"payload":` + deep + `}}]}`},
		} {
			r := call(t, s, w.method, w.path, w.body)
			if r.code != http.StatusBadRequest || !strings.Contains(r.err, "nested deeper than 128 levels") && !strings.Contains(r.err, "recursion limit exceeded") {
				t.Fatalf("%s %s, %d deep: %d %s", w.method, w.path, depth, r.code, r.raw[:min(len(r.raw), 300)])
			}
		}
	}
	// A key path adds levels: the stored document is what is bounded.
	mustFail(t, s, http.MethodPost, "/collections/c/points/payload?wait=true",
		`{"points":[1],"key":"x.y","payload":`+nestedPayload(payload.MaxDepth-1)+`}`, http.StatusBadRequest, "nested deeper")
	res := string(mustOK(t, s, http.MethodGet, "/collections/c/points/1", ""))
	if !strings.Contains(res, `"keep":1`) {
		t.Fatalf("a refused write changed the point: %s", res)
	}
	atLimit := nestedPayload(payload.MaxDepth)
	mustOK(t, s, http.MethodPut, "/collections/c/points?wait=true", `{"points":[{"id":2,"vector":[1,0],"payload":`+atLimit+`}]}`)
	mustOK(t, s, http.MethodGet, "/collections/c/points/2", "")
	mustOK(t, s, http.MethodPost, "/collections/c/points/scroll", `{"with_payload":true}`)
	mustOK(t, s, http.MethodPost, "/collections/c/points/search", `{"vector":[1,0],"limit":2,"with_payload":true}`)
}

// TestInvalidTextRefused: invalid UTF-8 and lone surrogate escapes in a
// payload, or anywhere in a request body, answer 400 as Qdrant's parser
// does, instead of being stored as U+FFFD; valid text round-trips.
func TestInvalidTextRefused(t *testing.T) {
	s := newEngineServer(t, Options{})
	mustOK(t, s, http.MethodPut, "/collections/c", `{"vectors":{"size":2,"distance":"Dot"}}`)
	mustOK(t, s, http.MethodPut, "/collections/c/points?wait=true", `{"points":[{"id":1,"vector":[1,0],"payload":{"k":"v"}}]}`)
	for _, pl := range []string{"{\"k\xff\":1}", "{\"k\":\"\xc3\"}", "{\"k\":{\"n\":\"\xff\"}}", `{"k":"\ud800"}`, `{"\udc00":1}`} {
		for _, w := range []struct{ method, path, body string }{
			{http.MethodPut, "/collections/c/points?wait=true", `{"points":[{"id":1,"vector":[1,0],"payload":` + pl + `}]}`},
			{http.MethodPost, "/collections/c/points/payload?wait=true", `{"points":[1],"payload":` + pl + `}`},
			{http.MethodPut, "/collections/c/points/payload?wait=true", `{"points":[1],"payload":` + pl + `}`},
		} {
			mustFail(t, s, w.method, w.path, w.body, http.StatusBadRequest, "Format error in JSON body")
		}
	}
	mustFail(t, s, http.MethodPost, "/collections/c/points/scroll",
		"{\"filter\":{\"must\":[{\"key\":\"k\",\"match\":{\"value\":\"\xff\"}}]}}", http.StatusBadRequest, "invalid unicode code point")
	res := string(mustOK(t, s, http.MethodGet, "/collections/c/points/1", ""))
	if !strings.Contains(res, `"k":"v"`) {
		t.Fatalf("a refused write changed the point: %s", res)
	}
	mustOK(t, s, http.MethodPut, "/collections/c/points?wait=true", `{"points":[{"id":2,"vector":[1,0],"payload":{"city":"Zürich","e":"\ud83d\ude00"}}]}`)
	if res := string(mustOK(t, s, http.MethodGet, "/collections/c/points/2", "")); !strings.Contains(res, "Zürich") || !strings.Contains(res, "😀") {
		t.Fatalf("valid text changed: %s", res)
	}
}

// TestDuplicateFieldsRefused: a request naming a struct field twice
// answers 400 "duplicate field", as Qdrant's parser does, on the fast
// upsert path too, and nothing is written; a key repeated inside a payload
// keeps its last value, as in Qdrant.
func TestDuplicateFieldsRefused(t *testing.T) {
	s := newEngineServer(t, Options{})
	mustOK(t, s, http.MethodPut, "/collections/c", `{"vectors":{"size":2,"distance":"Dot"}}`)
	for _, w := range []struct{ method, path, body string }{
		{http.MethodPut, "/collections/c/points?wait=true", `{"points":[{"id":1,"vector":[1,0],"id":2}]}`},
		{http.MethodPut, "/collections/c/points?wait=true", `{"points":[{"id":1,"vector":[1,0]}],"points":[]}`},
		{http.MethodPost, "/collections/c/points/search", `{"vector":[1,0],"limit":1,"limit":100}`},
		{http.MethodPut, "/collections/d", `{"vectors":{"size":2,"distance":"Dot"},"shard_number":1,"shard_number":2}`},
	} {
		mustFail(t, s, w.method, w.path, w.body, http.StatusBadRequest, "Format error in JSON body: duplicate field `")
	}
	if r := call(t, s, http.MethodPost, "/collections/c/points/count", `{}`); !strings.Contains(string(r.result), `"count":0`) {
		t.Fatalf("a refused upsert wrote: %s", r.raw)
	}
	mustOK(t, s, http.MethodPut, "/collections/c/points?wait=true", `{"points":[{"id":1,"vector":[1,0],"payload":{"k":1,"k":2,"o":{"x":1,"x":3}}}]}`)
	if res := string(mustOK(t, s, http.MethodGet, "/collections/c/points/1", "")); !strings.Contains(res, `"k":2`) || !strings.Contains(res, `"x":3`) {
		t.Fatalf("payload duplicates: %s", res)
	}
}

// TestInvalidTextMessage: the message is Qdrant's (serde_json's) wording.
func TestInvalidTextMessage(t *testing.T) {
	s := newEngineServer(t, Options{})
	mustOK(t, s, http.MethodPut, "/collections/c", `{"vectors":{"size":2,"distance":"Dot"}}`)
	r := call(t, s, http.MethodPut, "/collections/c/points", "{\"points\":[{\"id\":1,\"vector\":[1,0],\"payload\":{\"k\":\"\xff\"}}]}")
	if want := "Format error in JSON body: invalid unicode code point at line 1 column 51"; r.code != 400 || r.err != want {
		t.Fatalf("%d %q, want %q", r.code, r.err, want)
	}
}
