package dashboard

import (
	"embed"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"
)

// Prefix is where the server mounts the dashboard.
const Prefix = "/dashboard"

//go:embed assets
var embedded embed.FS

// assets is the embedded folder with its "assets/" prefix removed.
var assets = mustSub(embedded, "assets")

func mustSub(f fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(f, dir)
	if err != nil {
		panic("dashboard: embedded assets: " + err.Error())
	}
	return sub
}

// contentTypes are the types of the files the dashboard ships, set here
// rather than taken from the system's MIME table, which differs between
// machines (a .js served as text/plain is refused as a module).
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".svg":  "image/svg+xml",
	".ico":  "image/x-icon",
	".png":  "image/png",
}

// csp allows the page's own scripts, styles and API calls only: no inline
// script, no other origin, no framing.
const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
	"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

// Handler returns the http.Handler serving the dashboard under Prefix:
// GET Prefix redirects to Prefix + "/", Prefix + "/" is index.html, and
// Prefix + "/FILE" an embedded asset; anything else is 404. Only GET and
// HEAD are served (405 otherwise).
func Handler() http.Handler {
	return http.HandlerFunc(serve)
}

func serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	p := r.URL.Path
	if p == Prefix {
		target := Prefix + "/"
		if r.URL.RawQuery != "" {
			target += "?" + r.URL.RawQuery
		}
		http.Redirect(w, r, target, http.StatusMovedPermanently)
		return
	}
	name, ok := strings.CutPrefix(p, Prefix+"/")
	if !ok {
		http.NotFound(w, r)
		return
	}
	if name == "" {
		name = "index.html"
	}
	serveAsset(w, r, name)
}

// serveAsset writes one embedded file; a name that is not a clean path to
// a file of a known type is 404 (no listing of folders, no traversal).
func serveAsset(w http.ResponseWriter, r *http.Request, name string) {
	ctype, known := contentTypes[path.Ext(name)]
	if !known || !fs.ValidPath(name) || path.Clean(name) != name {
		http.NotFound(w, r)
		return
	}
	body, err := fs.ReadFile(assets, name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	if ctype == contentTypes[".html"] {
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Frame-Options", "DENY")
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}
