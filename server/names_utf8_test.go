package server

import (
	"strings"
	"testing"
)

// TestURLNamesMustBeUTF8 checks that names taken from a URL path, which
// the JSON text checks never see, are refused when they are not valid
// UTF-8: a collection (422, before the fix it was created), a payload
// index field (400); names in bodies are
// refused by the text checks (400).
func TestURLNamesMustBeUTF8(t *testing.T) {
	s := seeded(t)
	for _, tc := range []struct {
		method, path, body string
		code               int
		want               string
	}{
		{"PUT", "/collections/%FF%FE", `{"vectors":{"size":4,"distance":"Dot"}}`, 422, "valid UTF-8"},
		{"PUT", "/collections/c/index?wait=true", "{\"field_name\":\"\xff\",\"field_schema\":\"keyword\"}", 400, "invalid unicode code point"},
		{"DELETE", "/collections/c/index/%FF", "", 400, ""},
		{"PUT", "/collections/d", "{\"vectors\":{\"\xff\":{\"size\":4,\"distance\":\"Dot\"}}}", 400, "invalid unicode code point"},
	} {
		r := call(t, s, tc.method, tc.path, tc.body)
		if r.code != tc.code || !strings.Contains(r.err, tc.want) {
			t.Errorf("%s %s: %d %s, want %d %q", tc.method, tc.path, r.code, r.raw, tc.code, tc.want)
		}
	}
	if r := call(t, s, "GET", "/collections", ""); strings.Contains(r.raw, `\ufffd`) || strings.Count(r.raw, `"name"`) != 1 {
		t.Fatalf("collections after the refusals: %s", r.raw)
	}
}
