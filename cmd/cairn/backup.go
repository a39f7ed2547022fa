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
// with the snapshot manager as the target its storage is: s3 when
// storage.snapshots_config.snapshots_storage is s3 (Manager.Remote set),
// local otherwise. A schedule naming the other target is refused at
// start-up by backup.New: the manager serves one snapshot storage, and a
// schedule's snapshots must be the ones the ordinary snapshot routes list.
// verify: true checks each snapshot with the manager's verifier.
func backupOptions(cfg *config.Config, eng *engine.Storage, m *snapshot.Manager, log *slog.Logger, reg prometheus.Registerer) (backup.Options, error) {
	scheds, err := backup.FromConfig(cfg.Backup.Schedules)
	if err != nil {
		return backup.Options{}, err
	}
	o := backup.Options{
		Schedules:  scheds,
		Targets:    map[string]backup.Target{targetOf(m): m},
		VerifyFunc: verifyWith(m),
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

// targetOf names the schedule target m is: s3 when its snapshots are kept
// in an object store, local otherwise.
func targetOf(m *snapshot.Manager) string {
	if m != nil && m.Remote != nil {
		return config.TargetS3
	}
	return config.TargetLocal
}

// verifyWith returns the check of a schedule's verify: true: the snapshot
// just made is verified like `cairn snapshot verify` verifies it, and any
// failed check fails the run (which then deletes nothing).
func verifyWith(m *snapshot.Manager) backup.VerifyFunc {
	return func(ctx context.Context, _ string, collection string, d snapshot.Description) error {
		var (
			r   snapshot.Report
			err error
		)
		if collection == "" {
			r, err = m.VerifyFull(ctx, d.Name)
		} else {
			r, err = m.VerifyCollection(ctx, collection, d.Name)
		}
		if err != nil {
			return fmt.Errorf("verify snapshot %s: %w", d.Name, err)
		}
		if !r.OK {
			if len(r.Failures) > 0 {
				f := r.Failures[0]
				return fmt.Errorf("verify snapshot %s: %d check(s) failed, first: %s: %s", d.Name, len(r.Failures), f.File, f.Reason)
			}
			return fmt.Errorf("verify snapshot %s: a check failed", d.Name)
		}
		return nil
	}
}
