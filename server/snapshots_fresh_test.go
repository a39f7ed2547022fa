package server

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSnapshotRoutesOnNewInstall: with no snapshots folder yet (a new
// install), every snapshot route answers as it would with an empty one:
// listings are empty, a file:// recover of a missing file is Qdrant's 400,
// not a 500 from resolving the folder, and creates make the folder.
func TestSnapshotRoutesOnNewInstall(t *testing.T) {
	t.Parallel()
	for _, first := range []struct {
		method, path, body string
		code               int
	}{
		{"PUT", "/collections/c/snapshots/recover", `{"location":"file://SNAPS/c/a.snapshot"}`, 400},
		{"PUT", "/collections/new/snapshots/recover", `{"location":"file://SNAPS/c/a.snapshot"}`, 400},
		{"PUT", "/collections/c/shards/0/snapshots/recover", `{"location":"file://SNAPS/c/a.snapshot"}`, 400},
		{"PUT", "/collections/c/shards/0/snapshots/recover", `{"location":"a.snapshot"}`, 404},
		{"GET", "/collections/c/snapshots", "", 200},
		{"GET", "/snapshots", "", 200},
		{"GET", "/collections/c/shards/0/snapshots", "", 200},
		{"GET", "/collections/c/snapshots/a.snapshot", "", 404},
		{"DELETE", "/snapshots/a.snapshot", "", 404},
		{"POST", "/collections/c/snapshots", "", 200},
		{"POST", "/snapshots", "", 200},
		{"POST", "/collections/c/shards/0/snapshots", "", 200},
	} {
		e := newSnapEnv(t, Options{})
		e.collection(t, "c", 2)
		if err := os.RemoveAll(e.snaps); err != nil {
			t.Fatal(err)
		}
		body := first.body
		if body != "" {
			body = strings.ReplaceAll(body, "SNAPS", e.snaps)
		}
		rec := do(t, e.s, first.method, first.path, body)
		if rec.Code != first.code {
			t.Errorf("first action %s %s: %d %s, want %d", first.method, first.path, rec.Code, rec.Body, first.code)
		}
		if first.code == http.StatusOK && first.method == "POST" {
			if _, err := os.Stat(filepath.Join(e.snaps)); err != nil {
				t.Errorf("%s %s: %v", first.method, first.path, err)
			}
		}
	}
	// An upload is the first action too.
	e := newSnapEnv(t, Options{})
	e.collection(t, "c", 2)
	d := e.create(t, "/collections/c/snapshots")
	b, err := os.ReadFile(filepath.Join(e.snaps, "c", d.Name))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(e.snaps); err != nil {
		t.Fatal(err)
	}
	if rec := upload(t, e.s, "/collections/c/snapshots/upload", "snapshot", b); rec.Code != 200 {
		t.Fatalf("upload: %d %s", rec.Code, rec.Body)
	}
}

// TestRecoverFileLocationAnswers: the file:// answers of Qdrant's own REST
// tests (tests/openapi/test_snapshot.py), with and without wait.
func TestRecoverFileLocationAnswers(t *testing.T) {
	t.Parallel()
	e := newSnapEnv(t, Options{})
	for _, wait := range []string{"", "?wait=false"} {
		for _, tc := range []struct {
			loc  string
			code int
			msg  string
		}{
			{"file:///etc/passwd", 403, "Forbidden: Snapshot file path must be inside the snapshots directory"},
			{"file://./etc/passwd", 400, "Bad request: Invalid snapshot URI, file path must be absolute or on localhost"},
			{"file://" + e.snaps + "/none/a.snapshot", 400, `Bad request: Snapshot file "snapshots/none/a.snapshot" does not exist`},
		} {
			path := "/collections/somethingthatdoesnotexist/snapshots/recover" + wait
			r := call(t, e.s, "PUT", path, `{"location":"`+tc.loc+`"}`)
			if r.code != tc.code || r.err != tc.msg {
				t.Errorf("%s %s: %d %q, want %d %q", tc.loc, wait, r.code, r.err, tc.code, tc.msg)
			}
		}
	}
}

// TestMalformedChecksumAnswer: a malformed checksum, in a recover's body
// or an upload's query, answers 422 naming invalid_sha256_hash, as
// Qdrant's validator does.
func TestMalformedChecksumAnswer(t *testing.T) {
	t.Parallel()
	e := newSnapEnv(t, Options{})
	e.collection(t, "c", 1)
	loc := "file://" + e.snaps + "/c/a.snapshot"
	for _, tc := range []struct{ sum, want string }{
		{"abc", "Validation error: checksum: invalid_sha256_hash: length 3, expected_length 64"},
		{strings.Repeat("g", 64), "Validation error: checksum: invalid_sha256_hash: invalid characters, expected 0-9, a-f, A-F"},
	} {
		for _, path := range []string{"/collections/c/snapshots/recover", "/collections/c/shards/0/snapshots/recover"} {
			r := call(t, e.s, "PUT", path, `{"location":"`+loc+`","checksum":"`+tc.sum+`"}`)
			if r.code != http.StatusUnprocessableEntity || r.err != tc.want {
				t.Errorf("%s checksum %s: %d %q, want 422 %q", path, tc.sum, r.code, r.err, tc.want)
			}
		}
		rec := upload(t, e.s, "/collections/c/snapshots/upload?checksum="+tc.sum, "snapshot", []byte("x"))
		if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), tc.want) {
			t.Errorf("upload checksum %s: %d %s", tc.sum, rec.Code, rec.Body)
		}
	}
}
