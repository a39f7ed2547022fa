package server

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/cairn-db/cairn/snapshot/snaptest"
)

// TestRecoverLyingArchive: archives with valid checksums whose collection
// file or shard manifest lies (a vector size over segments of another, a
// segment listed twice, a shard_number other than the shards present) are
// refused with 400 by the collection and shard upload and recover routes,
// and the collection keeps its points.
func TestRecoverLyingArchive(t *testing.T) {
	t.Parallel()
	e := newSnapEnv(t, Options{})
	e.collection(t, "c", 6)
	c, err := e.m.Storage.Collection("c")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Flush(); err != nil { // a sealed segment in the snapshot
		t.Fatal(err)
	}
	colPath, _ := e.archive(t, "c")
	col, err := os.ReadFile(colPath)
	if err != nil {
		t.Fatal(err)
	}
	shard := e.create(t, "/collections/c/shards/0/snapshots")
	sh, err := os.ReadFile(filepath.Join(e.snaps, "c", "shards", "0", shard.Name))
	if err != nil {
		t.Fatal(err)
	}
	e.upsert(t, "c", 7, 9)
	wantPoint := string(mustOK(t, e.s, "GET", "/collections/c/points/2", ""))
	for i, lie := range snaptest.Lies(4) {
		bad, err := snaptest.Apply(col, lie)
		if err != nil {
			t.Fatal(err)
		}
		rec := upload(t, e.s, "/collections/c/snapshots/upload", "snapshot", bad)
		if rec.Code != http.StatusBadRequest {
			t.Errorf("upload, %s: %d %s, want 400", lie.Name, rec.Code, rec.Body)
		}
		badShard, err := snaptest.Apply(sh, lie)
		if err != nil {
			t.Fatal(err)
		}
		if rec := upload(t, e.s, "/collections/c/shards/0/snapshots/upload", "snapshot", badShard); rec.Code != http.StatusBadRequest {
			t.Errorf("shard upload, %s: %d %s, want 400", lie.Name, rec.Code, rec.Body)
		}
		path := filepath.Join(e.snaps, "c", fmt.Sprintf("lie-%d.snapshot", i))
		if err := os.WriteFile(path, bad, 0o644); err != nil {
			t.Fatal(err)
		}
		mustFail(t, e.s, "PUT", "/collections/c/snapshots/recover", fmt.Sprintf(`{"location":"file://%s"}`, path), 400)
		mustFail(t, e.s, "PUT", "/collections/fresh/snapshots/recover", fmt.Sprintf(`{"location":"file://%s"}`, path), 400)
		if n := e.count(t, "c"); n != 9 {
			t.Fatalf("%s: c has %d points", lie.Name, n)
		}
		if got := string(mustOK(t, e.s, "GET", "/collections/c/points/2", "")); got != wantPoint {
			t.Fatalf("%s: point 2 is %s, want %s", lie.Name, got, wantPoint)
		}
		if e.m.Storage.CollectionExists("fresh") {
			t.Fatalf("%s: a lying archive created a collection", lie.Name)
		}
		if left := e.tempEntries(t); len(left) != 0 {
			t.Fatalf("%s: temp path holds %v", lie.Name, left)
		}
	}
}
