package server

import (
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/vfs"
)

// TestSnapshotErrorsShowNoServerPaths drives each snapshot route into a
// failure (corrupt archives found by the engine's check, checksum
// mismatches, missing files, a full disk, a download that fails) and
// asserts that no answer holds the absolute storage, snapshots or temp
// path, while the message still names the file relative to them.
func TestSnapshotErrorsShowNoServerPaths(t *testing.T) {
	t.Parallel()
	e := newSnapEnv(t, Options{})
	e.collection(t, "c", 6)
	c, err := e.m.Storage.Collection("c")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	colPath, _ := e.archive(t, "c")
	shard := e.create(t, "/collections/c/shards/0/snapshots")
	col := readFile(t, colPath)
	sh := readFile(t, filepath.Join(e.snaps, "c", "shards", "0", shard.Name))
	badSegment := rewriteArchive(t, col, "/vectors-default.seg", flipLast)
	badCollection := rewriteArchive(t, col, engine.CollectionFile, flipLast)
	badShard := rewriteArchive(t, sh, "/vectors-default.seg", flipLast)
	bad := filepath.Join(e.snaps, "c", "bad.snapshot")
	if err := os.WriteFile(bad, badSegment, 0o644); err != nil {
		t.Fatal(err)
	}
	badSh := filepath.Join(e.snaps, "c", "shards", "0", "bad.snapshot")
	if err := os.WriteFile(badSh, badShard, 0o644); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(nil) // 404 for everything
	defer srv.Close()
	wrongSum := strings.Repeat("0", 64)
	var answers []string
	add := func(code int, body string) { answers = append(answers, fmt.Sprintf("%d %s", code, body)) }
	for _, r := range []struct{ method, path, body string }{
		{"PUT", "/collections/c/snapshots/recover", `{"location":"file://` + bad + `"}`},
		{"PUT", "/collections/fresh/snapshots/recover", `{"location":"file://` + bad + `"}`},
		{"PUT", "/collections/c/snapshots/recover", `{"location":"file://` + colPath + `","checksum":"` + wrongSum + `"}`},
		{"PUT", "/collections/c/snapshots/recover", `{"location":"file://` + e.snaps + `/c/none.snapshot"}`},
		{"PUT", "/collections/c/snapshots/recover", `{"location":"file://` + e.snaps + `/../outside.snapshot"}`},
		{"PUT", "/collections/c/snapshots/recover", `{"location":"` + srv.URL + `/x.snapshot"}`},
		{"PUT", "/collections/c/shards/0/snapshots/recover", `{"location":"file://` + badSh + `"}`},
		{"PUT", "/collections/c/shards/0/snapshots/recover", `{"location":"bad.snapshot","checksum":"` + wrongSum + `"}`},
		{"GET", "/collections/c/snapshots/none.snapshot", ""},
		{"DELETE", "/collections/c/snapshots/none.snapshot", ""},
		{"GET", "/snapshots/none.snapshot", ""},
	} {
		rec := do(t, e.s, r.method, r.path, r.body)
		if rec.Code < 400 {
			t.Errorf("%s %s %s: %d", r.method, r.path, r.body, rec.Code)
		}
		add(rec.Code, rec.Body.String())
	}
	for _, u := range []struct {
		path string
		body []byte
	}{
		{"/collections/c/snapshots/upload", badSegment},
		{"/collections/c/snapshots/upload", badCollection},
		{"/collections/c/snapshots/upload?checksum=" + wrongSum, col},
		{"/collections/c/snapshots/upload", []byte("not a tar")},
		{"/collections/c/shards/0/snapshots/upload", badShard},
	} {
		rec := upload(t, e.s, u.path, "snapshot", u.body)
		if rec.Code < 400 {
			t.Errorf("upload %s: %d", u.path, rec.Code)
		}
		add(rec.Code, rec.Body.String())
	}
	e.m.FS = noSpaceFS{FS: vfs.OS, dir: e.snaps}
	for _, p := range []string{"/collections/c/snapshots", "/snapshots", "/collections/c/shards/0/snapshots"} {
		rec := do(t, e.s, "POST", p, "")
		add(rec.Code, rec.Body.String())
	}
	e.m.FS = nil
	dir := filepath.Dir(e.snaps)
	for _, a := range answers {
		if strings.Contains(a, dir) {
			t.Errorf("answer shows a server path: %s", a)
		}
	}
	joined := strings.Join(answers, "\n")
	for _, want := range []string{"collections/", "snapshots/c/none.snapshot", "no space left on device"} {
		if !strings.Contains(joined, want) {
			t.Errorf("no answer names %q:\n%s", want, joined)
		}
	}
}
