package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cairn-db/cairn/snapshot"
)

// hardNames are valid collection names that do not fit, or are not safe,
// in Qdrant's snapshot file names: long ones (Qdrant's name passes 255
// bytes), percent-encoded text, a name like a full snapshot's, unicode.
func hardNames() []string {
	long := func(n int) string { return strings.Repeat("n", n) }
	return []string{
		"a", long(194), long(243), long(255), "a%2Fb", "100%", "full-snapshot-2026-01-01-00-00-00.snapshot",
		"café-" + strings.Repeat("é", 120), // 250 bytes, the cut lands inside a character
		"tab\there",
	}
}

// TestSnapshotHardNames: every valid name (up to 255 bytes) is snapshotted,
// listed, downloaded, recovered from a file:// location and from an
// upload, shard-snapshotted, included in a full snapshot, and its
// snapshots deleted; the collection is deleted at the end.
func TestSnapshotHardNames(t *testing.T) {
	t.Parallel()
	e := newSnapEnv(t, Options{})
	for _, name := range hardNames() {
		t.Run(fmt.Sprintf("%.20q/%d", name, len(name)), func(t *testing.T) {
			checkHardName(t, e, name)
		})
	}
	full := e.create(t, "/snapshots")
	if ds := e.list(t, "/snapshots"); len(ds) != 1 || !sameSnap(ds[0], full) {
		t.Fatalf("full snapshots %+v", ds)
	}
	man := manifestOf(t, readFile(t, filepath.Join(e.snaps, full.Name)))
	for _, name := range hardNames() {
		if !hasFile(man, "collections/"+name+"/") {
			t.Errorf("full snapshot lacks %q", name)
		}
		if rec := do(t, e.s, "DELETE", "/collections/"+url.PathEscape(name), ""); rec.Code != 200 {
			t.Errorf("delete collection %q: %d %s", name, rec.Code, rec.Body)
		}
	}
	if left := e.tempEntries(t); len(left) != 0 {
		t.Fatalf("temp path holds %v", left)
	}
}

func readFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func checkHardName(t *testing.T, e *snapEnv, name string) {
	esc := url.PathEscape(name)
	e.collection(t, esc, 3)
	base := "/collections/" + esc + "/snapshots"
	d := e.create(t, base)
	if len(d.Name) > 255-len(snapshot.ChecksumExt+snapshot.TempExt) {
		t.Fatalf("name %q of %d bytes", d.Name, len(d.Name))
	}
	if ds := e.list(t, base); len(ds) != 1 || !sameSnap(ds[0], d) {
		t.Fatalf("list %+v, want %+v", ds, d)
	}
	rec := do(t, e.s, "GET", base+"/"+url.PathEscape(d.Name), "")
	if rec.Code != 200 || sha(rec.Body.Bytes()) != d.Checksum {
		t.Fatalf("download %s: %d", d.Name, rec.Code)
	}
	archive := rec.Body.Bytes()
	// Recover from the snapshots folder, over newer points.
	dir, err := snapshot.CollectionDir(e.snaps, name)
	if err != nil {
		t.Fatal(err)
	}
	e.upsert(t, esc, 4, 5)
	loc, _ := json.Marshal(map[string]string{"location": (&url.URL{Scheme: "file", Path: filepath.Join(dir, d.Name)}).String()})
	mustOK(t, e.s, "PUT", base+"/recover", string(loc))
	if n := e.count(t, esc); n != 3 {
		t.Fatalf("%d points after recover", n)
	}
	// Recover from an upload, and a shard snapshot's round trip.
	e.upsert(t, esc, 4, 5)
	if rec := upload(t, e.s, base+"/upload", "snapshot", archive); rec.Code != 200 {
		t.Fatalf("upload: %d %s", rec.Code, rec.Body)
	}
	if n := e.count(t, esc); n != 3 {
		t.Fatalf("%d points after upload", n)
	}
	shardBase := "/collections/" + esc + "/shards/0/snapshots"
	sd := e.create(t, shardBase)
	if ds := e.list(t, shardBase); len(ds) != 1 || !sameSnap(ds[0], sd) {
		t.Fatalf("shard list %+v", ds)
	}
	e.upsert(t, esc, 4, 5)
	loc, _ = json.Marshal(map[string]string{"location": sd.Name})
	mustOK(t, e.s, "PUT", shardBase+"/recover", string(loc))
	if n := e.count(t, esc); n != 3 {
		t.Fatalf("%d points after shard recover", n)
	}
	if rec := do(t, e.s, "GET", "/collections/"+esc+"/shards/0/snapshot", ""); rec.Code != http.StatusOK {
		t.Fatalf("stream shard: %d", rec.Code)
	}
	mustOK(t, e.s, "DELETE", shardBase+"/"+url.PathEscape(sd.Name), "")
	mustOK(t, e.s, "DELETE", base+"/"+url.PathEscape(d.Name), "")
	if ds := e.list(t, base); len(ds) != 0 {
		t.Fatalf("list after delete %+v", ds)
	}
}

// TestSnapshotCollectionNamedLikeFull: a collection named like a full
// snapshot made in the same second keeps its own snapshot folder, in either
// order, and the full snapshot keeps Qdrant's name.
func TestSnapshotCollectionNamedLikeFull(t *testing.T) {
	t.Parallel()
	e := newSnapEnv(t, Options{})
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	e.m.Now = func() time.Time { return at }
	name := snapshot.FullName(at)
	e.collection(t, name, 2)
	full := e.create(t, "/snapshots")
	if full.Name != name {
		t.Fatalf("full snapshot %s, want %s", full.Name, name)
	}
	d := e.create(t, "/collections/"+name+"/snapshots")
	if ds := e.list(t, "/collections/"+name+"/snapshots"); len(ds) != 1 || !sameSnap(ds[0], d) {
		t.Fatalf("list %+v", ds)
	}
	if ds := e.list(t, "/snapshots"); len(ds) != 1 || !sameSnap(ds[0], full) {
		t.Fatalf("full list %+v", ds)
	}
	mustOK(t, e.s, "DELETE", "/snapshots/"+full.Name, "")
	if ds := e.list(t, "/collections/"+name+"/snapshots"); len(ds) != 1 {
		t.Fatalf("list after deleting the full snapshot %+v", ds)
	}
}
