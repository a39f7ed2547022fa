package server

import (
	"strings"
	"testing"
)

// TestScrollLimitZero checks Qdrant's validation of the scroll page size:
// ScrollRequest.limit has "minimum": 1 in the OpenAPI contract, so an
// explicit 0 is a 422, not the default page of 10.
func TestScrollLimitZero(t *testing.T) {
	s := seeded(t)
	mustFail(t, s, "POST", "/collections/c/points/scroll", `{"limit":0}`, 422, "limit", "must be 1 or more")
	// An absent or null limit is still Qdrant's default page of 10.
	mustOK(t, s, "POST", "/collections/c/points/scroll", `{"limit":null}`)
	mustOK(t, s, "POST", "/collections/c/points/scroll", `{}`)
}

// TestAliasErrorWording checks that a failed alias action answers with
// Qdrant's own message, not one prefixed with the action's position.
func TestAliasErrorWording(t *testing.T) {
	s := seeded(t)
	r := call(t, s, "POST", "/collections/aliases", `{"actions":[{"create_alias":{"collection_name":"nope","alias_name":"a"}}]}`)
	if r.code != 404 || r.err != "Not found: Collection `nope` doesn't exist!" {
		t.Fatalf("create alias on missing collection: %d %q", r.code, r.err)
	}
	r = call(t, s, "POST", "/collections/aliases", `{"actions":[{"delete_alias":{"alias_name":"nope"}}]}`)
	if r.code != 404 || r.err != "Not found: Alias nope does not exists!" {
		t.Fatalf("delete missing alias: %d %q", r.code, r.err)
	}
}

// TestWithVectorsAlias checks Qdrant's serde alias "with_vectors" for
// "with_vector" on every read route that takes the selector (Qdrant's
// ScrollRequestInternal, SearchRequestInternal, QueryRequestInternal,
// RecommendRequestInternal and PointRequestInternal declare it).
func TestWithVectorsAlias(t *testing.T) {
	s := seeded(t)
	routes := []struct{ path, body string }{
		{"/collections/c/points/scroll", `{"limit":1,"with_vectors":true}`},
		{"/collections/c/points", `{"ids":[1],"with_vectors":true}`},
		{"/collections/c/points/search", `{"vector":[1,0,0,0],"limit":1,"with_vectors":true}`},
		{"/collections/c/points/search/batch", `{"searches":[{"vector":[1,0,0,0],"limit":1,"with_vectors":true}]}`},
		{"/collections/c/points/recommend", `{"positive":[1],"limit":1,"with_vectors":true}`},
		{"/collections/c/points/recommend/batch", `{"searches":[{"positive":[1],"limit":1,"with_vectors":true}]}`},
		{"/collections/c/points/query", `{"query":[1,0,0,0],"limit":1,"with_vectors":true}`},
		{"/collections/c/points/query/batch", `{"searches":[{"query":[1,0,0,0],"limit":1,"with_vectors":true}]}`},
	}
	for _, r := range routes {
		raw := string(mustOK(t, s, "POST", r.path, r.body))
		if strings.Contains(raw, `"vector":null`) || !strings.Contains(raw, `"vector":[`) {
			t.Errorf("POST %s %s: no vector in %s", r.path, r.body, raw)
		}
	}
}

// TestScrollOrderByRoute checks that scroll reads order_by (string and
// object forms) instead of ignoring it, and answers Qdrant's 400 when the
// key has no range index.
func TestScrollOrderByRoute(t *testing.T) {
	s := seeded(t)
	mustFail(t, s, "POST", "/collections/c/points/scroll", `{"order_by":"n"}`, 400, "No range index for `order_by` key: `n`")
	mustOK(t, s, "PUT", "/collections/c/index?wait=true", `{"field_name":"n","field_schema":"integer"}`)
	raw := string(mustOK(t, s, "POST", "/collections/c/points/scroll", `{"order_by":{"key":"n","direction":"desc"},"limit":2,"with_payload":false}`))
	want := `{"points":[{"id":4,"payload":null,"vector":null,"order_value":4},{"id":3,"payload":null,"vector":null,"order_value":3}],"next_page_offset":null}`
	if raw != want {
		t.Fatalf("order_by desc:\n got %s\nwant %s", raw, want)
	}
	raw = string(mustOK(t, s, "POST", "/collections/c/points/scroll", `{"order_by":"n","limit":1,"with_payload":false}`))
	if !strings.HasPrefix(raw, `{"points":[{"id":1,`) {
		t.Fatalf("order_by asc: %s", raw)
	}
	mustFail(t, s, "POST", "/collections/c/points/scroll", `{"order_by":{"direction":"asc"}}`, 400, "order_by.key")
}

// TestCreateRejectsUnsupportedVectors checks that a collection asking for
// multivectors, or a sparse vector datatype Cairn does not store, is
// refused with a 400 naming the field, rather than created without them
// (so later upserts fail or lose data).
func TestCreateRejectsUnsupportedVectors(t *testing.T) {
	s := newEngineServer(t, Options{})
	mustFail(t, s, "PUT", "/collections/m", `{"vectors":{"size":4,"distance":"Cosine","multivector_config":{"comparator":"max_sim"}}}`, 400, "multivector_config")
	mustFail(t, s, "PUT", "/collections/m", `{"vectors":{"a":{"size":4,"distance":"Cosine"},"b":{"size":2,"distance":"Dot","multivector_config":{"comparator":"max_sim"}}}}`, 400, "vectors.b.multivector_config")
	mustFail(t, s, "PUT", "/collections/m", `{"vectors":{"size":4,"distance":"Cosine"},"sparse_vectors":{"text":{"index":{"datatype":"float16"}}}}`, 400, "sparse_vectors.text.index.datatype")
	if r := call(t, s, "GET", "/collections/m/exists", ""); string(r.result) != `{"exists":false}` {
		t.Fatalf("refused collection exists: %s", r.raw)
	}
	// Null and empty forms are what clients send when they use neither.
	mustOK(t, s, "PUT", "/collections/m", `{"vectors":{"size":4,"distance":"Cosine","multivector_config":null},"sparse_vectors":{}}`)
	mustOK(t, s, "PUT", "/collections/n", `{"vectors":{"a":{"size":4,"distance":"Cosine","multivector_config":null}},"sparse_vectors":null}`)
}
