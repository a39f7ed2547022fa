package server

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSnapshotNamesWithDots: a collection whose name holds ".." (which the
// engine accepts) has snapshots like any other; recover and upload to a
// name no collection may have answer 422 and create nothing, with or
// without wait.
func TestSnapshotNamesWithDots(t *testing.T) {
	t.Parallel()
	e := newSnapEnv(t, Options{})
	e.collection(t, "v1..2", 3)
	const base = "/collections/v1..2/snapshots"
	d := e.create(t, base)
	if !strings.HasPrefix(d.Name, "v1..2-7-") {
		t.Fatalf("name %s", d.Name)
	}
	if ds := e.list(t, base); len(ds) != 1 || !sameSnap(ds[0], d) {
		t.Fatalf("list %+v, want %+v", ds, d)
	}
	if rec := do(t, e.s, "GET", base+"/"+d.Name, ""); rec.Code != 200 || sha(rec.Body.Bytes()) != d.Checksum {
		t.Fatalf("download: %d", rec.Code)
	}
	path := filepath.Join(e.snaps, "v1..2", d.Name)
	e.upsert(t, "v1..2", 4, 4)
	mustOK(t, e.s, "PUT", base+"/recover", fmt.Sprintf(`{"location":"file://%s"}`, path))
	if n := e.count(t, "v1..2"); n != 3 {
		t.Fatalf("v1..2 has %d points after recover", n)
	}
	shard := e.create(t, "/collections/v1..2/shards/0/snapshots")
	if ds := e.list(t, "/collections/v1..2/shards/0/snapshots"); len(ds) != 1 || !sameSnap(ds[0], shard) {
		t.Fatalf("shard list %+v", ds)
	}
	e.create(t, "/snapshots")
	mustOK(t, e.s, "DELETE", base+"/"+d.Name, "")

	b, err := os.ReadFile(filepath.Join(e.snaps, "v1..2", "shards", "0", shard.Name))
	if err != nil {
		t.Fatal(err)
	}
	colPath := e.create(t, base).Name
	loc := fmt.Sprintf(`{"location":"file://%s"}`, filepath.Join(e.snaps, "v1..2", colPath))
	for _, name := range []string{".x", "..%2Fx", "..", ".", "x:y"} {
		for _, wait := range []string{"", "?wait=false"} {
			rec := do(t, e.s, "PUT", "/collections/"+name+"/snapshots/recover"+wait, loc)
			if rec.Code != http.StatusUnprocessableEntity {
				t.Errorf("recover to %s%s: %d %s", name, wait, rec.Code, rec.Body)
			}
			rec = upload(t, e.s, "/collections/"+name+"/snapshots/upload"+wait, "snapshot", b)
			if rec.Code != http.StatusUnprocessableEntity {
				t.Errorf("upload to %s%s: %d %s", name, wait, rec.Code, rec.Body)
			}
		}
		for _, p := range []string{"/collections/" + name + "/snapshots", "/collections/" + name + "/shards/0/snapshots"} {
			for _, m := range []string{"GET", "POST"} {
				if rec := do(t, e.s, m, p, ""); rec.Code != http.StatusNotFound {
					t.Errorf("%s %s: %d %s", m, p, rec.Code, rec.Body)
				}
			}
		}
		rec := upload(t, e.s, "/collections/"+name+"/shards/0/snapshots/upload", "snapshot", b)
		if rec.Code != http.StatusNotFound {
			t.Errorf("shard upload to %s: %d %s", name, rec.Code, rec.Body)
		}
	}
	e.s.Wait()
	if got := e.m.Storage.ListCollections(); len(got) != 1 || got[0] != "v1..2" {
		t.Fatalf("collections %v", got)
	}
	if left := e.tempEntries(t); len(left) != 0 {
		t.Fatalf("temp path holds %v", left)
	}
}

// TestPathParamsDecoded: path parameters are percent-decoded whatever the
// client's encoding (Go keeps the raw path, and echo routes on it, only
// when that encoding differs from Go's own): lowercase hex names the same
// collection as uppercase, an encoded letter is that letter, and an
// encoded "/" is a "/" (an invalid collection name, a 404 snapshot name).
func TestPathParamsDecoded(t *testing.T) {
	t.Parallel()
	e := newSnapEnv(t, Options{})
	const body = `{"vectors":{"size":2,"distance":"Dot"}}`
	mustOK(t, e.s, "PUT", "/collections/caf%c3%a9", body)
	for _, p := range []string{"/collections/caf%C3%A9", "/collections/caf%c3%a9", "/collections/caf%c3%a9/exists"} {
		if rec := do(t, e.s, "GET", p, ""); rec.Code != 200 || !strings.Contains(rec.Body.String(), "result") {
			t.Fatalf("GET %s: %d %s", p, rec.Code, rec.Body)
		}
	}
	if rec := do(t, e.s, "PUT", "/collections/caf%c3%a9", body); rec.Code != 409 && rec.Code != 400 {
		t.Fatalf("second create of café by lowercase hex: %d %s, want it to exist already", rec.Code, rec.Body)
	}
	mustOK(t, e.s, "PUT", "/collections/y%41z", body)
	if rec := do(t, e.s, "GET", "/collections/yAz", ""); rec.Code != 200 {
		t.Fatalf("y%%41z did not create yAz: %d %s", rec.Code, rec.Body)
	}
	for _, p := range []string{"/collections/a%2Fb", "/collections/a%2fb"} {
		if rec := do(t, e.s, "PUT", p, body); rec.Code < 400 || rec.Code >= 500 {
			t.Fatalf("PUT %s: %d %s, want a 4xx", p, rec.Code, rec.Body)
		}
	}
	d := e.create(t, "/collections/caf%c3%a9/snapshots")
	if rec := do(t, e.s, "GET", "/collections/caf%c3%a9/snapshots/"+strings.ReplaceAll(url.PathEscape(d.Name), "-", "%2d"), ""); rec.Code != 200 {
		t.Fatalf("download %s with lowercase-hex escapes: %d", d.Name, rec.Code)
	}
	if rec := do(t, e.s, "GET", "/collections/caf%c3%a9/snapshots/..%2f..%2fx.snapshot", ""); rec.Code != 404 {
		t.Fatalf("snapshot name with an encoded /: %d, want 404", rec.Code)
	}
}
