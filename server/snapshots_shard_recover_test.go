package server

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cairn-db/cairn/point"
)

// TestShardRecover: a shard snapshot recovered through the recover route
// (file://, plain name) and the upload route (wait=true and false) brings
// back exactly the snapshot's points in that shard, the other shard keeps
// its writes; every bad request is refused and changes nothing.
func TestShardRecover(t *testing.T) {
	t.Parallel()
	e := newSnapEnv(t, Options{MaxRequestBytes: 512})
	mustOK(t, e.s, "PUT", "/collections/c", `{"vectors":{"size":4,"distance":"Dot"},"shard_number":2,"wal_config":{"wal_capacity_mb":1}}`)
	e.upsert(t, "c", 1, 10)
	const base = "/collections/c/shards/1/snapshots"
	d := e.create(t, base)
	path := filepath.Join(e.snaps, "c", "shards", "1", d.Name)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// After the snapshot, 11..20 land in both shards; a recover of shard 1
	// keeps only shard 0's share of them.
	want := 10
	for i := uint64(11); i <= 20; i++ {
		if point.NumID(i).Hash()%2 == 0 {
			want++
		}
	}
	if want == 10 || want == 20 {
		t.Fatalf("points 11..20 all route to one shard (%d)", want)
	}
	recovered := func(what string) {
		t.Helper()
		if n := e.count(t, "c"); n != want {
			t.Fatalf("%s: c has %d points, want %d", what, n, want)
		}
	}
	steps := []struct {
		what string
		run  func() *http.Response
	}{
		{"file location", func() *http.Response {
			return do(t, e.s, "PUT", base+"/recover", fmt.Sprintf(`{"location":"file://%s","checksum":"%s","priority":"snapshot"}`, path, d.Checksum)).Result()
		}},
		{"plain name", func() *http.Response {
			return do(t, e.s, "PUT", base+"/recover", fmt.Sprintf(`{"location":%q}`, d.Name)).Result()
		}},
		{"upload", func() *http.Response {
			return upload(t, e.s, base+"/upload?priority=replica&checksum="+d.Checksum, "snapshot", b).Result()
		}},
	}
	for _, s := range steps {
		e.upsert(t, "c", 11, 20)
		if n := e.count(t, "c"); n != 20 {
			t.Fatalf("%s: %d points before", s.what, n)
		}
		if res := s.run(); res.StatusCode != 200 {
			t.Fatalf("%s: %d", s.what, res.StatusCode)
		}
		recovered(s.what)
	}
	e.upsert(t, "c", 11, 20)
	if rec := upload(t, e.s, base+"/upload?wait=false", "snapshot", b); rec.Code != http.StatusAccepted || !strings.Contains(rec.Body.String(), `"accepted"`) {
		t.Fatalf("wait=false upload: %d %s", rec.Code, rec.Body)
	}
	e.s.Wait()
	recovered("background upload")
	e.upsert(t, "c", 11, 20)
	if rec := do(t, e.s, "PUT", base+"/recover?wait=false", fmt.Sprintf(`{"location":"file://%s"}`, path)); rec.Code != http.StatusAccepted {
		t.Fatalf("wait=false recover: %d %s", rec.Code, rec.Body)
	}
	e.s.Wait()
	recovered("background recover")

	// Refusals: the collection keeps its 20 points.
	e.upsert(t, "c", 11, 20)
	colPath, _ := e.archive(t, "c")
	colBytes, err := os.ReadFile(colPath)
	if err != nil {
		t.Fatal(err)
	}
	outside := filepath.Join(t.TempDir(), "x.snapshot")
	if err := os.WriteFile(outside, b, 0o644); err != nil {
		t.Fatal(err)
	}
	bad := strings.Repeat("0", 64)
	recovers := []struct {
		path, body string
		code       int
	}{
		{base + "/recover", fmt.Sprintf(`{"location":"file://%s"}`, outside), 403},
		{base + "/recover?wait=false", fmt.Sprintf(`{"location":"file://%s"}`, outside), 403},
		{base + "/recover", fmt.Sprintf(`{"location":"file://%s","checksum":"%s"}`, path, bad), 400},
		{base + "/recover", fmt.Sprintf(`{"location":"file://%s","checksum":"abc"}`, path), 422},
		{base + "/recover", fmt.Sprintf(`{"location":"file://%s"}`, colPath), 400},
		{base + "/recover", `{"location":"../x.snapshot"}`, 404},
		{base + "/recover", `{"location":"none.snapshot"}`, 404},
		{base + "/recover", `{"priority":"snapshot"}`, 400},
		{"/collections/c/shards/2/snapshots/recover", fmt.Sprintf(`{"location":"file://%s"}`, path), 404},
		{"/collections/c/shards/x/snapshots/recover", fmt.Sprintf(`{"location":"file://%s"}`, path), 404},
		{"/collections/nope/shards/1/snapshots/recover", fmt.Sprintf(`{"location":"file://%s"}`, path), 404},
		{"/collections/c/shards/0/snapshots/recover", fmt.Sprintf(`{"location":"file://%s"}`, path), 400},
	}
	for _, r := range recovers {
		mustFail(t, e.s, "PUT", r.path, r.body, r.code)
		if n := e.count(t, "c"); n != 20 {
			t.Fatalf("PUT %s %s: c has %d points", r.path, r.body, n)
		}
	}
	uploads := []struct {
		what, path string
		body       []byte
		code       int
	}{
		{"checksum mismatch", base + "/upload?checksum=" + bad, b, 400},
		{"malformed checksum", base + "/upload?checksum=xyz", b, 422},
		{"bad priority", base + "/upload?priority=soon", b, 400},
		{"collection snapshot", base + "/upload", colBytes, 400},
		{"not a tar", base + "/upload", []byte("junk"), 400},
		{"missing shard", "/collections/c/shards/7/snapshots/upload", b, 404},
		{"missing collection", "/collections/nope/shards/1/snapshots/upload", b, 404},
		{"bad collection name", "/collections/..%2Fc/shards/1/snapshots/upload", b, 404},
	}
	for _, u := range uploads {
		if rec := upload(t, e.s, u.path, "snapshot", u.body); rec.Code != u.code {
			t.Errorf("%s: %d %s, want %d", u.what, rec.Code, rec.Body, u.code)
		}
		if n := e.count(t, "c"); n != 20 {
			t.Fatalf("%s: c has %d points", u.what, n)
		}
	}
	if left := e.tempEntries(t); len(left) != 0 {
		t.Fatalf("temp path holds %v", left)
	}
}
