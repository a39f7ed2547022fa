package server

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

// do sends one request to h and returns the recorder.
func do(t *testing.T, h http.Handler, method, path, body string, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, r)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// errorOf decodes Qdrant's error envelope and checks its shape.
func errorOf(t *testing.T, rec *httptest.ResponseRecorder) string {
	t.Helper()
	var env struct {
		Status struct {
			Error string `json:"error"`
		} `json:"status"`
		Time *float64 `json:"time"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil {
		t.Fatalf("error body %q is not JSON: %v", rec.Body.String(), err)
	}
	if env.Status.Error == "" || env.Time == nil || *env.Time < 0 {
		t.Fatalf("not an error envelope: %s", rec.Body.String())
	}
	return env.Status.Error
}

// echoRoute is a test route that decodes a body and echoes it back.
type echoReq struct {
	Limit int      `json:"limit"`
	Names []string `json:"names"`
}

func testServer(opts Options) *Server {
	s := New(opts)
	s.Route(http.MethodPost, "/test/echo/:name", false, func(c echo.Context) error {
		var req echoReq
		if err := s.bind(c, &req); err != nil {
			return err
		}
		return ok(c, req)
	})
	s.Route(http.MethodPost, "/test/write/:name", true, func(c echo.Context) error { return ok(c, true) })
	return s
}

func TestEnvelope(t *testing.T) {
	s := testServer(Options{})
	rec := do(t, s, http.MethodPost, "/test/echo/x", `{"limit":3,"names":["a"]}`)
	if rec.Code != http.StatusOK {
		t.Fatalf("code %d body %s", rec.Code, rec.Body)
	}
	var env struct {
		Result echoReq `json:"result"`
		Status string  `json:"status"`
		Time   float64 `json:"time"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil {
		t.Fatal(err)
	}
	if env.Status != "ok" || env.Result.Limit != 3 || len(env.Result.Names) != 1 || env.Time < 0 {
		t.Fatalf("envelope %+v", env)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("content type %q", ct)
	}
}

func TestErrorEnvelopes(t *testing.T) {
	s := testServer(Options{MaxRequestBytes: 64})
	tests := []struct {
		name, method, path, body string
		code                     int
		want                     string
	}{
		{"unknown route", http.MethodGet, "/nope", "", 404, "Not found"},
		{"wrong method", http.MethodDelete, "/healthz", "", 404, "Not found"},
		{"wrong method on a collection route", http.MethodPatch, "/collections/c/points/search", "{}", 404, "Not found"},
		{"syntax error", http.MethodPost, "/test/echo/x", `{"limit":`, 400, "Format error in JSON body"},
		{"wrong type names field", http.MethodPost, "/test/echo/x", `{"limit":"ten"}`, 400, "limit"},
		{"wrong element type", http.MethodPost, "/test/echo/x", `{"names":[1]}`, 400, "names"},
		{"too large", http.MethodPost, "/test/echo/x", `{"names":["` + strings.Repeat("a", 100) + `"]}`, 413, "larger than allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := do(t, s, tt.method, tt.path, tt.body)
			if rec.Code != tt.code {
				t.Fatalf("code %d, want %d; body %s", rec.Code, tt.code, rec.Body)
			}
			if msg := errorOf(t, rec); !strings.Contains(msg, tt.want) {
				t.Fatalf("error %q lacks %q", msg, tt.want)
			}
		})
	}
}

func TestTooLargeWithoutContentLength(t *testing.T) {
	s := testServer(Options{MaxRequestBytes: 64})
	req := httptest.NewRequest(http.MethodPost, "/test/echo/x", io.MultiReader(strings.NewReader(`{"names":["`), strings.NewReader(strings.Repeat("b", 200)+`"]}`)))
	req.ContentLength = -1
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("code %d body %s", rec.Code, rec.Body)
	}
	errorOf(t, rec)
}

func TestHealthRoutes(t *testing.T) {
	s := New(Options{APIKey: "secret"}) // health routes need no key
	for path, want := range map[string]string{
		"/healthz": "healthz check passed",
		"/livez":   "livez check passed",
	} {
		rec := do(t, s, http.MethodGet, path, "")
		if rec.Code != 200 || rec.Body.String() != want || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/plain") {
			t.Fatalf("%s: %d %q %q", path, rec.Code, rec.Body, rec.Header().Get("Content-Type"))
		}
	}
	// Without storage the server is alive but not ready.
	if rec := do(t, s, http.MethodGet, "/readyz", ""); rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("/readyz without storage = %d", rec.Code)
	}
	if rec := do(t, s, http.MethodGet, "/", ""); rec.Code != 200 {
		t.Fatalf("GET / with key configured = %d", rec.Code)
	}
}

func TestTelemetry(t *testing.T) {
	s := New(Options{})
	rec := do(t, s, http.MethodGet, "/telemetry", "")
	var env struct {
		Result telemetry `json:"result"`
		Status string    `json:"status"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil || rec.Code != 200 {
		t.Fatalf("%d %s %v", rec.Code, rec.Body, err)
	}
	if env.Status != "ok" || env.Result.App.Name != "cairn" || env.Result.App.Version != Version || len(env.Result.ID) != 36 {
		t.Fatalf("telemetry %+v", env)
	}
}

func TestMetricsUseRouteTemplates(t *testing.T) {
	s := testServer(Options{})
	do(t, s, http.MethodPost, "/test/echo/alpha", `{}`)
	do(t, s, http.MethodPost, "/test/echo/beta", `{"limit":"x"}`)
	do(t, s, http.MethodGet, "/missing/route", "")
	rec := do(t, s, http.MethodGet, "/metrics", "")
	body := rec.Body.String()
	if rec.Code != 200 {
		t.Fatalf("metrics %d", rec.Code)
	}
	for _, want := range []string{
		`rest_responses_total{endpoint="/test/echo/:name",method="POST",status="200"} 1`,
		`rest_responses_total{endpoint="/test/echo/:name",method="POST",status="400"} 1`,
		`rest_responses_total{endpoint="unmatched",method="GET",status="404"} 1`,
		`rest_responses_duration_seconds_bucket{endpoint="/test/echo/:name",method="POST"`,
		`app_info{name="cairn"`,
		`collections_total 0`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(body, "alpha") || strings.Contains(body, "beta") {
		t.Errorf("metrics contain raw paths")
	}
}

func TestCORS(t *testing.T) {
	on := New(Options{EnableCORS: true, APIKey: "k"})
	rec := do(t, on, http.MethodOptions, "/collections", "", "Origin", "http://ui.example", "Access-Control-Request-Method", "GET", "Access-Control-Request-Headers", "api-key")
	if rec.Code != http.StatusNoContent || rec.Header().Get("Access-Control-Allow-Origin") != "*" {
		t.Fatalf("preflight %d %v", rec.Code, rec.Header())
	}
	rec = do(t, on, http.MethodGet, "/healthz", "", "Origin", "http://ui.example")
	if rec.Header().Get("Access-Control-Allow-Origin") != "*" {
		t.Fatalf("no CORS header on GET: %v", rec.Header())
	}
	off := New(Options{})
	rec = do(t, off, http.MethodGet, "/healthz", "", "Origin", "http://ui.example")
	if rec.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("CORS header with enable_cors off")
	}
}

// TestHeadIsNotRouted: Qdrant's GET routes (snapshot downloads included)
// do not answer HEAD; its router answers 404, without a body.
func TestHeadIsNotRouted(t *testing.T) {
	s := testServer(Options{})
	for _, path := range []string{"/snapshots/x.snapshot", "/collections/c/snapshots/x.snapshot", "/collections"} {
		rec := do(t, s, http.MethodHead, path, "")
		if rec.Code != http.StatusNotFound || rec.Body.Len() != 0 || rec.Header().Get("Allow") != "" {
			t.Fatalf("HEAD %s: code %d, body %q, Allow %q", path, rec.Code, rec.Body, rec.Header().Get("Allow"))
		}
	}
}
