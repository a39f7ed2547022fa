package server

import (
	"bytes"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cairn-db/cairn/objstore"
	"github.com/cairn-db/cairn/snapshot"
)

// remoteStores are the stores the REST tests of remote snapshots run on;
// each returns an empty store whose String is "s3://bucket/prefix" (the
// S3 tests add theirs).
var remoteStores = map[string]func(t testing.TB) objstore.Store{
	"mem": func(t testing.TB) objstore.Store { return namedStore{objstore.NewMem(nil)} },
}

type namedStore struct{ objstore.Store }

func (namedStore) String() string { return "s3://bkt/pfx" }

// newRemoteSnapEnv is newSnapEnv with the manager's snapshots in store.
func newRemoteSnapEnv(t *testing.T, store objstore.Store) *snapEnv {
	e := newSnapEnv(t, Options{})
	e.m.Remote = store
	return e
}

// createRemote makes a snapshot through the API: a remote one lists no
// checksum (see docs/format/remote.md).
func (e *snapEnv) createRemote(t *testing.T, path string) snapshot.Description {
	t.Helper()
	d := decode[snapshot.Description](t, mustOK(t, e.s, "POST", path, ""))
	if !strings.HasSuffix(d.Name, snapshot.Ext) || d.Size <= 0 || d.Checksum != "" || time0(d) {
		t.Fatalf("description %+v", d)
	}
	return d
}

// TestRemoteSnapshotRoutes: with a remote store, create, list, download
// (whole, extracted; and a range), recover by name and by s3:// location,
// and delete behave as with local archives.
func TestRemoteSnapshotRoutes(t *testing.T) {
	for name, mk := range remoteStores {
		t.Run(name, func(t *testing.T) {
			store := mk(t)
			e := newRemoteSnapEnv(t, store)
			e.collection(t, "c", 20)
			d := e.createRemote(t, "/collections/c/snapshots")
			ls := e.list(t, "/collections/c/snapshots")
			if len(ls) != 1 || !sameSnap(ls[0], d) {
				t.Fatalf("list %+v, created %+v", ls, d)
			}
			raw := mustOK(t, e.s, "GET", "/collections/c/snapshots", "")
			if bytes.Contains(raw, []byte("checksum")) {
				t.Fatalf("listing shows a checksum: %s", raw)
			}
			rec := do(t, e.s, "GET", "/collections/c/snapshots/"+d.Name, "")
			if rec.Code != http.StatusOK || int64(rec.Body.Len()) != d.Size {
				t.Fatalf("download: %d, %d bytes, listed %d", rec.Code, rec.Body.Len(), d.Size)
			}
			whole := rec.Body.Bytes()
			if _, err := snapshot.Extract(bytes.NewReader(whole), filepath.Join(t.TempDir(), "x"), snapshot.Limits{}); err != nil {
				t.Fatalf("extract the download: %v", err)
			}
			rec = do(t, e.s, "GET", "/collections/c/snapshots/"+d.Name, "", "Range", "bytes=1000-2999")
			if rec.Code != http.StatusPartialContent || !bytes.Equal(rec.Body.Bytes(), whole[1000:3000]) {
				t.Fatalf("range: %d, %d bytes", rec.Code, rec.Body.Len())
			}

			e.upsert(t, "c", 21, 30)
			mustOK(t, e.s, "PUT", "/collections/c/snapshots/recover", `{"location":"`+d.Name+`"}`)
			if n := e.count(t, "c"); n != 20 {
				t.Fatalf("recover by name: %d points", n)
			}
			loc := store.String() + "/snapshots/c/" + d.Name // s3://bucket/prefix/…
			mustOK(t, e.s, "PUT", "/collections/copy/snapshots/recover", `{"location":"`+loc+`"}`)
			if n := e.count(t, "copy"); n != 20 {
				t.Fatalf("recover by s3 location: %d points", n)
			}
			bucket := strings.SplitN(strings.TrimPrefix(store.String(), "s3://"), "/", 2)[0]
			mustFail(t, e.s, "PUT", "/collections/copy/snapshots/recover", `{"location":"s3://other-bucket/pfx/snapshots/c/`+d.Name+`"}`,
				http.StatusBadRequest, "not in the configured bucket "+bucket)
			mustFail(t, e.s, "GET", "/collections/c/snapshots/none.snapshot", "", http.StatusNotFound)

			if r := do(t, e.s, "POST", "/collections/c/snapshots?wait=false", ""); r.Code != http.StatusAccepted {
				t.Fatalf("wait=false: %d %s", r.Code, r.Body)
			}
			e.s.Wait()
			if n := len(e.list(t, "/collections/c/snapshots")); n != 2 {
				t.Fatalf("after wait=false: %d snapshots", n)
			}
			for _, s := range e.list(t, "/collections/c/snapshots") {
				mustOK(t, e.s, "DELETE", "/collections/c/snapshots/"+s.Name, "")
			}
			if ls := e.list(t, "/collections/c/snapshots"); len(ls) != 0 {
				t.Fatalf("after delete: %+v", ls)
			}
			mustFail(t, e.s, "DELETE", "/collections/c/snapshots/"+d.Name, "", http.StatusNotFound)
		})
	}
}

// TestRemoteShardAndFullRoutes: shard and full snapshots in a remote store
// through the routes.
func TestRemoteShardAndFullRoutes(t *testing.T) {
	for name, mk := range remoteStores {
		t.Run(name, func(t *testing.T) {
			e := newRemoteSnapEnv(t, mk(t))
			e.collection(t, "c", 10)
			ds := e.createRemote(t, "/collections/c/shards/0/snapshots")
			if ls := e.list(t, "/collections/c/shards/0/snapshots"); len(ls) != 1 || !sameSnap(ls[0], ds) {
				t.Fatalf("shard list %+v", ls)
			}
			rec := do(t, e.s, "GET", "/collections/c/shards/0/snapshots/"+ds.Name, "")
			if rec.Code != http.StatusOK || int64(rec.Body.Len()) != ds.Size {
				t.Fatalf("shard download: %d", rec.Code)
			}
			e.upsert(t, "c", 11, 15)
			mustOK(t, e.s, "PUT", "/collections/c/shards/0/snapshots/recover", `{"location":"`+ds.Name+`"}`)
			if n := e.count(t, "c"); n != 10 {
				t.Fatalf("shard recover by name: %d points", n)
			}
			mustOK(t, e.s, "DELETE", "/collections/c/shards/0/snapshots/"+ds.Name, "")

			df := e.createRemote(t, "/snapshots")
			if ls := e.list(t, "/snapshots"); len(ls) != 1 || !sameSnap(ls[0], df) {
				t.Fatalf("full list %+v", ls)
			}
			rec = do(t, e.s, "GET", "/snapshots/"+df.Name, "")
			if rec.Code != http.StatusOK || int64(rec.Body.Len()) != df.Size {
				t.Fatalf("full download: %d", rec.Code)
			}
			if _, err := snapshot.Extract(bytes.NewReader(rec.Body.Bytes()), filepath.Join(t.TempDir(), "x"), snapshot.Limits{}); err != nil {
				t.Fatalf("extract the full download: %v", err)
			}
			mustOK(t, e.s, "DELETE", "/snapshots/"+df.Name, "")
			if ls := e.list(t, "/snapshots"); len(ls) != 0 {
				t.Fatalf("full list after delete %+v", ls)
			}
		})
	}
}

// TestRemoteCorruptObjectRoute: an object corrupted in the store makes a
// recover answer 400 naming the file, and the collection keeps its data.
func TestRemoteCorruptObjectRoute(t *testing.T) {
	store := namedStore{objstore.NewMem(time.Now)}
	e := newRemoteSnapEnv(t, store)
	e.collection(t, "c", 20)
	d := e.createRemote(t, "/collections/c/snapshots")
	infos, err := store.List(t.Context(), "objects/")
	if err != nil || len(infos) == 0 {
		t.Fatalf("objects: %v", err)
	}
	// Corrupt the biggest object: a segment or WAL file.
	big := infos[0]
	for _, in := range infos {
		if in.Size > big.Size {
			big = in
		}
	}
	rc, _ := store.Get(t.Context(), big.Key, 0, -1)
	b, _ := io.ReadAll(rc)
	b[len(b)/2] ^= 1
	if err := store.Put(t.Context(), big.Key, bytes.NewReader(b), int64(len(b))); err != nil {
		t.Fatal(err)
	}
	e.upsert(t, "c", 21, 25)
	r := call(t, e.s, "PUT", "/collections/c/snapshots/recover", `{"location":"`+d.Name+`"}`)
	if r.code != http.StatusBadRequest || !strings.Contains(r.err, "fails its SHA-256") || !strings.Contains(r.err, `"shard-0/`) {
		t.Fatalf("corrupt object: %d %s", r.code, r.raw)
	}
	if n := e.count(t, "c"); n != 25 {
		t.Fatalf("live data changed: %d points", n)
	}
}
