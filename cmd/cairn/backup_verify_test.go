package main

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cairn-db/cairn/config"
	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/snapshot"
)

// TestBackupVerifyWith: verify: true checks the snapshot a schedule has
// just made with the manager's verifier: a good snapshot passes, a
// snapshot with a flipped byte fails the run, naming the check.
func TestBackupVerifyWith(t *testing.T) {
	dir := t.TempDir()
	col, _ := makeSnapshots(t, dir)
	snaps := filepath.Join(dir, "snaps")
	cdir, err := snapshot.CollectionDir(snaps, "c")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(cdir, 0o755); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(col)
	if err != nil {
		t.Fatal(err)
	}
	name := filepath.Base(col)
	if err := os.WriteFile(filepath.Join(cdir, name), data, 0o644); err != nil {
		t.Fatal(err)
	}
	sum, err := os.ReadFile(col + ".checksum")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cdir, name+".checksum"), sum, 0o644); err != nil {
		t.Fatal(err)
	}
	eng, err := engine.Open(engine.Options{Dir: filepath.Join(dir, "src"), DisableBackground: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	m := &snapshot.Manager{Storage: eng, SnapshotsPath: snaps, TempPath: filepath.Join(dir, "tmp")}
	if got := targetOf(m); got != config.TargetLocal {
		t.Fatalf("target of a local manager: %q", got)
	}
	verify := verifyWith(m)
	d := snapshot.Description{Name: name}
	if err := verify(context.Background(), config.TargetLocal, "c", d); err != nil {
		t.Fatalf("good snapshot: %v", err)
	}
	data[len(data)/2] ^= 0xff // the archive's SHA-256 no longer matches its .checksum
	if err := os.WriteFile(filepath.Join(cdir, name), data, 0o644); err != nil {
		t.Fatal(err)
	}
	err = verify(context.Background(), config.TargetLocal, "c", d)
	if err == nil || !strings.Contains(err.Error(), "failed") {
		t.Fatalf("corrupted snapshot: %v", err)
	}
}
