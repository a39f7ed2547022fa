package server

import (
	"testing"

	"github.com/cairn-db/cairn/engine"
)

// TestCollectionDiskRoute: GET /cairn/collections/{c}/disk answers the
// collection's disk usage in Qdrant's envelope to a read-only key (and to
// an alias), refuses a caller without a key, and is a 404 in the envelope
// for an unknown collection.
func TestCollectionDiskRoute(t *testing.T) {
	s := newEngineServer(t, Options{APIKey: "full", ReadOnlyAPIKey: "ro"})
	full := []string{"api-key", "full"}
	if r := call(t, s, "PUT", "/collections/c", `{"vectors":{"size":4,"distance":"Dot"}}`, full...); r.code != 200 {
		t.Fatalf("create: %d %s", r.code, r.raw)
	}
	if r := call(t, s, "PUT", "/collections/c/points?wait=true", `{"points":[{"id":1,"vector":[1,2,3,4]}]}`, full...); r.code != 200 {
		t.Fatalf("upsert: %d %s", r.code, r.raw)
	}
	if r := call(t, s, "POST", "/collections/aliases", `{"actions":[{"create_alias":{"collection_name":"c","alias_name":"a"}}]}`, full...); r.code != 200 {
		t.Fatalf("alias: %d %s", r.code, r.raw)
	}
	for _, name := range []string{"c", "a"} {
		r := call(t, s, "GET", "/cairn/collections/"+name+"/disk", "", "api-key", "ro")
		if r.code != 200 {
			t.Fatalf("disk of %s with the read-only key: %d %s", name, r.code, r.raw)
		}
		u := decode[engine.DiskUsage](t, r.result)
		if u.Total.Apparent == 0 || u.Total.Allocated == 0 || u.WAL.Allocated == 0 || u.Meta.Apparent == 0 {
			t.Fatalf("disk of %s: %s", name, r.raw)
		}
	}
	if rec := do(t, s, "GET", "/cairn/collections/c/disk", ""); rec.Code != 401 {
		t.Fatalf("disk without a key: %d", rec.Code)
	}
	r := call(t, s, "GET", "/cairn/collections/nope/disk", "", "api-key", "ro")
	if r.code != 404 || r.err == "" {
		t.Fatalf("disk of an unknown collection: %d %s", r.code, r.raw)
	}
}
