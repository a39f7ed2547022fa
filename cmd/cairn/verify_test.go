package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSnapshotVerifyCommand: cairn snapshot verify exits 0 and prints the
// report for a good archive (path, file:// and http:// locations, --json),
// 1 for a damaged one, naming the failure, and 2 for a bad command line or
// an s3:// location in a build without an object store.
func TestSnapshotVerifyCommand(t *testing.T) {
	dir := t.TempDir()
	col, full := makeSnapshots(t, dir)
	env := []string{"QDRANT__STORAGE__TEMP_PATH=" + filepath.Join(dir, "tmp"),
		"QDRANT__STORAGE__STORAGE_PATH=" + filepath.Join(dir, "storage"),
		"QDRANT__STORAGE__SNAPSHOTS_PATH=" + filepath.Join(dir, "snapshots")}
	run := func(args ...string) (int, string, string) {
		var out, errw bytes.Buffer
		code := runSnapshot(context.Background(), args, env, &out, &errw)
		return code, out.String(), errw.String()
	}
	for _, loc := range []string{col, full, "file://" + col} {
		code, out, errs := run("verify", loc)
		if code != 0 || !strings.Contains(out, ": OK") || !strings.Contains(out, "compared with its checksum file") || !strings.Contains(out, "WAL records") {
			t.Fatalf("%s: exit %d\n%s%s", loc, code, out, errs)
		}
	}
	code, out, _ := run("verify", "--json", col)
	var rep struct {
		OK       bool  `json:"ok"`
		Segments int   `json:"segments"`
		Failures []any `json:"failures"`
	}
	if err := json.Unmarshal([]byte(out), &rep); code != 0 || err != nil || !rep.OK || rep.Segments == 0 {
		t.Fatalf("--json: exit %d, %v: %s", code, err, out)
	}
	b, err := os.ReadFile(col)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(b) }))
	defer srv.Close()
	if code, out, errs := run("verify", srv.URL+"/c.snapshot"); code != 0 || !strings.Contains(out, "not compared") {
		t.Fatalf("http: exit %d\n%s%s", code, out, errs)
	}

	bad := filepath.Join(dir, "bad.snapshot")
	if err := os.WriteFile(bad, b[:len(b)-2048], 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := run("verify", bad); code != 1 || !strings.Contains(out, "FAILED") {
		t.Fatalf("damaged: exit %d\n%s", code, out)
	}
	if code, _, errs := run("verify", filepath.Join(dir, "none.snapshot")); code != 1 || !strings.Contains(errs, "Not found: Snapshot none.snapshot") {
		t.Fatalf("missing: exit %d %s", code, errs)
	}
	for _, args := range [][]string{{}, {"check", col}, {"verify"}, {"verify", col, col}, {"verify", "--nope", col},
		{"verify", "s3://bucket/key.snapshot"}, {"verify", "s3://bucket"}, {"verify", "ftp://h/x"}} {
		if code, _, errs := run(args...); code != 2 {
			t.Fatalf("%q: exit %d, want 2: %s", args, code, errs)
		}
	}
	if left, _ := os.ReadDir(filepath.Join(dir, "tmp")); len(left) != 0 {
		t.Fatalf("temp left: %v", left)
	}
}
