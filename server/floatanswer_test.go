package server

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// floatSpellings walks a decoded answer and returns every number found
// under a "vector" or "score" key that is not spelled as a float.
func floatSpellings(v any, under string, bad *[]string) {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			next := under
			if k == "vector" || k == "score" {
				next = k
			} else if k == "payload" {
				continue // payload numbers are kept as the user sent them
			}
			floatSpellings(e, next, bad)
		}
	case []any:
		for _, e := range v {
			floatSpellings(e, under, bad)
		}
	case json.Number:
		if under != "" && !strings.ContainsAny(string(v), ".eE") {
			*bad = append(*bad, under+"="+string(v))
		}
	}
}

// TestAnswersSpellFloatsAsFloats: every route answering vectors or
// scores writes whole-number floats as 1.0 (the Python client's
// StrictFloat refuses 1), while payload numbers stay as sent.
func TestAnswersSpellFloatsAsFloats(t *testing.T) {
	s := newEngineServer(t, Options{})
	mustOK(t, s, http.MethodPut, "/collections/c", `{"vectors":{"size":4,"distance":"Dot"}}`)
	mustOK(t, s, http.MethodPut, "/collections/n", `{"vectors":{"a":{"size":2,"distance":"Dot"},"b":{"size":2,"distance":"Euclid"}}}`)
	mustOK(t, s, http.MethodPut, "/collections/c/points?wait=true",
		`{"points":[{"id":1,"vector":[1,0,0,0],"payload":{"n":1,"f":1.0}},{"id":2,"vector":[0,1,0,0]},{"id":3,"vector":[2,0,0,0]}]}`)
	mustOK(t, s, http.MethodPut, "/collections/n/points?wait=true",
		`{"points":[{"id":1,"vector":{"a":[1,0],"b":[0,2]}},{"id":2,"vector":{"a":[0,1],"b":[1,1]}}]}`)
	routes := []struct{ method, path, body string }{
		{http.MethodGet, "/collections/c/points/1", ""},
		{http.MethodGet, "/collections/n/points/1", ""},
		{http.MethodPost, "/collections/c/points", `{"ids":[1,2],"with_vector":true}`},
		{http.MethodPost, "/collections/c/points/scroll", `{"with_vector":true}`},
		{http.MethodPost, "/collections/n/points/scroll", `{"with_vector":true}`},
		{http.MethodPost, "/collections/c/points/search", `{"vector":[1,0,0,0],"with_vector":true,"limit":3}`},
		{http.MethodPost, "/collections/n/points/search", `{"vector":{"name":"b","vector":[0,2]},"with_vector":true,"limit":2}`},
		{http.MethodPost, "/collections/c/points/search/batch", `{"searches":[{"vector":[1,0,0,0],"with_vector":true,"limit":3}]}`},
		{http.MethodPost, "/collections/c/points/recommend", `{"positive":[1],"with_vector":true,"limit":2}`},
		{http.MethodPost, "/collections/c/points/recommend/batch", `{"searches":[{"positive":[1],"with_vector":true,"limit":2}]}`},
		{http.MethodPost, "/collections/c/points/query", `{"query":[1,0,0,0],"with_vector":true}`},
		{http.MethodPost, "/collections/c/points/query", `{"query":1,"with_vector":true}`},
		{http.MethodPost, "/collections/c/points/query", `{"with_vector":true}`},
		{http.MethodPost, "/collections/c/points/query", `{"prefetch":[{"query":[1,0,0,0]},{"query":[0,1,0,0]}],"query":{"fusion":"rrf"},"with_vector":true}`},
		{http.MethodPost, "/collections/c/points/query/batch", `{"searches":[{"query":[1,0,0,0],"with_vector":true}]}`},
	}
	for _, r := range routes {
		res := mustOK(t, s, r.method, r.path, r.body)
		v := decode[any](t, res)
		var bad []string
		floatSpellings(v, "", &bad)
		if len(bad) > 0 {
			t.Errorf("%s %s: numbers not spelled as floats: %v in %s", r.method, r.path, bad, res)
		}
		if !strings.Contains(string(res), "vector") {
			t.Errorf("%s %s: no vector in %s", r.method, r.path, res)
		}
	}
	res := string(mustOK(t, s, http.MethodGet, "/collections/c/points/1", ""))
	if !strings.Contains(res, `"n":1`) || !strings.Contains(res, `"f":1.0`) {
		t.Errorf("payload numbers changed: %s", res)
	}
}

// TestOverflowingScoresAnswer: vectors near float32's limit are finite
// and stored (as Qdrant stores them), their Dot and Euclid scores
// overflow to ±Inf, and the answers say null there, as Qdrant's do,
// instead of failing to encode (500).
func TestOverflowingScoresAnswer(t *testing.T) {
	s := newEngineServer(t, Options{})
	for _, d := range []string{"Dot", "Euclid", "Manhattan", "Cosine"} {
		col := "/collections/" + strings.ToLower(d)
		mustOK(t, s, http.MethodPut, col, `{"vectors":{"size":2,"distance":"`+d+`"}}`)
		mustOK(t, s, http.MethodPut, col+"/points?wait=true",
			`{"points":[{"id":1,"vector":[3.4e38,3.4e38]},{"id":2,"vector":[-3.4e38,1]},{"id":3,"vector":[1,1]}]}`)
		for _, body := range []string{
			`{"vector":[3.4e38,3.4e38],"limit":3,"with_vector":true}`,
			`{"vector":[-3.4e38,3.4e38],"limit":3}`,
		} {
			res := mustOK(t, s, http.MethodPost, col+"/points/search", body)
			pts := decode[[]map[string]any](t, res)
			if len(pts) != 3 {
				t.Fatalf("%s: %d points: %s", d, len(pts), res)
			}
		}
		mustOK(t, s, http.MethodPost, col+"/points/query", `{"query":[3.4e38,3.4e38],"limit":3}`)
		mustOK(t, s, http.MethodPost, col+"/points/recommend", `{"positive":[1],"limit":3}`)
	}
	res := string(mustOK(t, s, http.MethodPost, "/collections/dot/points/search", `{"vector":[3.4e38,3.4e38],"limit":1}`))
	if !strings.Contains(res, `"score":null`) {
		t.Errorf("overflowing Dot score: %s, want null as Qdrant answers", res)
	}
}
