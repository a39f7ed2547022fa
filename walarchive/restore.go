package walarchive

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/objstore"
	"github.com/cairn-db/cairn/snapshot"
)

// ErrNoSnapshot reports that no snapshot of the collection was completed
// at or before the requested moment.
var ErrNoSnapshot = errors.New("no snapshot before the moment")

// RestoreOptions says what RestoreToMoment restores.
type RestoreOptions struct {
	// Storage is the live storage the result replaces or creates a
	// collection in.
	Storage *engine.Storage
	// Archive is the WAL archive target.
	Archive objstore.Store
	// SnapshotsPath and TempPath are storage.snapshots_path and
	// storage.temp_path; MaxBytes is storage.max_snapshot_size_mb in bytes.
	SnapshotsPath, TempPath string
	MaxBytes                int64
	// Source is the collection whose snapshot and archive are read; As is
	// the collection made (Source when empty: replaced in place).
	Source, As string
	// Snapshot is the snapshot archive's path; empty chooses the newest
	// snapshot of Source in SnapshotsPath completed at or before To.
	Snapshot string
	// To is the moment: every archived write at or before it is replayed.
	To time.Time
	// Logger receives progress; nil means slog.Default().
	Logger *slog.Logger
}

// NewestSnapshotBefore returns the path of the newest snapshot of
// collection in snapshotsPath whose file was completed at or before to
// (its modification time, to the nanosecond: every write it holds is
// older). It fails with ErrNoSnapshot when there is none.
func NewestSnapshotBefore(snapshotsPath, collection string, to time.Time) (string, error) {
	dir, err := snapshot.CollectionDir(snapshotsPath, collection)
	if err != nil {
		return "", err
	}
	descs, err := snapshot.List(dir)
	if err != nil {
		return "", err
	}
	var best string
	var bestAt time.Time
	for _, d := range descs {
		p := filepath.Join(dir, d.Name)
		st, err := os.Stat(p)
		if err != nil {
			continue // deleted while listing
		}
		if at := st.ModTime(); !at.After(to) && (best == "" || at.After(bestAt)) {
			best, bestAt = p, at
		}
	}
	if best == "" {
		return "", fmt.Errorf("%w: %s has no snapshot in %s completed at or before %s", ErrNoSnapshot, collection, dir, to.Format(time.RFC3339Nano))
	}
	return best, nil
}

// RestoreToMoment restores o.Source as it was at o.To into o.As: the
// snapshot is restored into a scratch storage under the temp path, the
// archive replayed onto it (Replay: a gap or a damaged chunk refused),
// and only then the result replaces or creates o.As through
// engine.Storage.RestoreCollection. On any error the live storage is
// untouched.
func RestoreToMoment(ctx context.Context, o RestoreOptions) (Result, error) {
	log := o.Logger
	if log == nil {
		log = slog.Default()
	}
	if o.As == "" {
		o.As = o.Source
	}
	for _, n := range []string{o.Source, o.As} {
		if err := snapshot.CheckRecoverName(n); err != nil {
			return Result{}, err
		}
	}
	if o.Snapshot == "" {
		p, err := NewestSnapshotBefore(o.SnapshotsPath, o.Source, o.To)
		if err != nil {
			return Result{}, err
		}
		o.Snapshot = p
	}
	if err := os.MkdirAll(o.TempPath, 0o755); err != nil {
		return Result{}, fmt.Errorf("restore to a moment: %w", err)
	}
	scratch, err := os.MkdirTemp(o.TempPath, "pitr-")
	if err != nil {
		return Result{}, fmt.Errorf("restore to a moment: %w", err)
	}
	defer func() { _ = os.RemoveAll(scratch) }()
	res, err := replayInScratch(ctx, o, scratch, log)
	if err != nil {
		return res, err
	}
	if err := o.Storage.RestoreCollection(o.As, filepath.Join(scratch, "collections", o.As), nil); err != nil {
		return res, fmt.Errorf("restore to a moment: install %s: %w", o.As, err)
	}
	log.Info("restored collection to a moment", "collection", o.As, "source", o.Source, "snapshot", filepath.Base(o.Snapshot),
		"to", o.To.Format(time.RFC3339Nano), "records_replayed", res.Applied, "last_lsn", res.LastLSN)
	return res, nil
}

// replayInScratch restores the snapshot into a storage at scratch and
// replays the archive onto it.
func replayInScratch(ctx context.Context, o RestoreOptions, scratch string, log *slog.Logger) (res Result, err error) {
	st, err := engine.Open(engine.Options{Dir: scratch, Logger: log, DisableBackground: true})
	if err != nil {
		return Result{}, fmt.Errorf("restore to a moment: %w", err)
	}
	defer func() {
		if cerr := st.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("restore to a moment: close scratch storage: %w", cerr)
		}
	}()
	m := &snapshot.Manager{Storage: st, StoragePath: scratch, SnapshotsPath: o.SnapshotsPath,
		TempPath: filepath.Join(scratch, "tmp"), MaxBytes: o.MaxBytes, Logger: log}
	if err := m.Recover(ctx, o.As, o.Snapshot, snapshot.ReadChecksumFile(o.Snapshot), snapshot.PrioritySnapshot); err != nil {
		return Result{}, fmt.Errorf("restore to a moment: %w", err)
	}
	c, err := st.Collection(o.As)
	if err != nil {
		return Result{}, err
	}
	return Replay(ctx, o.Archive, c, o.Source, o.To)
}
