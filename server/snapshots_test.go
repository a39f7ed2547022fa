package server

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/snapshot"
)

// snapEnv is a server with a snapshot manager over a fresh storage.
type snapEnv struct {
	s     *Server
	m     *snapshot.Manager
	snaps string // snapshots path
	temp  string // temp path
}

func newSnapEnv(t *testing.T, opts Options) *snapEnv {
	t.Helper()
	dir := t.TempDir()
	log := slog.New(slog.DiscardHandler)
	st, err := engine.Open(engine.Options{Dir: filepath.Join(dir, "storage"), DisableBackground: true, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	env := &snapEnv{snaps: filepath.Join(dir, "snapshots"), temp: filepath.Join(dir, "storage", "tmp")}
	env.m = &snapshot.Manager{Storage: st, StoragePath: filepath.Join(dir, "storage"), SnapshotsPath: env.snaps, TempPath: env.temp, Logger: log, NodeID: 7}
	opts.Storage, opts.Snapshots, opts.Logger = st, env.m, log
	env.s = New(opts)
	t.Cleanup(func() {
		env.s.Wait()
		if err := st.Close(); err != nil {
			t.Error(err)
		}
	})
	return env
}

// collection creates name with n points of dimension 4.
func (e *snapEnv) collection(t *testing.T, name string, n int) {
	t.Helper()
	mustOK(t, e.s, "PUT", "/collections/"+name, `{"vectors":{"size":4,"distance":"Dot"},"wal_config":{"wal_capacity_mb":1}}`)
	e.upsert(t, name, 1, n)
}

// upsert writes points from..to (inclusive).
func (e *snapEnv) upsert(t *testing.T, name string, from, to int) {
	t.Helper()
	var pts []string
	for i := from; i <= to; i++ {
		pts = append(pts, fmt.Sprintf(`{"id":%d,"vector":[%d,1,0,0],"payload":{"i":%d}}`, i, i, i))
	}
	mustOK(t, e.s, "PUT", "/collections/"+name+"/points?wait=true", `{"points":[`+strings.Join(pts, ",")+`]}`)
}

func (e *snapEnv) count(t *testing.T, name string) int {
	t.Helper()
	var r struct {
		Count int `json:"count"`
	}
	if err := json.Unmarshal(mustOK(t, e.s, "POST", "/collections/"+name+"/points/count", `{"exact":true}`), &r); err != nil {
		t.Fatal(err)
	}
	return r.Count
}

// create makes a snapshot through the API and returns its description.
func (e *snapEnv) create(t *testing.T, path string) snapshot.Description {
	t.Helper()
	var d snapshot.Description
	if err := json.Unmarshal(mustOK(t, e.s, "POST", path, ""), &d); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(d.Name, snapshot.Ext) || d.Size <= 0 || len(d.Checksum) != 64 || time0(d) {
		t.Fatalf("description %+v", d)
	}
	return d
}

// sameSnap compares listing entries, creation_time included: a create's
// answer and a listing report the same one.
func sameSnap(a, b snapshot.Description) bool {
	return a.Name == b.Name && a.Size == b.Size && a.Checksum == b.Checksum && a.CreationTime == b.CreationTime
}

func time0(d snapshot.Description) bool { return d.CreationTime == (snapshot.CreationTime{}) }

func (e *snapEnv) list(t *testing.T, path string) []snapshot.Description {
	t.Helper()
	raw := mustOK(t, e.s, "GET", path, "")
	if string(raw) == "null" {
		t.Fatalf("GET %s: null list", path)
	}
	var ds []snapshot.Description
	if err := json.Unmarshal(raw, &ds); err != nil {
		t.Fatal(err)
	}
	return ds
}

// tempEntries lists what is left under the temp path.
func (e *snapEnv) tempEntries(t *testing.T) []string {
	t.Helper()
	des, err := os.ReadDir(e.temp)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []string
	for _, d := range des {
		out = append(out, d.Name())
	}
	return out
}

func sha(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func TestCollectionSnapshotLifecycle(t *testing.T) {
	t.Parallel()
	e := newSnapEnv(t, Options{})
	e.collection(t, "c", 3)
	d := e.create(t, "/collections/c/snapshots")
	if !strings.HasPrefix(d.Name, "c-7-") {
		t.Fatalf("name %s", d.Name)
	}
	if ds := e.list(t, "/collections/c/snapshots"); len(ds) != 1 || !sameSnap(ds[0], d) {
		t.Fatalf("list %+v, want %+v", ds, d)
	}

	rec := do(t, e.s, "GET", "/collections/c/snapshots/"+d.Name, "")
	if rec.Code != 200 || int64(rec.Body.Len()) != d.Size || sha(rec.Body.Bytes()) != d.Checksum {
		t.Fatalf("download %d, %d bytes", rec.Code, rec.Body.Len())
	}
	h := rec.Header()
	if h.Get("ETag") != `"`+d.Checksum+`"` || h.Get("Content-Type") != "application/octet-stream" ||
		h.Get("Content-Disposition") != `attachment; filename=`+d.Name || h.Get("Accept-Ranges") != "bytes" {
		t.Fatalf("headers %v", h)
	}
	whole := rec.Body.Bytes()
	rec = do(t, e.s, "GET", "/collections/c/snapshots/"+d.Name, "", "Range", "bytes=10-19")
	if rec.Code != http.StatusPartialContent || !bytes.Equal(rec.Body.Bytes(), whole[10:20]) {
		t.Fatalf("range: %d %q", rec.Code, rec.Body.Bytes())
	}
	rec = do(t, e.s, "GET", "/collections/c/snapshots/"+d.Name, "", "If-None-Match", `"`+d.Checksum+`"`)
	if rec.Code != http.StatusNotModified {
		t.Fatalf("If-None-Match: %d", rec.Code)
	}

	checkBadNames(t, e)
	if got := mustOK(t, e.s, "DELETE", "/collections/c/snapshots/"+d.Name, ""); string(got) != "true" {
		t.Fatalf("delete %s", got)
	}
	if ds := e.list(t, "/collections/c/snapshots"); len(ds) != 0 {
		t.Fatalf("list after delete %+v", ds)
	}
	mustFail(t, e.s, "GET", "/collections/c/snapshots/"+d.Name, "", 404)
	mustFail(t, e.s, "DELETE", "/collections/c/snapshots/"+d.Name, "", 404)
	mustFail(t, e.s, "POST", "/collections/nope/snapshots", "", 404, "nope")
	mustFail(t, e.s, "GET", "/collections/nope/snapshots", "", 404, "nope")
	mustFail(t, e.s, "POST", "/collections/c/snapshots?wait=maybe", "", 400)
}

func TestCreateSnapshotNoWait(t *testing.T) {
	t.Parallel()
	e := newSnapEnv(t, Options{})
	e.collection(t, "c", 2)
	rec := do(t, e.s, "POST", "/collections/c/snapshots?wait=false", "")
	var body map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if _, has := body["result"]; rec.Code != http.StatusAccepted || body["status"] != "accepted" || has {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	e.s.Wait()
	if ds := e.list(t, "/collections/c/snapshots"); len(ds) != 1 {
		t.Fatalf("list %+v", ds)
	}
	rec = do(t, e.s, "DELETE", "/collections/c/snapshots/"+e.list(t, "/collections/c/snapshots")[0].Name+"?wait=false", "")
	if rec.Code != http.StatusAccepted {
		t.Fatalf("delete wait=false: %d %s", rec.Code, rec.Body)
	}
	if ds := e.list(t, "/collections/c/snapshots"); len(ds) != 0 {
		t.Fatalf("list %+v", ds)
	}
}

// checkBadNames checks that names that are not one snapshot of the
// collection c (which has exactly one) answer 404 and remove nothing.
func checkBadNames(t *testing.T, e *snapEnv) {
	// A file next to the snapshots folder that a traversal would reach.
	if err := os.WriteFile(filepath.Join(e.snaps, "secret.snapshot"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{
		"..%2Fsecret.snapshot", "%2E%2E%2Fsecret.snapshot", "a%2Fb.snapshot", "%252E%252E%252Fsecret.snapshot",
		"..", "nope.snapshot", "secret", ".hidden.snapshot", "a%5Cb.snapshot",
	} {
		for _, m := range []string{"GET", "DELETE"} {
			rec := do(t, e.s, m, "/collections/c/snapshots/"+name, "")
			if rec.Code != 404 {
				t.Errorf("%s %s: %d %s", m, name, rec.Code, rec.Body)
			}
		}
		if rec := do(t, e.s, "GET", "/snapshots/"+name, ""); rec.Code != 404 && name != "secret" {
			t.Errorf("full %s: %d", name, rec.Code)
		}
	}
	for _, p := range []string{"/collections/c/snapshots/../secret.snapshot", "/collections/c/snapshots/a/b.snapshot"} {
		if rec := do(t, e.s, "GET", p, ""); rec.Code != 404 {
			t.Errorf("GET %s: %d", p, rec.Code)
		}
	}
	if _, err := os.Stat(filepath.Join(e.snaps, "secret.snapshot")); err != nil {
		t.Fatal("a bad name removed a file outside the collection's folder")
	}
	if ds := e.list(t, "/collections/c/snapshots"); len(ds) != 1 {
		t.Fatalf("list %+v", ds)
	}
}

// archive makes a snapshot of name and returns its path and checksum.
func (e *snapEnv) archive(t *testing.T, name string) (string, string) {
	t.Helper()
	d := e.create(t, "/collections/"+name+"/snapshots")
	return filepath.Join(e.snaps, name, d.Name), d.Checksum
}

func TestRecoverFromLocation(t *testing.T) {
	t.Parallel()
	e := newSnapEnv(t, Options{})
	e.collection(t, "c", 3)
	path, sum := e.archive(t, "c")
	e.upsert(t, "c", 4, 5)

	// Into a new collection, then over the existing one.
	body := fmt.Sprintf(`{"location":"file://%s","priority":"snapshot","checksum":"%s"}`, path, sum)
	if got := mustOK(t, e.s, "PUT", "/collections/d/snapshots/recover", body); string(got) != "true" {
		t.Fatalf("recover %s", got)
	}
	if n := e.count(t, "d"); n != 3 {
		t.Fatalf("d has %d points", n)
	}
	mustOK(t, e.s, "PUT", "/collections/c/snapshots/recover", fmt.Sprintf(`{"location":"file://%s"}`, path))
	if n := e.count(t, "c"); n != 3 {
		t.Fatalf("c has %d points after recover", n)
	}
	e.upsert(t, "c", 4, 6) // c: 6 points; every failure below must leave them

	outside := filepath.Join(t.TempDir(), "c.snapshot")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(outside, b, 0o644); err != nil {
		t.Fatal(err)
	}
	bad := strings.Repeat("0", 64)
	fails := []struct {
		body string
		code int
	}{
		{fmt.Sprintf(`{"location":"file://%s"}`, outside), 403},
		{fmt.Sprintf(`{"location":"file://%s/../../etc/passwd"}`, e.snaps), 403},
		{fmt.Sprintf(`{"location":"file://%s","checksum":"%s"}`, path, bad), 400},
		{fmt.Sprintf(`{"location":"file://%s","checksum":"abc"}`, path), 422},
		{fmt.Sprintf(`{"location":"file://%s","priority":"first"}`, path), 400},
		{fmt.Sprintf(`{"location":"file://%s/c/none.snapshot"}`, e.snaps), 400}, // Qdrant: "Snapshot file … does not exist"
		{`{"location":"ftp://x/y.snapshot"}`, 400},
		{`{"priority":"snapshot"}`, 400},
		{`{"location":`, 400},
	}
	for _, f := range fails {
		mustFail(t, e.s, "PUT", "/collections/c/snapshots/recover", f.body, f.code)
		if n := e.count(t, "c"); n != 6 {
			t.Fatalf("%s: c has %d points", f.body, n)
		}
	}
	if left := e.tempEntries(t); len(left) != 0 {
		t.Fatalf("temp path holds %v", left)
	}
}

func TestRecoverFromHTTP(t *testing.T) {
	t.Parallel()
	e := newSnapEnv(t, Options{})
	e.collection(t, "c", 4)
	path, sum := e.archive(t, "c")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var gotKey string
	src := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotKey = r.Header.Get("api-key")
		if r.URL.Path != "/c.snapshot" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(b)
	}))
	defer src.Close()
	body := fmt.Sprintf(`{"location":"%s/c.snapshot","checksum":"%s","api_key":"k1"}`, src.URL, strings.ToUpper(sum))
	mustOK(t, e.s, "PUT", "/collections/h/snapshots/recover", body)
	if n := e.count(t, "h"); n != 4 || gotKey != "k1" {
		t.Fatalf("h has %d points, key %q", n, gotKey)
	}
	e.upsert(t, "h", 5, 5)
	mustFail(t, e.s, "PUT", "/collections/h/snapshots/recover", fmt.Sprintf(`{"location":"%s/c.snapshot","checksum":"%s"}`, src.URL, strings.Repeat("a", 64)), 400)
	mustFail(t, e.s, "PUT", "/collections/h/snapshots/recover", fmt.Sprintf(`{"location":"%s/missing.snapshot"}`, src.URL), 400)
	if n := e.count(t, "h"); n != 5 {
		t.Fatalf("h has %d points after failed recovers", n)
	}
	// wait=false answers at once; the recover runs in the background.
	rec := do(t, e.s, "PUT", "/collections/h/snapshots/recover?wait=false", fmt.Sprintf(`{"location":"%s/c.snapshot"}`, src.URL))
	if rec.Code != http.StatusAccepted {
		t.Fatalf("wait=false: %d %s", rec.Code, rec.Body)
	}
	e.s.Wait()
	if n := e.count(t, "h"); n != 4 {
		t.Fatalf("h has %d points after background recover", n)
	}
	if left := e.tempEntries(t); len(left) != 0 {
		t.Fatalf("temp path holds %v", left)
	}
}

// upload posts b as the multipart field field.
func upload(t *testing.T, s *Server, path, field string, b []byte, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if err := mw.WriteField("note", "ignored"); err != nil {
		t.Fatal(err)
	}
	fw, err := mw.CreateFormFile(field, "x.snapshot")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("POST", path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return rec
}

func TestUploadSnapshot(t *testing.T) {
	t.Parallel()
	// A body limit far below the archive's size: uploads stream, exempt.
	e := newSnapEnv(t, Options{MaxRequestBytes: 512})
	e.collection(t, "c", 5)
	path, sum := e.archive(t, "c")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) <= 512 {
		t.Fatalf("archive of %d bytes does not exceed the body limit", len(b))
	}
	rec := upload(t, e.s, "/collections/u/snapshots/upload?priority=snapshot&checksum="+sum, "snapshot", b)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"result":true`) {
		t.Fatalf("upload: %d %s", rec.Code, rec.Body)
	}
	if n := e.count(t, "u"); n != 5 {
		t.Fatalf("u has %d points", n)
	}
	e.upsert(t, "u", 6, 7)

	// Each failure is cheap: rejected before reading, or a small body.
	junk := []byte("not a snapshot at all")
	truncated := b[:4096]
	fails := []struct {
		name, query, field string
		body               []byte
		code               int
	}{
		{"checksum mismatch", "?checksum=" + sha(b), "snapshot", junk, 400},
		{"malformed checksum", "?checksum=xyz", "snapshot", b, 422},
		{"bad priority", "?priority=urgent", "snapshot", b, 400},
		{"not a tar", "", "snapshot", junk, 400},
		{"truncated tar", "", "snapshot", truncated, 400},
		{"no snapshot field", "", "file", junk, 400},
		{"bad wait", "?wait=soon", "snapshot", b, 400},
	}
	for _, f := range fails {
		rec := upload(t, e.s, "/collections/u/snapshots/upload"+f.query, f.field, f.body)
		if rec.Code != f.code {
			t.Errorf("%s: %d %s, want %d", f.name, rec.Code, rec.Body, f.code)
		}
		if n := e.count(t, "u"); n != 7 {
			t.Fatalf("%s: u has %d points", f.name, n)
		}
	}
	rec = httptest.NewRecorder()
	req := httptest.NewRequest("POST", "/collections/u/snapshots/upload", strings.NewReader(`{}`))
	req.Header.Set("Content-Type", "application/json")
	e.s.ServeHTTP(rec, req)
	if rec.Code != 400 {
		t.Fatalf("non-multipart upload: %d", rec.Code)
	}
	// A multipart body that ends inside the snapshot part (no closing
	// boundary): the sender's fault, 400, and nothing changes.
	rec = httptest.NewRecorder()
	req = httptest.NewRequest("POST", "/collections/u/snapshots/upload",
		strings.NewReader("--xyz\r\nContent-Disposition: form-data; name=\"snapshot\"; filename=\"a\"\r\n\r\nabc"))
	req.Header.Set("Content-Type", "multipart/form-data; boundary=xyz")
	e.s.ServeHTTP(rec, req)
	if rec.Code != 400 || e.count(t, "u") != 7 {
		t.Fatalf("unterminated multipart upload: %d %s", rec.Code, rec.Body)
	}

	rec = upload(t, e.s, "/collections/u/snapshots/upload?wait=false", "snapshot", b)
	if rec.Code != http.StatusAccepted {
		t.Fatalf("wait=false: %d %s", rec.Code, rec.Body)
	}
	e.s.Wait()
	if n := e.count(t, "u"); n != 5 {
		t.Fatalf("u has %d points after background upload", n)
	}
	if left := e.tempEntries(t); len(left) != 0 {
		t.Fatalf("temp path holds %v", left)
	}
	// An upload over the manager's limit is refused before it is read.
	e.m.MaxBytes = 1024
	if rec := upload(t, e.s, "/collections/u/snapshots/upload", "snapshot", b); rec.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("over MaxBytes: %d %s", rec.Code, rec.Body)
	}
	if n := e.count(t, "u"); n != 5 {
		t.Fatalf("u has %d points after a refused upload", n)
	}
	// wait=false still answers a forbidden location at once.
	rec = do(t, e.s, "PUT", "/collections/u/snapshots/recover?wait=false", `{"location":"file:///etc/passwd"}`)
	if rec.Code != http.StatusForbidden {
		t.Fatalf("wait=false forbidden location: %d", rec.Code)
	}
	// The JSON limit still applies elsewhere.
	mustFail(t, e.s, "PUT", "/collections/c/snapshots/recover", `{"location":"`+strings.Repeat("x", 600)+`"}`, 413)
}

func TestFullSnapshots(t *testing.T) {
	t.Parallel()
	e := newSnapEnv(t, Options{})
	e.collection(t, "a", 2)
	e.collection(t, "b", 3)
	d := e.create(t, "/snapshots")
	if !strings.HasPrefix(d.Name, "full-snapshot-") {
		t.Fatalf("name %s", d.Name)
	}
	if ds := e.list(t, "/snapshots"); len(ds) != 1 || !sameSnap(ds[0], d) {
		t.Fatalf("list %+v", ds)
	}
	rec := do(t, e.s, "GET", "/snapshots/"+d.Name, "")
	if rec.Code != 200 || sha(rec.Body.Bytes()) != d.Checksum {
		t.Fatalf("download %d", rec.Code)
	}
	if m := manifestOf(t, rec.Body.Bytes()); m.Kind != snapshot.KindFull || !hasFile(m, "collections/a/") || !hasFile(m, "collections/b/") {
		t.Fatalf("full manifest %+v", m)
	}
	mustOK(t, e.s, "DELETE", "/snapshots/"+d.Name, "")
	mustFail(t, e.s, "GET", "/snapshots/"+d.Name, "", 404)
	if ds := e.list(t, "/snapshots"); len(ds) != 0 {
		t.Fatalf("list %+v", ds)
	}
}

func TestFullSnapshotNoWait(t *testing.T) {
	t.Parallel()
	e := newSnapEnv(t, Options{}) // no collection: the cheapest full snapshot
	rec := do(t, e.s, "POST", "/snapshots?wait=false", "")
	if rec.Code != http.StatusAccepted {
		t.Fatalf("wait=false %d", rec.Code)
	}
	e.s.Wait()
	if ds := e.list(t, "/snapshots"); len(ds) != 1 {
		t.Fatalf("list %+v", ds)
	}
}

func TestShardSnapshots(t *testing.T) {
	t.Parallel()
	e := newSnapEnv(t, Options{})
	e.collection(t, "c", 3)
	const base = "/collections/c/shards/0/snapshots"
	d := e.create(t, base)
	if !strings.HasPrefix(d.Name, "c-shard-0-") {
		t.Fatalf("name %s", d.Name)
	}
	if ds := e.list(t, base); len(ds) != 1 || !sameSnap(ds[0], d) {
		t.Fatalf("list %+v", ds)
	}
	rec := do(t, e.s, "GET", base+"/"+d.Name, "")
	if rec.Code != 200 || sha(rec.Body.Bytes()) != d.Checksum {
		t.Fatalf("download %d", rec.Code)
	}
	mustOK(t, e.s, "DELETE", base+"/"+d.Name, "")
	if ds := e.list(t, base); len(ds) != 0 {
		t.Fatalf("list %+v", ds)
	}
	for _, p := range []string{"/collections/c/shards/9/snapshots", "/collections/c/shards/x/snapshots", "/collections/nope/shards/0/snapshots"} {
		mustFail(t, e.s, "GET", p, "", 404)
		mustFail(t, e.s, "POST", p, "", 404)
	}

	rec = do(t, e.s, "GET", "/collections/c/shards/0/snapshot", "")
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Disposition"), "attachment; filename=c-shard-0-") {
		t.Fatalf("stream: %d %v", rec.Code, rec.Header())
	}
	if m := manifestOf(t, rec.Body.Bytes()); m.Kind != snapshot.KindShard || m.Collection != "c" || len(m.Files) == 0 {
		t.Fatalf("streamed shard manifest %+v", m)
	}
	if ds := e.list(t, base); len(ds) != 0 {
		t.Fatalf("streaming stored a snapshot: %+v", ds)
	}
	mustFail(t, e.s, "GET", "/collections/c/shards/3/snapshot", "", 404)
	mustFail(t, e.s, "GET", "/collections/nope/shards/0/snapshot", "", 404)
}

// manifestOf reads an archive's entries in memory and decodes its manifest,
// the last entry, after checking each file against the manifest's size.
func manifestOf(t *testing.T, b []byte) snapshot.Manifest {
	t.Helper()
	tr := tar.NewReader(bytes.NewReader(b))
	sizes := map[string]int64{}
	var m snapshot.Manifest
	last := ""
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("read archive: %v", err)
		}
		last = h.Name
		if h.Name == snapshot.ManifestName {
			if err := json.NewDecoder(tr).Decode(&m); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if h.Typeflag == tar.TypeReg {
			sizes[h.Name] = h.Size
		}
	}
	if last != snapshot.ManifestName || m.Format != snapshot.FormatVersion {
		t.Fatalf("last entry %q, format %d", last, m.Format)
	}
	for _, f := range m.Files {
		if sizes[f.Path] != f.Size {
			t.Fatalf("%s: %d bytes in the archive, %d in the manifest", f.Path, sizes[f.Path], f.Size)
		}
	}
	return m
}

func hasFile(m snapshot.Manifest, prefix string) bool {
	for _, f := range m.Files {
		if strings.HasPrefix(f.Path, prefix) {
			return true
		}
	}
	return false
}

func TestSnapshotAccess(t *testing.T) {
	t.Parallel()
	e := newSnapEnv(t, Options{APIKey: "full", ReadOnlyAPIKey: "ro"})
	ro := []string{"api-key", "ro"}
	if rec := do(t, e.s, "PUT", "/collections/c", `{"vectors":{"size":4,"distance":"Dot"},"wal_config":{"wal_capacity_mb":1}}`, "api-key", "full"); rec.Code != 200 {
		t.Fatalf("create collection: %d", rec.Code)
	}
	// The auth check runs before the handler: a read route answers the
	// read-only key with 200 or the handler's 404, never 401 or 403.
	reads := []struct {
		path string
		code int
	}{
		{"/collections/c/snapshots", 200},
		{"/collections/c/snapshots/none.snapshot", 404},
		{"/snapshots", 200},
		{"/snapshots/none.snapshot", 404},
		{"/collections/c/shards/0/snapshots", 200},
		{"/collections/c/shards/0/snapshots/none.snapshot", 404},
		{"/collections/c/shards/9/snapshot", 404},
	}
	for _, r := range reads {
		if rec := do(t, e.s, "GET", r.path, "", ro...); rec.Code != r.code {
			t.Errorf("read-only GET %s: %d, want %d", r.path, rec.Code, r.code)
		}
		if rec := do(t, e.s, "GET", r.path, ""); rec.Code != 401 {
			t.Errorf("no key GET %s: %d", r.path, rec.Code)
		}
	}
	writes := [][3]string{
		{"POST", "/collections/c/snapshots", ""},
		{"DELETE", "/collections/c/snapshots/none.snapshot", ""},
		{"PUT", "/collections/c/snapshots/recover", `{"location":"ftp:///x"}`},
		{"POST", "/collections/c/snapshots/upload", ""},
		{"POST", "/snapshots", ""},
		{"DELETE", "/snapshots/none.snapshot", ""},
		{"POST", "/collections/c/shards/0/snapshots", ""},
		{"DELETE", "/collections/c/shards/0/snapshots/none.snapshot", ""},
		{"PUT", "/collections/c/shards/0/snapshots/recover", `{"location":"file:///x"}`},
		{"POST", "/collections/c/shards/0/snapshots/upload", ""},
	}
	for _, w := range writes {
		if rec := do(t, e.s, w[0], w[1], w[2], ro...); rec.Code != 403 {
			t.Errorf("read-only %s %s: %d", w[0], w[1], rec.Code)
		}
	}
	for _, p := range []string{"/collections/c/snapshots/upload", "/collections/c/shards/0/snapshots/upload"} {
		if rec := upload(t, e.s, p, "snapshot", []byte("x"), ro...); rec.Code != 403 {
			t.Errorf("read-only upload %s: %d", p, rec.Code)
		}
	}
	// The full key passes the same routes (bad input, no work).
	for _, w := range writes[1:3] {
		if rec := do(t, e.s, w[0], w[1], w[2], "api-key", "full"); rec.Code == 401 || rec.Code == 403 {
			t.Errorf("full key %s %s: %d", w[0], w[1], rec.Code)
		}
	}
	// Nothing the read-only key tried made a snapshot.
	if n := e.listWithKey(t, "/collections/c/snapshots"); n != 0 {
		t.Fatalf("%d snapshots", n)
	}
	if n := e.listWithKey(t, "/snapshots"); n != 0 {
		t.Fatalf("%d full snapshots", n)
	}
}

func (e *snapEnv) listWithKey(t *testing.T, path string) int {
	t.Helper()
	rec := do(t, e.s, "GET", path, "", "api-key", "full")
	var env struct {
		Result []snapshot.Description `json:"result"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil {
		t.Fatal(err)
	}
	return len(env.Result)
}

func TestSnapshotsUnavailable(t *testing.T) {
	t.Parallel()
	s := newEngineServer(t, Options{})
	for _, p := range []string{"/snapshots", "/collections/c/snapshots"} {
		mustFail(t, s, "GET", p, "", 503)
	}
}
