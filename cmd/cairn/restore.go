package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/cairn-db/cairn/config"
	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/snapshot"
	"github.com/cairn-db/cairn/vfs"
)

// cleanSnapshotLeftovers removes what a crash during a snapshot or a
// restore can leave: temp folders and files under the temp path, and
// half-written archives under the snapshots path.
func cleanSnapshotLeftovers(cfg *config.Config) error {
	if err := snapshot.RemoveTemps(vfs.OS, cfg.Storage.TempPath); err != nil {
		return fmt.Errorf("clean temp path %s: %w", cfg.Storage.TempPath, err)
	}
	if err := snapshot.RemovePartial(vfs.OS, cfg.Storage.SnapshotsPath); err != nil {
		return fmt.Errorf("clean snapshots path %s: %w", cfg.Storage.SnapshotsPath, err)
	}
	return nil
}

// newSnapshotManager returns the manager the snapshot routes and the
// start-up restores use.
func newSnapshotManager(cfg *config.Config, eng *engine.Storage, log *slog.Logger) *snapshot.Manager {
	return &snapshot.Manager{
		Storage:       eng,
		StoragePath:   cfg.Storage.StoragePath,
		SnapshotsPath: cfg.Storage.SnapshotsPath,
		TempPath:      cfg.Storage.TempPath,
		MaxBytes:      cfg.MaxSnapshotBytes(),
		Logger:        log,
		Compression:   cfg.Storage.SnapshotsConfig.Compression,
	}
}

// restoreAtStartup performs --storage-snapshot, then each --snapshot, in
// order, before the server listens; an s3://bucket/key location is a
// snapshot of the configured snapshots_storage: s3 store. Without --force-snapshot an existing
// target collection stops start-up with an error naming it.
func restoreAtStartup(ctx context.Context, a *serveArgs, m *snapshot.Manager, log *slog.Logger) error {
	if a.storageSnapshot != "" {
		log.Info("restoring full snapshot", "path", a.storageSnapshot, "force", a.forceSnapshot)
		var err error
		if snapshot.IsRemoteLocation(a.storageSnapshot) {
			err = m.RecoverFullRemoteAtStartup(ctx, a.storageSnapshot, a.forceSnapshot)
		} else {
			err = m.RecoverFull(ctx, a.storageSnapshot, snapshot.ReadChecksumFile(a.storageSnapshot), a.forceSnapshot)
		}
		if err != nil {
			return fmt.Errorf("--storage-snapshot %s: %w", a.storageSnapshot, err)
		}
	}
	for _, s := range a.snapshots {
		log.Info("restoring collection snapshot", "path", s.path, "collection", s.name, "force", a.forceSnapshot)
		var err error
		if snapshot.IsRemoteLocation(s.path) {
			err = m.RecoverRemoteAtStartup(ctx, s.path, s.name, a.forceSnapshot)
		} else {
			err = m.RecoverAtStartup(ctx, s.path, s.name, a.forceSnapshot)
		}
		if err != nil {
			return fmt.Errorf("--snapshot %s:%s: %w", s.path, s.name, err)
		}
	}
	return nil
}
