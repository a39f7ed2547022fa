package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/cairn-db/cairn/config"
	"github.com/cairn-db/cairn/objstore"
	"github.com/cairn-db/cairn/walarchive"
)

// localArchiveDir is the folder, under storage.snapshots_path, of the
// "local" WAL archive target (a dot folder: no collection has that name).
const localArchiveDir = ".wal-archive"

// errNoS3 refuses the s3 target when snapshots are not kept in S3: the
// archive goes to the bucket storage.snapshots_config.s3_config names.
var errNoS3 = errors.New("backup.wal_archive.target s3 needs storage.snapshots_config.snapshots_storage: s3 (the archive is kept under wal/ in that bucket)")

// walArchiveStore opens the archive target backup.wal_archive.target
// names, or returns nil when archiving is off: a folder store under the
// snapshots path for local, the snapshots' S3 bucket for s3 (its chunks
// live under wal/, beside the snapshots' snapshots/, objects/ and leases/,
// which the remote sweep alone collects). snaps, when not nil, is that
// bucket's store already built (serve's); nil builds it.
func walArchiveStore(cfg *config.Config, snaps objstore.Store) (objstore.Store, error) {
	switch cfg.Backup.WALArchive.Target {
	case "":
		return nil, nil
	case config.TargetLocal:
		return objstore.NewLocal(filepath.Join(cfg.Storage.SnapshotsPath, localArchiveDir))
	case config.TargetS3:
		if cfg.Storage.SnapshotsConfig.SnapshotsStorage != config.SnapshotsS3 {
			return nil, errNoS3
		}
		if snaps != nil {
			return snaps, nil
		}
		return configuredS3Store(cfg)
	}
	return nil, fmt.Errorf("backup.wal_archive.target %q: %w", cfg.Backup.WALArchive.Target, config.ErrInvalid)
}

// walArchiving is the archiver serve runs and its interval.
type walArchiving struct {
	arch  *walarchive.Archiver
	every time.Duration
}

// newWALArchiving builds the archiver of the configuration, or nil when
// archiving is off.
func newWALArchiving(cfg *config.Config, log *slog.Logger, snaps objstore.Store) (*walArchiving, error) {
	store, err := walArchiveStore(cfg, snaps)
	if err != nil || store == nil {
		return nil, err
	}
	every, err := cfg.WALArchiveEvery()
	if err != nil {
		return nil, err
	}
	return &walArchiving{arch: &walarchive.Archiver{Store: store, Logger: log}, every: every}, nil
}

// start runs the archiver every interval until the returned stop is
// called; stop waits for the running round, then ships once more so that
// a clean shutdown leaves nothing durable unarchived.
func (w *walArchiving) start(log *slog.Logger) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	t := time.NewTicker(walarchive.RoundInterval(w.every))
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.arch.Run(ctx, t.C)
	}()
	return func() {
		cancel()
		t.Stop()
		<-done
		fctx, fcancel := context.WithTimeout(context.Background(), shutdownGrace)
		defer fcancel()
		if err := w.arch.ShipOnce(fctx); err != nil {
			log.Warn("wal archive: last round at shutdown failed", "err", err)
		}
	}
}
