package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cairn-db/cairn/config"
	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/objstore/s3test"
	"github.com/cairn-db/cairn/point"
)

// TestRestoreCommandS3: with snapshots_storage: s3 and the s3 archive
// target, `cairn restore --to` picks the newest remote snapshot, collection
// or full, cut before each moment (a full snapshot newer than the
// collection's own snapshot included), fetches it from the bucket and
// replays the archive: exactly the writes up to each moment.
func TestRestoreCommandS3(t *testing.T) {
	srv := s3test.Start(t)
	bucket := srv.Bucket(t)
	dir := t.TempDir()
	body := "storage:\n  storage_path: " + filepath.Join(dir, "storage") + "\n  snapshots_path: " + filepath.Join(dir, "snapshots") +
		"\n  snapshots_config:\n    snapshots_storage: s3\n    s3_config:\n      bucket: " + bucket + "\n      endpoint_url: " + srv.Endpoint +
		"\nbackup:\n  wal_archive:\n    target: s3\n    every: 1s\n"
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	environ := []string{"AWS_ACCESS_KEY_ID=" + s3test.AccessKey, "AWS_SECRET_ACCESS_KEY=" + s3test.SecretKey}
	cfg, err := config.Load(config.Options{Path: path, Environ: environ})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	remote, err := configuredS3Store(cfg)
	if err != nil {
		t.Fatal(err)
	}
	st, err := openStorage(cfg, log, remote)
	if err != nil {
		t.Fatal(err)
	}
	st.snaps = newSnapshotManager(cfg, st.eng, log)
	st.snaps.Remote = remote
	if err := st.eng.CreateCollection("c", engine.CreateCollection{Vectors: engine.VectorsConfig{"": {Size: 2, Distance: point.Dot}}}); err != nil {
		t.Fatal(err)
	}
	c, _ := st.eng.Collection("c")
	upsertOne(t, c, 1)
	if _, err := st.snaps.CreateCollection(context.Background(), "c"); err != nil {
		t.Fatal(err)
	}
	m1 := after()
	upsertOne(t, c, 2)
	if _, err := st.snaps.CreateFull(context.Background()); err != nil {
		t.Fatal(err)
	}
	m2 := after()
	upsertOne(t, c, 3)
	stop := st.wal.start(log) // stop ships once more: every record archived
	stop()
	if err := st.close(); err != nil {
		t.Fatal(err)
	}
	before := time.Now().Add(-time.Hour)
	for _, tc := range []struct {
		as   string
		to   time.Time
		want int
	}{{"at1", m1, 1}, {"at2", m2, 2}, {"at3", after(), 3}} {
		var out bytes.Buffer
		err := runRestore(context.Background(), []string{"--config-path", path, "--collection", "c", "--to", tc.to.Format(time.RFC3339Nano), "--as", tc.as},
			environ, &out, io.Discard)
		if err != nil {
			t.Fatalf("restore to %s: %v", tc.to, err)
		}
		if n := countIn(t, cfg, tc.as); n != tc.want {
			t.Fatalf("restore to %s: %d points, want %d; %s", tc.to, n, tc.want, out.String())
		}
	}
	err = runRestore(context.Background(), []string{"--config-path", path, "--collection", "c", "--to", before.Format(time.RFC3339Nano), "--as", "early"},
		environ, io.Discard, io.Discard)
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte(before.Format(time.RFC3339Nano))) {
		t.Fatalf("restore before every snapshot: %v, want an error naming the moment", err)
	}
}

// countIn counts the points of collection name in cfg's storage.
func countIn(t *testing.T, cfg *config.Config, name string) int {
	t.Helper()
	eng, err := engine.Open(engine.Options{Dir: cfg.Storage.StoragePath, DisableBackground: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	rc, err := eng.Collection(name)
	if err != nil {
		t.Fatal(err)
	}
	n, err := rc.Count(context.Background(), engine.CountRequest{})
	if err != nil {
		t.Fatal(err)
	}
	return n
}
