package main

import (
	"fmt"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cairn-db/cairn/backup"
	"github.com/cairn-db/cairn/config"
	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/objstore"
	"github.com/cairn-db/cairn/snapshot"
)

// storage is the engine the server runs on.
type storage struct {
	eng *engine.Storage
	// snaps serves the snapshot routes and the start-up restores.
	snaps *snapshot.Manager
	// wal is the WAL archiver, nil when backup.wal_archive is off.
	wal *walArchiving
	// backup runs backup.schedules; nil until startBackups.
	backup *backup.Scheduler
	// reg is the Prometheus registry /metrics exposes: the server's and
	// the backup scheduler's metrics.
	reg *prometheus.Registry
}

// openStorage opens (or creates) the storage folder.
// With backup.wal_archive on, the archiver gates the engine's WAL
// truncation (see walarchive) and is attached to the storage; snaps is the
// S3 snapshot store serve built (nil: none), which an s3 archive shares.
func openStorage(cfg *config.Config, log *slog.Logger, snaps objstore.Store) (*storage, error) {
	wa, err := newWALArchiving(cfg, log, snaps)
	if err != nil {
		return nil, err
	}
	opts := engineOptions(cfg, log)
	if wa != nil {
		opts.ArchivedLSN = wa.arch.ArchivedLSN
	}
	eng, err := engine.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("open storage %s: %w", cfg.Storage.StoragePath, err)
	}
	if wa != nil {
		wa.arch.Attach(eng)
		log.Info("wal archiving on", "target", wa.arch.Store.String(), "every", wa.every)
	}
	log.Info("storage open", "path", cfg.Storage.StoragePath, "collections", len(eng.ListCollections()))
	return &storage{eng: eng, wal: wa, reg: prometheus.NewRegistry()}, nil
}

// close stops the backup schedules (aborting a run in progress), then
// flushes and closes the storage once no request uses it.
func (s *storage) close() error {
	if s.backup != nil {
		s.backup.Close()
	}
	return s.eng.Close()
}
