package server

import (
	"net/http"
	"strings"
	"testing"
)

// TestDashboardRoutes: the page and its assets are public (as Qdrant's
// /dashboard), whatever the keys; the API routes the page calls still need
// the key it sends; other methods on /dashboard are routes that do not exist
// (with a key: Qdrant's 404 envelope).
func TestDashboardRoutes(t *testing.T) {
	s := testServer(Options{APIKey: "full-key", ReadOnlyAPIKey: "ro-key"})
	rec := do(t, s, http.MethodGet, "/dashboard", "")
	if rec.Code != http.StatusMovedPermanently || rec.Header().Get("Location") != "/dashboard/" {
		t.Fatalf("GET /dashboard: %d to %q", rec.Code, rec.Header().Get("Location"))
	}
	for path, ctype := range map[string]string{
		"/dashboard/":          "text/html; charset=utf-8",
		"/dashboard/js/app.js": "text/javascript; charset=utf-8",
		"/dashboard/app.css":   "text/css; charset=utf-8",
	} {
		rec := do(t, s, http.MethodGet, path, "")
		if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != ctype {
			t.Errorf("GET %s without a key: %d %q", path, rec.Code, rec.Header().Get("Content-Type"))
		}
	}
	if rec := do(t, s, http.MethodHead, "/dashboard/", ""); rec.Code != http.StatusOK {
		t.Errorf("HEAD /dashboard/: %d", rec.Code)
	}
	if rec := do(t, s, http.MethodGet, "/dashboard/missing.js", ""); rec.Code != http.StatusNotFound {
		t.Errorf("unknown asset: %d", rec.Code)
	}
	rec = do(t, s, http.MethodPost, "/dashboard/", "", "api-key", "ro-key")
	if rec.Code != http.StatusNotFound || !strings.Contains(errorOf(t, rec), "Not found") {
		t.Errorf("POST /dashboard/: %d %s", rec.Code, rec.Body)
	}
	// What the page calls: refused without the key, served with it.
	if rec := do(t, s, http.MethodGet, "/metrics", ""); rec.Code != http.StatusUnauthorized {
		t.Errorf("API without key: %d", rec.Code)
	}
	if rec := do(t, s, http.MethodGet, "/metrics", "", "api-key", "ro-key"); rec.Code != http.StatusOK {
		t.Errorf("API with the read-only key: %d", rec.Code)
	}
	if rec := do(t, s, http.MethodPost, "/test/write/x", "", "api-key", "ro-key"); rec.Code != http.StatusForbidden {
		t.Errorf("write with the read-only key: %d", rec.Code)
	}
}

// TestDashboardDisabled: service.enable_static_content: false leaves
// /dashboard out, an unknown route like any other.
func TestDashboardDisabled(t *testing.T) {
	s := testServer(Options{NoDashboard: true})
	for _, path := range []string{"/dashboard", "/dashboard/", "/dashboard/js/app.js"} {
		rec := do(t, s, http.MethodGet, path, "")
		if rec.Code != http.StatusNotFound || !strings.Contains(errorOf(t, rec), "Not found") {
			t.Errorf("GET %s with the dashboard off: %d %s", path, rec.Code, rec.Body)
		}
	}
	if rec := do(t, testServer(Options{}), http.MethodGet, "/dashboard/", ""); rec.Code != http.StatusOK {
		t.Errorf("GET /dashboard/ by default: %d", rec.Code)
	}
}
