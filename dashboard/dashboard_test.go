package dashboard

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"path"
	"regexp"
	"strings"
	"testing"
)

func get(t *testing.T, method, target string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	Handler().ServeHTTP(rec, httptest.NewRequest(method, target, nil))
	return rec
}

func TestAssetsContentTypes(t *testing.T) {
	for target, want := range map[string]string{
		"/dashboard/":                    "text/html; charset=utf-8",
		"/dashboard/index.html":          "text/html; charset=utf-8",
		"/dashboard/app.css":             "text/css; charset=utf-8",
		"/dashboard/js/app.js":           "text/javascript; charset=utf-8",
		"/dashboard/js/pages/backups.js": "text/javascript; charset=utf-8",
		"/dashboard/favicon.svg":         "image/svg+xml",
	} {
		rec := get(t, http.MethodGet, target)
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s: %d", target, rec.Code)
		}
		if got := rec.Header().Get("Content-Type"); got != want {
			t.Errorf("GET %s: Content-Type %q, want %q", target, got, want)
		}
		if rec.Body.Len() == 0 || rec.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: empty body or no nosniff", target)
		}
	}
	page := get(t, http.MethodGet, "/dashboard/")
	if !strings.Contains(page.Body.String(), `<script type="module" src="js/app.js">`) {
		t.Errorf("index.html does not load js/app.js:\n%s", page.Body.String())
	}
	if csp := page.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
		t.Errorf("index.html CSP %q", csp)
	}
	head := get(t, http.MethodHead, "/dashboard/app.css")
	if head.Code != http.StatusOK || head.Body.Len() != 0 || head.Header().Get("Content-Length") == "" {
		t.Errorf("HEAD: %d, %d bytes, length %q", head.Code, head.Body.Len(), head.Header().Get("Content-Length"))
	}
}

func TestRedirectToSlash(t *testing.T) {
	rec := get(t, http.MethodGet, "/dashboard")
	if rec.Code != http.StatusMovedPermanently || rec.Header().Get("Location") != "/dashboard/" {
		t.Fatalf("GET /dashboard: %d to %q", rec.Code, rec.Header().Get("Location"))
	}
}

func TestUnknownAssetNotFound(t *testing.T) {
	for _, target := range []string{
		"/dashboard/nope.js", "/dashboard/js/", "/dashboard/js", "/dashboard/js/../index.html",
		"/dashboard//index.html", "/dashboard/assets/index.html", "/dashboardx", "/other", "/dashboard/doc.go",
	} {
		if rec := get(t, http.MethodGet, target); rec.Code != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", target, rec.Code)
		}
	}
	if rec := get(t, http.MethodPost, "/dashboard/"); rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", rec.Code)
	}
}

// TestModulesResolve checks that every relative import of every module names
// an embedded file, so that no page fails to load for a missing module.
func TestModulesResolve(t *testing.T) {
	imp := regexp.MustCompile(`(?m)^\s*(?:import|export)\s[^'"]*?from\s+'([^']+)'|import\('([^']+)'\)`)
	n := 0
	err := fs.WalkDir(assets, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Ext(p) != ".js" {
			return err
		}
		src, err := fs.ReadFile(assets, p)
		if err != nil {
			return err
		}
		for _, m := range imp.FindAllStringSubmatch(string(src), -1) {
			spec := m[1] + m[2]
			if !strings.HasPrefix(spec, "./") && !strings.HasPrefix(spec, "../") {
				t.Errorf("%s imports %q: only relative imports of embedded files (no CDN)", p, spec)
				continue
			}
			target := path.Join(path.Dir(p), spec)
			if _, err := fs.Stat(assets, target); err != nil {
				t.Errorf("%s imports %q: %v", p, spec, err)
			}
			n++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 10 {
		t.Fatalf("found only %d imports", n)
	}
}
