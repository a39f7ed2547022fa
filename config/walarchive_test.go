package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestWALArchiveKeys(t *testing.T) {
	c, err := Load(Options{Path: writeFile(t, "backup:\n  wal_archive:\n    target: local\n    every: 250ms\n"),
		Environ: []string{"CAIRN__BACKUP__WAL_ARCHIVE__TARGET=s3"}})
	if err != nil {
		t.Fatal(err)
	}
	if d, err := c.WALArchiveEvery(); c.Backup.WALArchive.Target != "s3" || err != nil || d != 250*time.Millisecond {
		t.Fatalf("target %q every %v %v", c.Backup.WALArchive.Target, d, err)
	}
	def := Default()
	if d, err := def.WALArchiveEvery(); err != nil || d != time.Second || def.Backup.WALArchive.Target != "" {
		t.Fatalf("default every %v %v", d, err)
	}
}

func TestWALArchiveKeysValidated(t *testing.T) {
	for _, tc := range []struct{ env, key string }{
		{"QDRANT__BACKUP__WAL_ARCHIVE__TARGET=ftp", "backup.wal_archive.target"},
		{"QDRANT__BACKUP__WAL_ARCHIVE__EVERY=soon", "backup.wal_archive.every"},
		{"QDRANT__BACKUP__WAL_ARCHIVE__EVERY=1ms", "backup.wal_archive.every"},
		{"QDRANT__BACKUP__WAL_ARCHIVE__EVERY=2h", "backup.wal_archive.every"},
		{"QDRANT__BACKUP__WAL_ARCHIVE__EVERY=-1s", "backup.wal_archive.every"},
	} {
		_, err := Load(Options{Path: writeFile(t, ""), Environ: []string{tc.env}})
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.key) {
			t.Errorf("%s: %v", tc.env, err)
		}
	}
}
