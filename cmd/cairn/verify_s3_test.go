package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/objstore"
	"github.com/cairn-db/cairn/objstore/s3test"
	"github.com/cairn-db/cairn/snapshot"
)

// s3Env is the environment of a cairn whose snapshots_storage is s3: the
// bucket of srv, keys under prefix.
func s3Env(srv *s3test.Server, bucket, prefix string) []string {
	const p = "QDRANT__STORAGE__SNAPSHOTS_CONFIG__"
	return []string{p + "SNAPSHOTS_STORAGE=s3", p + "S3_CONFIG__BUCKET=" + bucket, p + "S3_CONFIG__ENDPOINT_URL=" + srv.Endpoint,
		p + "S3_CONFIG__PREFIX=" + prefix, "AWS_ACCESS_KEY_ID=" + s3test.AccessKey, "AWS_SECRET_ACCESS_KEY=" + s3test.SecretKey}
}

// makeRemoteSnapshots creates collection c (3 points, a sealed segment)
// in a storage under dir, and a snapshot of it and a full snapshot in
// store; it returns their names.
func makeRemoteSnapshots(t *testing.T, dir string, store objstore.Store) (col, full string) {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	st, err := engine.Open(engine.Options{Dir: filepath.Join(dir, "src"), DisableBackground: true, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var cc engine.CreateCollection
	if err := json.Unmarshal([]byte(`{"vectors":{"size":2,"distance":"Cosine"}}`), &cc); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateCollection("c", cc); err != nil {
		t.Fatal(err)
	}
	var pts []engine.PointStruct
	if err := json.Unmarshal([]byte(`[{"id":1,"vector":[1,0]},{"id":2,"vector":[0,1]},{"id":3,"vector":[1,1]}]`), &pts); err != nil {
		t.Fatal(err)
	}
	c, err := st.Collection("c")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Upsert(context.Background(), pts, true); err != nil {
		t.Fatal(err)
	}
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	m := &snapshot.Manager{Storage: st, SnapshotsPath: filepath.Join(dir, "made"), TempPath: filepath.Join(dir, "src", "tmp"),
		Logger: log, NodeID: 1, Remote: store}
	d, err := m.CreateCollection(context.Background(), "c")
	if err != nil {
		t.Fatal(err)
	}
	f, err := m.CreateFull(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return d.Name, f.Name
}

// TestSnapshotVerifyS3: cairn snapshot verify s3://BUCKET/KEY verifies a
// snapshot of the configured S3 store on a real S3 server (exit 0), and
// refuses another bucket, a key outside the prefix or naming no snapshot,
// and s3:// without snapshots_storage: s3 as usage errors (exit 2).
func TestSnapshotVerifyS3(t *testing.T) {
	srv := s3test.Start(t)
	bucket := srv.Bucket(t)
	store, err := objstore.NewS3(objstore.S3Config{Endpoint: srv.Endpoint, Bucket: bucket, Prefix: "node1",
		AccessKey: s3test.AccessKey, SecretKey: s3test.SecretKey})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	name, _ := makeRemoteSnapshots(t, dir, store)
	local := []string{"QDRANT__STORAGE__TEMP_PATH=" + filepath.Join(dir, "tmp"),
		"QDRANT__STORAGE__STORAGE_PATH=" + filepath.Join(dir, "storage"),
		"QDRANT__STORAGE__SNAPSHOTS_PATH=" + filepath.Join(dir, "snapshots")}
	env := append(s3Env(srv, bucket, "node1"), local...)
	run := func(env []string, args ...string) (int, string, string) {
		var out, errw bytes.Buffer
		code := runSnapshot(context.Background(), args, env, &out, &errw)
		return code, out.String(), errw.String()
	}
	loc := "s3://" + bucket + "/node1/snapshots/c/" + name
	if code, out, errs := run(env, "verify", loc); code != 0 || !strings.Contains(out, ": OK") || !strings.Contains(out, "WAL records") {
		t.Fatalf("%s: exit %d\n%s%s", loc, code, out, errs)
	}
	for _, tt := range []struct {
		env       []string
		loc, want string
	}{
		{env, "s3://other-bucket/node1/snapshots/c/" + name, "not the configured bucket " + bucket},
		{env, "s3://" + bucket + "/elsewhere/snapshots/c/" + name, "not under the configured prefix node1"},
		{env, "s3://" + bucket + "/node1/objects/ab/cd", "names no snapshot"},
		{local, loc, "snapshots_storage: s3"},
	} {
		if code, _, errs := run(tt.env, "verify", tt.loc); code != 2 || !strings.Contains(errs, tt.want) {
			t.Errorf("%s: exit %d, want 2 and %q: %s", tt.loc, code, tt.want, errs)
		}
	}
	if code, _, errs := run(env, "verify", "s3://"+bucket+"/node1/snapshots/c/none.snapshot"); code != 1 || !strings.Contains(errs, "not found") {
		t.Fatalf("missing snapshot: exit %d %s", code, errs)
	}
}
