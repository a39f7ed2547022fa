package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

// TestReadOnlyKeyCannotFreezeCollection replays the requests of issue 21
// with the read-only key: huge limits with an offset answer as Qdrant does
// (every point after the offset), hnsw_ef 0 answers 422 and -1 400, and then an
// upsert and GET /collections/{c} still succeed (before the fix they
// panicked with the shard's read lock held, and every later write and
// collection info hung).
func TestReadOnlyKeyCannotFreezeCollection(t *testing.T) {
	s := newEngineServer(t, Options{APIKey: "full", ReadOnlyAPIKey: "ro"})
	rw := []string{"api-key", "full"}
	ro := []string{"api-key", "ro"}
	must := func(method, path, body string, code int, hdr []string, fragments ...string) reply {
		t.Helper()
		r := call(t, s, method, path, body, hdr...)
		if r.code != code {
			t.Fatalf("%s %s %s: %d, want %d: %s", method, path, body, r.code, code, r.raw)
		}
		for _, f := range fragments {
			if !strings.Contains(r.raw, f) {
				t.Fatalf("%s %s: %s lacks %q", method, path, r.raw, f)
			}
		}
		return r
	}
	must("PUT", "/collections/c", `{"vectors":{"size":4,"distance":"Dot"}}`, 200, rw)
	must("PUT", "/collections/c/points?wait=true", `{"points":[
		{"id":1,"vector":[0.05,0.61,0.76,0.74]},{"id":2,"vector":[0.19,0.81,0.75,0.11]},
		{"id":3,"vector":[0.36,0.55,0.47,0.94]},{"id":4,"vector":[0.18,0.01,0.85,0.80]}]}`, 200, rw)
	const max = "9223372036854775807"
	const q = `[0.2,0.1,0.9,0.7]`
	for _, tc := range []struct{ path, body, want string }{
		{"/points/scroll", `{"limit":` + max + `}`, `"next_page_offset":null`},
		{"/points/scroll", `{"limit":` + max + `,"offset":2}`, `"id":4`},
		{"/points/search", `{"vector":` + q + `,"limit":` + max + `,"offset":1}`, `"id"`},
		{"/points/search", `{"vector":` + q + `,"limit":` + max + `,"offset":` + max + `}`, `"result":[]`},
		{"/points/search/batch", `{"searches":[{"vector":` + q + `,"limit":` + max + `,"offset":1}]}`, `"id"`},
		{"/points/recommend", `{"positive":[1],"limit":` + max + `,"offset":1}`, `"id"`},
		{"/points/recommend/batch", `{"searches":[{"positive":[1],"limit":` + max + `,"offset":1}]}`, `"id"`},
		{"/points/query", `{"query":` + q + `,"limit":` + max + `,"offset":1}`, `"id"`},
		{"/points/query", `{"query":1,"limit":` + max + `,"offset":1}`, `"id"`},
		{"/points/query", `{"limit":` + max + `,"offset":1}`, `"id"`},
		{"/points/query", `{"prefetch":{"query":` + q + `,"limit":` + max + `},"query":` + q + `,"limit":` + max + `,"offset":1}`, `"id"`},
		{"/points/query/batch", `{"searches":[{"query":` + q + `,"limit":` + max + `,"offset":1}]}`, `"id"`},
	} {
		must("POST", "/collections/c"+tc.path, tc.body, 200, ro, tc.want)
	}
	// Every point but the offset's first: 3 of 4.
	r := must("POST", "/collections/c/points/search", `{"vector":`+q+`,"limit":`+max+`,"offset":1}`, 200, ro)
	if n := strings.Count(string(r.result), `"id"`); n != 3 {
		t.Fatalf("search with a huge limit and offset 1: %d points: %s", n, r.raw)
	}
	// 0 fails Qdrant's validation (422), -1 its deserialization (400).
	for ef, code := range map[string]int{"0": 422, "-1": 400} {
		must("POST", "/collections/c/points/search", `{"vector":`+q+`,"limit":3,"params":{"hnsw_ef":`+ef+`}}`, code, ro, "hnsw_ef")
		must("POST", "/collections/c/points/query", `{"query":`+q+`,"params":{"hnsw_ef":`+ef+`}}`, code, ro, "hnsw_ef")
	}
	must("PUT", "/collections/c/points?wait=true", `{"points":[{"id":5,"vector":[1,0,0,0]}]}`, 200, rw)
	must("GET", "/collections/c", "", 200, ro, `"points_count":5`)
}

// TestQueryPrefetchFanOutBounded checks that a query, or a query batch,
// whose prefetch tree holds more than MaxQueryPrefetches searches is
// refused before any runs, and that one at the limit runs.
func TestQueryPrefetchFanOutBounded(t *testing.T) {
	s := seeded(t)
	leaves := func(n int) string {
		return `[` + strings.Repeat(`{"query":[0.1,0.2,0.3,0.4],"limit":1},`, n-1) + `{"query":[0.1,0.2,0.3,0.4],"limit":1}]`
	}
	body := `{"prefetch":` + leaves(MaxQueryPrefetches) + `,"query":{"fusion":"rrf"}}`
	mustOK(t, s, "POST", "/collections/c/points/query", body)
	body = `{"prefetch":` + leaves(MaxQueryPrefetches+1) + `,"query":{"fusion":"rrf"}}`
	mustFail(t, s, "POST", "/collections/c/points/query", body, 400, "prefetch", "1024")
	// Nested: 600 under one prefetch plus 600 beside it.
	body = `{"prefetch":[{"prefetch":` + leaves(600) + `,"query":{"fusion":"rrf"}},{"prefetch":` + leaves(600) + `,"query":{"fusion":"rrf"}}],"query":{"fusion":"rrf"}}`
	mustFail(t, s, "POST", "/collections/c/points/query", body, 400, "prefetch")
	// A batch counts its queries together.
	half := `{"prefetch":` + leaves(MaxQueryPrefetches/2+1) + `,"query":{"fusion":"rrf"}}`
	mustFail(t, s, "POST", "/collections/c/points/query/batch", `{"searches":[`+half+`,`+half+`]}`, 400, "prefetch")
	// A huge offset + limit at the top of a prefetched query saturates.
	mustOK(t, s, "POST", "/collections/c/points/query", `{"prefetch":{"query":[0.1,0.2,0.3,0.4]},"query":[0.1,0.2,0.3,0.4],"limit":9223372036854775807,"offset":9223372036854775807}`)
}

// TestTimeoutParameter checks the `timeout` query parameter: refused when
// not a whole number of seconds of at least 1, and, when the deadline
// passes, answered as Qdrant answers a timed-out operation.
func TestTimeoutParameter(t *testing.T) {
	s := seeded(t)
	mustOK(t, s, "POST", "/collections/c/points/search?timeout=5", `{"vector":[0.1,0.2,0.3,0.4],"limit":2}`)
	mustOK(t, s, "POST", "/collections/c/points/scroll?timeout=18446744073709551615", `{}`)
	mustFail(t, s, "POST", "/collections/c/points/search?timeout=x", `{"vector":[0.1,0.2,0.3,0.4],"limit":2}`, 400, "timeout")
	mustFail(t, s, "POST", "/collections/c/points/count?timeout=-1", `{}`, 400, "timeout")
	mustFail(t, s, "POST", "/collections/c/points/query?timeout=0", `{}`, 422, "timeout")

	// A handler that runs until its context ends: the deadline, not the
	// client, ends it, and the answer names the operation and the timeout.
	e := echo.New()
	e.HTTPErrorHandler = s.errorHandler
	e.POST("/slow", timed("Search", func(c echo.Context) error {
		<-c.Request().Context().Done()
		return c.Request().Context().Err()
	}))
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/slow?timeout=1", nil))
	if rec.Code != http.StatusInternalServerError || !strings.Contains(rec.Body.String(), "Timeout error: Operation 'Search' timed out after 1 seconds") {
		t.Fatalf("timed out: %d %s", rec.Code, rec.Body.String())
	}
	// A client that goes away cancels the request: the engine stops and the
	// error is not reported as a timeout.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rec = httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/collections/c/points/search?timeout=5",
		strings.NewReader(`{"vector":[0.1,0.2,0.3,0.4],"limit":2}`)).WithContext(ctx)
	req.Header.Set("Content-Type", "application/json")
	s.ServeHTTP(rec, req)
	if strings.Contains(rec.Body.String(), "Timeout error") || !strings.Contains(rec.Body.String(), "context canceled") {
		t.Fatalf("cancelled request: %d %s", rec.Code, rec.Body.String())
	}
}
