package server

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/snapshot"
)

// TestFailedCollectionRoutes opens a storage in which one collection's
// manifest is corrupt and checks the REST view of it: listed, info red,
// point operations 500 with Qdrant's dummy-shard wording, shown and cleared
// in /issues, deletable; the healthy collection is served throughout.
func TestFailedCollectionRoutes(t *testing.T) {
	dir := t.TempDir()
	quiet := slog.New(slog.DiscardHandler)
	st, err := engine.Open(engine.Options{Dir: dir, DisableBackground: true, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	s := New(Options{Storage: st, Logger: quiet})
	for _, n := range []string{"good", "bad"} {
		mustOK(t, s, "PUT", "/collections/"+n, `{"vectors":{"size":2,"distance":"Dot"}}`)
		mustOK(t, s, "PUT", "/collections/"+n+"/points?wait=true", `{"points":[{"id":1,"vector":[1,0]}]}`)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "collections", "bad", "shard-0", engine.ManifestFile), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	st, err = engine.Open(engine.Options{Dir: dir, DisableBackground: true, Logger: quiet})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer st.Close()
	m := &snapshot.Manager{Storage: st, StoragePath: dir, SnapshotsPath: filepath.Join(t.TempDir(), "snapshots"),
		TempPath: filepath.Join(dir, "tmp"), Logger: quiet, NodeID: 7}
	s = New(Options{Storage: st, Snapshots: m, Logger: quiet})
	list := decode[collectionsList](t, mustOK(t, s, "GET", "/collections", ""))
	if len(list.Collections) != 2 {
		t.Fatalf("collections %v", list)
	}
	info := decode[map[string]any](t, mustOK(t, s, "GET", "/collections/bad", ""))
	if info["status"] != "red" || !strings.Contains(info["optimizer_status"].(map[string]any)["error"].(string), "Failed to load local shard") {
		t.Fatalf("info %v", info)
	}
	if e := decode[map[string]bool](t, mustOK(t, s, "GET", "/collections/bad/exists", "")); !e["exists"] {
		t.Fatalf("exists %v", e)
	}
	mustFail(t, s, "POST", "/collections/bad/points/scroll", `{}`, 500, "Failed to load local shard", "manifest")
	mustFail(t, s, "PUT", "/collections/bad/points?wait=true", `{"points":[{"id":2,"vector":[1,0]}]}`, 500, "Failed to load local shard")
	mustFail(t, s, "PUT", "/collections/bad", `{"vectors":{"size":2,"distance":"Dot"}}`, 409)
	mustOK(t, s, "PUT", "/collections/good/points?wait=true", `{"points":[{"id":2,"vector":[1,0]}]}`)
	// It exists, as /exists says: it may get an alias, which lists, and an
	// alias may not take its name.
	mustOK(t, s, "POST", "/collections/aliases", `{"actions":[{"create_alias":{"collection_name":"bad","alias_name":"al"}}]}`)
	mustFail(t, s, "POST", "/collections/aliases", `{"actions":[{"create_alias":{"collection_name":"good","alias_name":"bad"}}]}`, 400, "Wrong input: Collection `bad` already exists!")
	if as := string(mustOK(t, s, "GET", "/collections/bad/aliases", "")); !strings.Contains(as, `"alias_name":"al"`) {
		t.Fatalf("aliases of bad: %s", as)
	}
	mustFail(t, s, "POST", "/collections/al/points/scroll", `{}`, 500, "Failed to load local shard")
	// A full snapshot is refused while it is there, naming it.
	mustFail(t, s, "POST", "/snapshots", "", 500,
		"Service internal error: Failed to load local shard: cannot create a full snapshot: collection `bad` failed to open: ")
	issues := decode[map[string][]map[string]any](t, mustOK(t, s, "GET", "/issues", ""))
	if len(issues["issues"]) != 1 || issues["issues"][0]["id"] != "collection_failed_to_open/bad" ||
		issues["issues"][0]["related_collection"] != "bad" || issues["issues"][0]["solution"] == nil {
		t.Fatalf("issues %v", issues)
	}
	if string(mustOK(t, s, "DELETE", "/issues", "")) != "true" {
		t.Fatal("clear issues")
	}
	if issues := decode[map[string][]map[string]any](t, mustOK(t, s, "GET", "/issues", "")); len(issues["issues"]) != 0 {
		t.Fatalf("issues after clear %v", issues)
	}
	if string(mustOK(t, s, "DELETE", "/collections/bad", "")) != "true" {
		t.Fatal("delete")
	}
	mustFail(t, s, "GET", "/collections/bad", "", 404)
	if _, err := os.Stat(filepath.Join(dir, "collections", "bad")); !os.IsNotExist(err) {
		t.Fatalf("folder after delete: %v", err)
	}
	mustOK(t, s, "PUT", "/collections/bad", `{"vectors":{"size":2,"distance":"Dot"}}`)
	if as := string(mustOK(t, s, "GET", "/aliases", "")); strings.Contains(as, `"al"`) {
		t.Fatalf("the deleted collection's alias stayed: %s", as)
	}
	mustOK(t, s, "POST", "/snapshots", "")
}
