package server

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// fuzzBodies are seeds shared by the body fuzz targets.
var fuzzBodies = []string{
	`{"points":[{"id":1,"vector":[1,2,3,4],"payload":{"a":1}}]}`,
	`{"batch":{"ids":[1,"5c56c793-69f3-4fbf-87e6-c4bf54c28c26"],"vectors":[[1,2,3,4],[0,0,0,1]],"payloads":[null,{"b":[1,2]}]}}`,
	`{"points":[{"id":18446744073709551615,"vector":{"":[1,2,3,4]}}]}`,
	`{"points":[{"id":-1,"vector":[1e39,2,3,4]}]}`,
	`{"vector":[1,2,3,4],"limit":3,"filter":{"must":[{"key":"a","match":{"value":1}}]}}`,
	`{"query":{"recommend":{"positive":[1],"negative":[[1,2,3,4]]}},"prefetch":[{"query":[1,0,0,0]}],"limit":2}`,
	`{"prefetch":[{"query":[1,0,0,0]},{"query":2}],"query":{"fusion":"dbsf"}}`,
	`{"operations":[{"upsert":{"points":[]}},{"delete":{"filter":{}}}]}`,
	`{"positive":[1],"negative":[2],"limit":1}`,
	`{"searches":[{"vector":[1,2,3,4],"limit":1}]}`,
	`[`, `null`, `{}`, `{"points":null}`, `{"vector":{"name":"x","vector":{}}}`,
	`{"points":[{"id":1,"vector":[3.4e38,3.4e38,3.4e38,1],"payload":{"a":{"b":{"c":[1]}}}}]}`,
	"{\"points\":[{\"id\":1,\"vector\":[1,2,3,4],\"payload\":{\"k\xff\":\"\\ud800\"}}]}",
	`{"points":[{"id":1,"vector":[1,2,3,4],"id":2}],"points":[]}`,
	`{"vector":[1,2,3,4],"limit":1,"params":{"hnsw_ef":-1},"limit":2}`,
}

// fuzzRoutes are the routes whose bodies the fuzzer feeds.
var fuzzRoutes = []struct{ method, path string }{
	{"PUT", "/collections/c/points"},
	{"POST", "/collections/c/points/search"},
	{"POST", "/collections/c/points/query"},
	{"POST", "/collections/c/points/recommend"},
	{"POST", "/collections/c/points/batch"},
	{"POST", "/collections/c/points/scroll"},
	{"POST", "/collections/c/points/payload"},
	{"PUT", "/collections/c/points/vectors"},
	{"POST", "/collections/c/points/search/batch"},
	{"PUT", "/collections/d"},
}

func fuzzServer(f *testing.F) *Server {
	s := newEngineServer(f, Options{})
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("PUT", "/collections/c", strings.NewReader(`{"vectors":{"size":4,"distance":"Cosine"}}`)))
	if rec.Code != 200 {
		f.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	rec = httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("PUT", "/collections/c/points?wait=true", strings.NewReader(fuzzBodies[0])))
	return s
}

// FuzzRequestBody feeds arbitrary bodies to every body-reading point route:
// the answer is never a 5xx and never a panic, and every error is in
// Qdrant's envelope.
func FuzzRequestBody(f *testing.F) {
	s := fuzzServer(f)
	for i, b := range fuzzBodies {
		f.Add(uint8(i), b)
	}
	f.Fuzz(func(t *testing.T, route uint8, body string) {
		r := fuzzRoutes[int(route)%len(fuzzRoutes)]
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(r.method, r.path+"?wait=true", strings.NewReader(body)))
		if rec.Code >= 500 {
			t.Fatalf("%s %s %q: %d %s", r.method, r.path, body, rec.Code, rec.Body)
		}
		if rec.Code >= 400 && !strings.Contains(rec.Body.String(), `"error"`) {
			t.Fatalf("%s %s %q: %d without envelope: %s", r.method, r.path, body, rec.Code, rec.Body)
		}
	})
}

// FuzzUpsertBody feeds arbitrary bodies to the upsert route only, the
// parser that takes the most untrusted bytes.
func FuzzUpsertBody(f *testing.F) {
	s := fuzzServer(f)
	for _, b := range fuzzBodies {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body string) {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest("PUT", "/collections/c/points", strings.NewReader(body)))
		if rec.Code >= 500 {
			t.Fatalf("%q: %d %s", body, rec.Code, rec.Body)
		}
	})
}
