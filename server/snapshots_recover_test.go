package server

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/snapshot"
)

// rewriteArchive returns the archive b with change applied to the content
// of every file whose path ends in suffix, and the manifest's size and
// CRC-32C of those files recomputed, so that the archive passes the tar
// and manifest checks. It fails when no file matches.
func rewriteArchive(t *testing.T, b []byte, suffix string, change func([]byte)) []byte {
	t.Helper()
	type entry struct {
		hdr  *tar.Header
		body []byte
	}
	var entries []entry
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, entry{h, body})
	}
	last := &entries[len(entries)-1]
	if last.hdr.Name != snapshot.ManifestName {
		t.Fatalf("last entry %s", last.hdr.Name)
	}
	var man snapshot.Manifest
	if err := json.Unmarshal(last.body, &man); err != nil {
		t.Fatal(err)
	}
	changed := map[string][]byte{}
	for i := range entries {
		if e := &entries[i]; e.hdr.Typeflag == tar.TypeReg && strings.HasSuffix(e.hdr.Name, suffix) {
			change(e.body)
			e.hdr.Size = int64(len(e.body))
			changed[e.hdr.Name] = e.body
		}
	}
	if len(changed) == 0 {
		t.Fatalf("no file ends in %s", suffix)
	}
	table := crc32.MakeTable(crc32.Castagnoli)
	for i, f := range man.Files {
		if body, ok := changed[f.Path]; ok {
			man.Files[i].Size, man.Files[i].CRC32C = int64(len(body)), crc32.Checksum(body, table)
		}
	}
	mb, err := json.Marshal(man)
	if err != nil {
		t.Fatal(err)
	}
	last.body, last.hdr.Size = mb, int64(len(mb))
	var out bytes.Buffer
	tw := tar.NewWriter(&out)
	for _, e := range entries {
		if err := tw.WriteHeader(e.hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(e.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func flipLast(b []byte) { b[len(b)-1] ^= 0x5a }

// TestRecoverCorruptArchive: archives whose tar and manifest are sound but
// whose segment or collection file is corrupt are refused with 400 by the
// collection and shard upload and recover routes, and the collection keeps
// its points and vectors.
func TestRecoverCorruptArchive(t *testing.T) {
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
	shard := e.create(t, "/collections/c/shards/0/snapshots")
	col, err := os.ReadFile(colPath)
	if err != nil {
		t.Fatal(err)
	}
	sh, err := os.ReadFile(filepath.Join(e.snaps, "c", "shards", "0", shard.Name))
	if err != nil {
		t.Fatal(err)
	}
	e.upsert(t, "c", 2, 2) // a changed vector: a restore would undo it
	mustOK(t, e.s, "PUT", "/collections/c/points?wait=true", `{"points":[{"id":2,"vector":[9,9,9,9]}]}`)
	e.upsert(t, "c", 7, 8)
	wantPoint := string(mustOK(t, e.s, "GET", "/collections/c/points/2", ""))
	unchanged := func(what string) {
		t.Helper()
		if n := e.count(t, "c"); n != 8 {
			t.Fatalf("%s: c has %d points", what, n)
		}
		if got := string(mustOK(t, e.s, "GET", "/collections/c/points/2", "")); got != wantPoint {
			t.Fatalf("%s: point 2 is %s, want %s", what, got, wantPoint)
		}
		if left := e.tempEntries(t); len(left) != 0 {
			t.Fatalf("%s: temp path holds %v", what, left)
		}
	}
	badSegment := rewriteArchive(t, col, "/vectors-default.seg", flipLast)
	badCollection := rewriteArchive(t, col, engine.CollectionFile, flipLast)
	badShard := rewriteArchive(t, sh, "/vectors-default.seg", flipLast)
	for _, u := range []struct {
		what, path string
		body       []byte
	}{
		{"segment", "/collections/c/snapshots/upload", badSegment},
		{"collection file", "/collections/c/snapshots/upload?priority=snapshot", badCollection},
		{"shard segment", "/collections/c/shards/0/snapshots/upload", badShard},
	} {
		rec := upload(t, e.s, u.path, "snapshot", u.body)
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "corrupt") {
			t.Errorf("%s: %d %s, want 400", u.what, rec.Code, rec.Body)
		}
		unchanged(u.what)
	}
	// The same archive at a file:// location, and into a new collection.
	bad := filepath.Join(e.snaps, "c", "bad.snapshot")
	if err := os.WriteFile(bad, badSegment, 0o644); err != nil {
		t.Fatal(err)
	}
	mustFail(t, e.s, "PUT", "/collections/c/snapshots/recover", fmt.Sprintf(`{"location":"file://%s"}`, bad), 400, "corrupt")
	unchanged("recover")
	mustFail(t, e.s, "PUT", "/collections/fresh/snapshots/recover", fmt.Sprintf(`{"location":"file://%s"}`, bad), 400)
	if e.m.Storage.CollectionExists("fresh") {
		t.Fatal("a corrupt archive created a collection")
	}
}

// TestRecoverNoSync: priority=no_sync is accepted by the recover and upload
// routes and, on a single node, restores the snapshot in full.
func TestRecoverNoSync(t *testing.T) {
	t.Parallel()
	e := newSnapEnv(t, Options{})
	e.collection(t, "c", 3)
	path, sum := e.archive(t, "c")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	e.upsert(t, "c", 4, 5)
	mustOK(t, e.s, "PUT", "/collections/c/snapshots/recover", fmt.Sprintf(`{"location":"file://%s","priority":"no_sync"}`, path))
	if n := e.count(t, "c"); n != 3 {
		t.Fatalf("recover no_sync: c has %d points", n)
	}
	e.upsert(t, "c", 4, 5)
	if rec := upload(t, e.s, "/collections/c/snapshots/upload?priority=no_sync&checksum="+sum, "snapshot", b); rec.Code != 200 {
		t.Fatalf("upload no_sync: %d %s", rec.Code, rec.Body)
	}
	if n := e.count(t, "c"); n != 3 {
		t.Fatalf("upload no_sync: c has %d points", n)
	}
	if rec := upload(t, e.s, "/collections/n/snapshots/upload?priority=no_sync&wait=false", "snapshot", b); rec.Code != http.StatusAccepted {
		t.Fatalf("upload no_sync wait=false: %d %s", rec.Code, rec.Body)
	}
	e.s.Wait()
	if n := e.count(t, "n"); n != 3 {
		t.Fatalf("background upload no_sync: n has %d points", n)
	}
	shard := e.create(t, "/collections/c/shards/0/snapshots")
	sp := filepath.Join(e.snaps, "c", "shards", "0", shard.Name)
	e.upsert(t, "c", 4, 5)
	mustOK(t, e.s, "PUT", "/collections/c/shards/0/snapshots/recover", fmt.Sprintf(`{"location":"file://%s","priority":"no_sync"}`, sp))
	if n := e.count(t, "c"); n != 3 {
		t.Fatalf("shard recover no_sync: c has %d points", n)
	}
	sb, err := os.ReadFile(sp)
	if err != nil {
		t.Fatal(err)
	}
	e.upsert(t, "c", 4, 5)
	if rec := upload(t, e.s, "/collections/c/shards/0/snapshots/upload?priority=no_sync", "snapshot", sb); rec.Code != 200 {
		t.Fatalf("shard upload no_sync: %d %s", rec.Code, rec.Body)
	}
	if n := e.count(t, "c"); n != 3 {
		t.Fatalf("shard upload no_sync: c has %d points", n)
	}
}

// TestShardSnapshotNoWait: creating a shard snapshot with wait=false
// answers 202 without a result; the snapshot is listed once the background
// work is done.
func TestShardSnapshotNoWait(t *testing.T) {
	t.Parallel()
	e := newSnapEnv(t, Options{})
	e.collection(t, "c", 2)
	const base = "/collections/c/shards/0/snapshots"
	rec := do(t, e.s, "POST", base+"?wait=false", "")
	var body map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if _, has := body["result"]; rec.Code != http.StatusAccepted || body["status"] != "accepted" || has {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	e.s.Wait()
	ds := e.list(t, base)
	if len(ds) != 1 || !strings.HasPrefix(ds[0].Name, "c-shard-0-") {
		t.Fatalf("list %+v", ds)
	}
	if rec := do(t, e.s, "GET", base+"/"+ds[0].Name, ""); rec.Code != 200 || sha(rec.Body.Bytes()) != ds[0].Checksum {
		t.Fatalf("download %d", rec.Code)
	}
	// Refusals are still answered at once.
	for _, p := range []string{"/collections/c/shards/5/snapshots?wait=false", "/collections/nope/shards/0/snapshots?wait=false"} {
		mustFail(t, e.s, "POST", p, "", 404)
	}
}
