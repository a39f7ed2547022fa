package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cairn-db/cairn/backup"
	"github.com/cairn-db/cairn/config"
	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/snapshot"
)

// backupOptions returns the backup scheduler's options: backup.schedules,
// with the snapshot manager as the local target. The s3 target exists
// only when the manager stores snapshots in S3 (not in this build), so a
// schedule with target: s3 is refused at start-up by backup.New.
func backupOptions(cfg *config.Config, eng *engine.Storage, m *snapshot.Manager, log *slog.Logger, reg prometheus.Registerer) (backup.Options, error) {
	scheds, err := backup.FromConfig(cfg.Backup.Schedules)
	if err != nil {
		return backup.Options{}, err
	}
	o := backup.Options{
		Schedules:  scheds,
		Targets:    map[string]backup.Target{config.TargetLocal: m},
		StatePath:  filepath.Join(cfg.Storage.SnapshotsPath, backup.StateFile),
		Logger:     log,
		Registerer: reg,
	}
	if eng != nil {
		o.Collections = eng.ListCollections
	}
	return o, nil
}

// startBackups builds the scheduler of backup.schedules and starts it on
// ctx (cancelled at shutdown, which aborts a run in progress).
func startBackups(ctx context.Context, cfg *config.Config, st *storage, log *slog.Logger) error {
	o, err := backupOptions(cfg, st.eng, st.snaps, log, st.reg)
	if err != nil {
		return err
	}
	s, err := backup.New(o)
	if err != nil {
		return fmt.Errorf("start backup schedules: %w", err)
	}
	s.Start(ctx)
	st.backup = s
	if len(o.Schedules) > 0 {
		log.Info("backup schedules running", "schedules", len(o.Schedules), "state", o.StatePath)
	}
	return nil
}
