package main

import (
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/cairn-db/cairn/config"
	"github.com/cairn-db/cairn/snapshot"
)

// TestSnapshotSizeLimitWired: storage.max_snapshot_size_mb, from the
// environment, reaches the snapshot manager, which then refuses a larger
// archive.
func TestSnapshotSizeLimitWired(t *testing.T) {
	dir := t.TempDir()
	col, _ := makeSnapshots(t, dir)
	cfgPath := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfgPath, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(config.Options{Path: cfgPath, Environ: []string{
		"CAIRN__STORAGE__STORAGE_PATH=" + filepath.Join(dir, "s"),
		"QDRANT__STORAGE__MAX_SNAPSHOT_SIZE_MB=1",
	}})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := openStorage(cfg, log, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.close()
	m := newSnapshotManager(cfg, st.eng, log)
	if m.MaxBytes != 1<<20 {
		t.Fatalf("MaxBytes %d, want %d", m.MaxBytes, 1<<20)
	}
	m.MaxBytes = 100 // below the test archive's size
	if err := m.Recover(t.Context(), "x", col, "", ""); !errors.Is(err, snapshot.ErrTooLarge) {
		t.Fatalf("recover over the limit: %v", err)
	}
}
