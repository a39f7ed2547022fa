package server

import "testing"

// TestFacetRoute checks POST /collections/{c}/facet on the seeded
// collection's city arrays, with a filter and a limit, and the refusals.
func TestFacetRoute(t *testing.T) {
	s := seeded(t)
	mustFail(t, s, "POST", "/collections/c/facet", `{"key":"city"}`, 400, "No appropriate index for faceting: `city`")
	mustOK(t, s, "PUT", "/collections/c/index?wait=true", `{"field_name":"city","field_schema":"keyword"}`)
	got := string(mustOK(t, s, "POST", "/collections/c/facet", `{"key":"city"}`))
	if got != `{"hits":[{"value":"Berlin","count":3},{"value":"London","count":2},{"value":"Moscow","count":2}]}` {
		t.Fatalf("facet %s", got)
	}
	got = string(mustOK(t, s, "POST", "/collections/c/facet", `{"key":"city","limit":1,"exact":true,"filter":{"must":[{"key":"n","range":{"gte":3}}]}}`))
	if got != `{"hits":[{"value":"Moscow","count":2}]}` {
		t.Fatalf("filtered facet %s", got)
	}
	mustFail(t, s, "POST", "/collections/c/facet", `{}`, 400, "key")
	mustFail(t, s, "POST", "/collections/c/facet", `{"key":"city","limit":0}`, 422, "limit")
	mustFail(t, s, "POST", "/collections/nope/facet", `{"key":"city"}`, 404, "nope")
}
