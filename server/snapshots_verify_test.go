package server

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// verifyResult is the part of a verify answer the tests read.
type verifyResult struct {
	OK            bool   `json:"ok"`
	Kind          string `json:"kind"`
	Files         int    `json:"files"`
	EngineChecked bool   `json:"engine_checked"`
	WALRecords    int64  `json:"wal_records"`
	Failures      []struct {
		File   string `json:"file"`
		Reason string `json:"reason"`
	} `json:"failures"`
}

// TestVerifySnapshotRoutes: the collection, shard and full verify routes
// answer the report in the envelope (ok true for good archives, ok false
// with the failure for a damaged one, still 200), take the read-only key,
// and answer 404 for an unknown snapshot, collection or shard.
func TestVerifySnapshotRoutes(t *testing.T) {
	t.Parallel()
	e := newSnapEnv(t, Options{APIKey: "full", ReadOnlyAPIKey: "ro"})
	e.s.apiKey, e.s.readOnlyKey = "", "" // set up without keys, then check the read-only key below
	e.collection(t, "c", 20)
	col := e.create(t, "/collections/c/snapshots")
	sh := e.create(t, "/collections/c/shards/0/snapshots")
	full := e.create(t, "/snapshots")
	for path, kind := range map[string]string{
		"/collections/c/snapshots/" + col.Name + "/verify":         "collection",
		"/collections/c/shards/0/snapshots/" + sh.Name + "/verify": "shard",
		"/snapshots/" + full.Name + "/verify":                      "full",
	} {
		var r verifyResult
		if err := json.Unmarshal(mustOK(t, e.s, "POST", path, ""), &r); err != nil {
			t.Fatal(err)
		}
		if !r.OK || r.Kind != kind || r.Files == 0 || !r.EngineChecked || r.WALRecords == 0 || r.Failures == nil || len(r.Failures) != 0 {
			t.Fatalf("%s: %+v", path, r)
		}
	}
	mustFail(t, e.s, "POST", "/collections/c/snapshots/nope.snapshot/verify", "", 404)
	mustFail(t, e.s, "POST", "/collections/nope/snapshots/"+col.Name+"/verify", "", 404, "nope")
	mustFail(t, e.s, "POST", "/collections/c/shards/5/snapshots/"+sh.Name+"/verify", "", 404)
	mustFail(t, e.s, "POST", "/snapshots/nope.snapshot/verify", "", 404)

	// A damaged archive: 200, ok false, the file named.
	p := filepath.Join(e.snaps, "c", col.Name)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	b = b[:len(b)-2048] // the manifest and the tar's end cut off
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	var r verifyResult
	if err := json.Unmarshal(mustOK(t, e.s, "POST", "/collections/c/snapshots/"+col.Name+"/verify", ""), &r); err != nil {
		t.Fatal(err)
	}
	if r.OK || len(r.Failures) == 0 {
		t.Fatalf("damaged: %+v", r)
	}

	e.s.apiKey, e.s.readOnlyKey = "full", "ro"
	rec := do(t, e.s, "POST", "/snapshots/"+full.Name+"/verify", "", "api-key", "ro")
	if rec.Code != 200 {
		t.Fatalf("read-only key: %d %s", rec.Code, rec.Body)
	}
	if rec := do(t, e.s, "POST", "/collections/c/snapshots", "", "api-key", "ro"); rec.Code != 403 {
		t.Fatalf("read-only key creating: %d", rec.Code)
	}
}
