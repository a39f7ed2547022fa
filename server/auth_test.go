package server

import (
	"net/http"
	"strings"
	"testing"
)

func TestAPIKey(t *testing.T) {
	s := testServer(Options{APIKey: "full-key", ReadOnlyAPIKey: "ro-key"})
	tests := []struct {
		name         string
		method, path string
		hdr          []string
		code         int
		body         string // plain-text body expected, "" to skip
	}{
		{"no key", "POST", "/test/echo/x", nil, 401, msgNoKey},
		{"wrong key", "POST", "/test/echo/x", []string{"api-key", "nope"}, 401, msgBadKey},
		{"prefix of key", "POST", "/test/echo/x", []string{"api-key", "full"}, 401, msgBadKey},
		{"full key header", "POST", "/test/echo/x", []string{"api-key", "full-key"}, 200, ""},
		{"full key bearer", "POST", "/test/echo/x", []string{"Authorization", "Bearer full-key"}, 200, ""},
		{"bearer wrong", "POST", "/test/echo/x", []string{"Authorization", "Bearer x"}, 401, msgBadKey},
		{"basic is not a key", "POST", "/test/echo/x", []string{"Authorization", "Basic full-key"}, 401, msgNoKey},
		{"read-only reads", "POST", "/test/echo/x", []string{"api-key", "ro-key"}, 200, ""},
		{"read-only writes", "POST", "/test/write/x", []string{"api-key", "ro-key"}, 403, ""},
		{"full key writes", "POST", "/test/write/x", []string{"api-key", "full-key"}, 200, ""},
		{"telemetry needs key", "GET", "/telemetry", nil, 401, msgNoKey},
		{"metrics needs key", "GET", "/metrics", nil, 401, msgNoKey},
		{"metrics read-only", "GET", "/metrics", []string{"api-key", "ro-key"}, 200, ""},
		{"root exempt", "GET", "/", nil, 200, ""},
		{"healthz exempt", "GET", "/healthz", nil, 200, ""},
		{"livez exempt", "GET", "/livez", nil, 200, ""},
		{"readyz exempt", "GET", "/readyz", nil, 503, ""},
		{"unknown route needs key", "GET", "/nope", nil, 401, msgNoKey},
		{"unknown route with key", "GET", "/nope", []string{"api-key", "ro-key"}, 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := do(t, s, tt.method, tt.path, "", tt.hdr...)
			if rec.Code != tt.code {
				t.Fatalf("code %d, want %d (%s)", rec.Code, tt.code, rec.Body)
			}
			if tt.body != "" {
				if rec.Body.String() != tt.body || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/plain") {
					t.Fatalf("body %q (%s), want plain %q", rec.Body, rec.Header().Get("Content-Type"), tt.body)
				}
			}
			if tt.code == http.StatusForbidden {
				if msg := errorOf(t, rec); !strings.Contains(msg, "Forbidden") {
					t.Fatalf("403 message %q", msg)
				}
			}
		})
	}
}

func TestNoKeysConfiguredIsOpen(t *testing.T) {
	s := testServer(Options{})
	if rec := do(t, s, "POST", "/test/write/x", ""); rec.Code != 200 {
		t.Fatalf("code %d", rec.Code)
	}
}

func TestOnlyReadOnlyKeyConfigured(t *testing.T) {
	s := testServer(Options{ReadOnlyAPIKey: "ro"})
	if rec := do(t, s, "POST", "/test/echo/x", "", "api-key", "ro"); rec.Code != 200 {
		t.Fatalf("read %d", rec.Code)
	}
	if rec := do(t, s, "POST", "/test/write/x", "", "api-key", "ro"); rec.Code != 403 {
		t.Fatalf("write %d", rec.Code)
	}
	if rec := do(t, s, "POST", "/test/write/x", ""); rec.Code != 401 {
		t.Fatalf("no key %d", rec.Code)
	}
}
