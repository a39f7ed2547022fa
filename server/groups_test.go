package server

import (
	"encoding/json"
	"strings"
	"testing"
)

type groupOut struct {
	ID     json.RawMessage `json:"id"`
	Hits   []scored        `json:"hits"`
	Lookup *struct {
		ID      json.RawMessage `json:"id"`
		Payload map[string]any  `json:"payload"`
	} `json:"lookup"`
}

func groupsOf(t *testing.T, raw json.RawMessage) (string, []groupOut) {
	t.Helper()
	res := decode[struct {
		Groups []groupOut `json:"groups"`
	}](t, raw)
	var b []string
	for _, g := range res.Groups {
		b = append(b, string(g.ID)+":"+ids(g.Hits))
	}
	return strings.Join(b, " "), res.Groups
}

// TestGroupRoutes checks the three group routes on the seeded collection
// (cities as arrays: a point joins each of its cities' groups), with_lookup
// in both forms, the defaults of query groups, and the refusals.
func TestGroupRoutes(t *testing.T) {
	s := seeded(t)
	mustOK(t, s, "PUT", "/collections/cities", `{"vectors":{"size":2,"distance":"Dot"}}`)
	mustOK(t, s, "PUT", "/collections/cities/points?wait=true", `{"points":[{"id":"6ba7b810-9dad-11d1-80b4-00c04fd430c8","vector":[1,0],"payload":{"name":"uuid"}}]}`)
	const base = "/collections/c/points/"
	q := `[0.2,0.1,0.9,0.7]`
	// Ranking by the query (Dot): 4, 1, 3, 2 (then points without a city).
	got, _ := groupsOf(t, mustOK(t, s, "POST", base+"search/groups", `{"vector":`+q+`,"group_by":"city","group_size":2,"limit":3,"with_payload":["n"]}`))
	if got != `"London":4,2 "Moscow":4,3 "Berlin":1,3` {
		t.Fatalf("search groups %s", got)
	}
	got2, _ := groupsOf(t, mustOK(t, s, "POST", base+"query/groups", `{"query":`+q+`,"group_by":"city","group_size":2,"limit":3}`))
	if got2 != got {
		t.Fatalf("query groups %s, search groups %s", got2, got)
	}
	// Defaults: group_size 3, limit 10.
	if got, _ := groupsOf(t, mustOK(t, s, "POST", base+"query/groups", `{"query":`+q+`,"group_by":"city"}`)); got != `"London":4,2 "Moscow":4,3 "Berlin":1,3,2` {
		t.Fatalf("query groups defaults %s", got)
	}
	got, _ = groupsOf(t, mustOK(t, s, "POST", base+"recommend/groups", `{"positive":[4],"group_by":"n","group_size":1,"limit":2}`))
	if strings.Contains(got, ":4") || strings.Count(got, ":") != 2 {
		t.Fatalf("recommend groups %s", got)
	}
	_, groups := groupsOf(t, mustOK(t, s, "POST", base+"search/groups", `{"vector":`+q+`,"group_by":"n","group_size":1,"limit":1,"with_lookup":"cities"}`))
	if len(groups) != 1 || string(groups[0].ID) != "4" || groups[0].Lookup != nil {
		t.Fatalf("lookup of a missing id %+v", groups)
	}
	mustOK(t, s, "PUT", "/collections/c/points/payload?wait=true", `{"payload":{"city_id":"6ba7b810-9dad-11d1-80b4-00c04fd430c8"},"points":[1]}`)
	_, groups = groupsOf(t, mustOK(t, s, "POST", base+"query/groups", `{"query":`+q+`,"group_by":"city_id","with_lookup":{"collection":"cities","with_payload":true}}`))
	if len(groups) != 1 || groups[0].Lookup == nil || groups[0].Lookup.Payload["name"] != "uuid" {
		t.Fatalf("lookup %+v", groups)
	}
	mustFail(t, s, "POST", base+"search/groups", `{"vector":`+q+`,"group_size":2,"limit":3}`, 400, "group_by")
	mustFail(t, s, "POST", base+"search/groups", `{"vector":`+q+`,"group_by":"city","limit":3}`, 400, "group_size")
	mustFail(t, s, "POST", base+"search/groups", `{"vector":`+q+`,"group_by":"city","group_size":2}`, 400, "limit")
	mustFail(t, s, "POST", base+"search/groups", `{"group_by":"city","group_size":2,"limit":1}`, 400, "vector")
	mustFail(t, s, "POST", base+"search/groups", `{"vector":`+q+`,"group_by":"","group_size":2,"limit":1}`, 422, "group_by")
	mustFail(t, s, "POST", base+"search/groups", `{"vector":`+q+`,"group_by":"a[","group_size":2,"limit":1}`, 400, "group_by")
	mustFail(t, s, "POST", base+"query/groups", `{"query":`+q+`,"group_by":"city","group_size":0}`, 422, "group_size")
	mustFail(t, s, "POST", base+"query/groups", `{"query":`+q+`,"group_by":"city","using":"x"}`, 400, "Not existing vector name error: x")
	mustFail(t, s, "POST", base+"query/groups", `{"query":`+q+`,"group_by":"city","with_lookup":"nope"}`, 404, "nope")
	mustFail(t, s, "POST", "/collections/nope/points/query/groups", `{"group_by":"city"}`, 404, "nope")
	mustFail(t, s, "POST", base+"recommend/groups", `{"group_by":"n","group_size":1,"limit":2}`, 400, "Bad request: At least one positive vector ID required with this strategy")
}

// TestSearchGroupsSparse groups a search by a sparse vector: the sparse
// query reaches the engine as /points/search's does.
func TestSearchGroupsSparse(t *testing.T) {
	s := newEngineServer(t, Options{})
	mustOK(t, s, "PUT", "/collections/h", `{"sparse_vectors":{"text":{}}}`)
	mustOK(t, s, "PUT", "/collections/h/points?wait=true", `{"points":[
		{"id":1,"vector":{"text":{"indices":[2],"values":[1]}},"payload":{"g":"a"}},
		{"id":2,"vector":{"text":{"indices":[2],"values":[3]}},"payload":{"g":"b"}}]}`)
	got := string(mustOK(t, s, "POST", "/collections/h/points/search/groups", `{"vector":{"name":"text","vector":{"indices":[2],"values":[1]}},"group_by":"g","group_size":1,"limit":2}`))
	if !strings.HasPrefix(got, `{"groups":[{"id":"b","hits":[{"id":2,`) || !strings.Contains(got, `{"id":"a","hits":[{"id":1,`) {
		t.Fatalf("search groups: %s", got)
	}
}
