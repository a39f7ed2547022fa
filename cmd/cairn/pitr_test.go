package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cairn-db/cairn/config"
	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/point"
)

// pitrConfig writes a configuration with a local WAL archive under dir.
func pitrConfig(t *testing.T, dir, target string) (string, *config.Config) {
	t.Helper()
	body := "storage:\n  storage_path: " + filepath.Join(dir, "storage") + "\n  snapshots_path: " + filepath.Join(dir, "snapshots") +
		"\nbackup:\n  wal_archive:\n    target: \"" + target + "\"\n    every: 1s\n"
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(config.Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	return path, cfg
}

// after returns a moment strictly after every record written so far (no
// sleep: it spins until the clock moves past now).
func after() time.Time {
	m := time.Now()
	for !time.Now().After(m) {
	}
	return m
}

func upsertOne(t *testing.T, c *engine.Collection, id uint64) {
	t.Helper()
	if _, err := c.Upsert(context.Background(), []engine.PointStruct{{ID: point.NumID(id), Vector: engine.Vectors{"": {1, 2}}}}, true); err != nil {
		t.Fatal(err)
	}
}

// TestRestoreCommand: the server's storage with archiving on writes,
// snapshots and ships; `cairn restore --to` with the same configuration
// then gives exactly the writes up to each moment.
func TestRestoreCommand(t *testing.T) {
	dir := t.TempDir()
	path, cfg := pitrConfig(t, dir, "local")
	log := slog.New(slog.DiscardHandler)
	st, err := openStorage(cfg, log, nil)
	if err != nil {
		t.Fatal(err)
	}
	st.snaps = newSnapshotManager(cfg, st.eng, log)
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
	m2 := after()
	upsertOne(t, c, 3)
	stop := st.wal.start(log) // stop ships once more: every record archived
	stop()
	if err := st.close(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		as   string
		to   time.Time
		want int
	}{{"at1", m1, 1}, {"at2", m2, 2}, {"at3", after(), 3}} {
		var out bytes.Buffer
		err := runRestore(context.Background(), []string{"--config-path", path, "--collection", "c", "--to", tc.to.Format(time.RFC3339Nano), "--as", tc.as},
			nil, &out, io.Discard)
		if err != nil {
			t.Fatalf("restore to %s: %v", tc.to, err)
		}
		eng, err := engine.Open(engine.Options{Dir: cfg.Storage.StoragePath, DisableBackground: true, Logger: log})
		if err != nil {
			t.Fatal(err)
		}
		rc, err := eng.Collection(tc.as)
		if err != nil {
			t.Fatal(err)
		}
		n, err := rc.Count(context.Background(), engine.CountRequest{})
		_ = eng.Close()
		if err != nil || n != tc.want {
			t.Fatalf("restore to %s: %d points (%v), want %d; %s", tc.to, n, err, tc.want, out.String())
		}
	}
}

func TestRestoreCommandRefusals(t *testing.T) {
	dir := t.TempDir()
	path, _ := pitrConfig(t, dir, "")
	err := runRestore(context.Background(), []string{"--config-path", path, "--collection", "c", "--to", "2026-12-07T10:00:00Z"}, nil, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "backup.wal_archive.target is not set") {
		t.Fatalf("restore without an archive: %v", err)
	}
	for _, args := range [][]string{{"--collection", "c"}, {"--to", "2026-12-07T10:00:00Z"}, {"--collection", "c", "--to", "yesterday"}, {"--collection", "c", "--to", "2026-12-07T10:00:00Z", "extra"}} {
		if _, err := parseRestoreArgs(args, io.Discard); !errors.Is(err, errRestoreUsage) {
			t.Errorf("%v: %v, want a usage error", args, err)
		}
	}
	if code := dispatch([]string{"restore", "--collection", "c"}, io.Discard, io.Discard); code != 2 {
		t.Fatalf("bad command line exit code %d, want 2", code)
	}
}

// TestWALArchiveS3NeedsS3Snapshots: the s3 target without S3 snapshot
// storage is refused at start-up with a message, never accepted and
// ignored.
func TestWALArchiveS3NeedsS3Snapshots(t *testing.T) {
	cfg := config.Default()
	cfg.Backup.WALArchive.Target = "s3"
	if _, err := newWALArchiving(&cfg, slog.New(slog.DiscardHandler), nil); !errors.Is(err, errNoS3) {
		t.Fatalf("s3 target: %v", err)
	}
}
