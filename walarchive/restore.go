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
// at or before the requested moment (or none on the timeline the
// collection was on at the moment).
var ErrNoSnapshot = errors.New("no snapshot before the moment")

// RestoreOptions says what RestoreToMoment restores.
type RestoreOptions struct {
	// Storage is the live storage the result replaces or creates a
	// collection in.
	Storage *engine.Storage
	// Archive is the WAL archive target.
	Archive objstore.Store
	// Snapshots is the configured snapshot store (its SnapshotsPath,
	// TempPath, MaxBytes and, with snapshots_storage: s3, Remote): where
	// snapshots are listed and unpacked. Nil means the local snapshots
	// folder of SnapshotsPath, TempPath and MaxBytes.
	Snapshots *snapshot.Manager
	// SnapshotsPath and TempPath are storage.snapshots_path and
	// storage.temp_path; MaxBytes is storage.max_snapshot_size_mb in bytes.
	SnapshotsPath, TempPath string
	MaxBytes                int64
	// Source is the collection whose snapshot and archive are read; As is
	// the collection made (Source when empty: replaced in place). With
	// From set, an empty Source is the collection the snapshot's manifest
	// names (a collection snapshot) or As (a full snapshot, which As is
	// restored from).
	Source, As string
	// From is the snapshot to start from (a collection snapshot, or a full
	// one holding Source); nil chooses the newest of Source's collection
	// snapshots and the full snapshots holding it whose cut is at or
	// before To (snapshot.Candidate.At).
	From *snapshot.Candidate
	// To is the moment: every archived write at or before it is replayed.
	To time.Time
	// Logger receives progress; nil means slog.Default().
	Logger *slog.Logger
}

func (o *RestoreOptions) manager(log *slog.Logger) *snapshot.Manager {
	if o.Snapshots != nil {
		return o.Snapshots
	}
	return &snapshot.Manager{SnapshotsPath: o.SnapshotsPath, TempPath: o.TempPath, MaxBytes: o.MaxBytes, Logger: log}
}

// RestoreToMoment restores o.Source as it was at o.To into o.As: the
// snapshot is unpacked and restored into a scratch storage under the temp
// path, the archive of the snapshot's timeline replayed onto it (Replay: a
// gap or a damaged chunk refused), and only then the result replaces or
// creates o.As through engine.Storage.RestoreCollection, as a new timeline.
// On any error the live storage is untouched.
func RestoreToMoment(ctx context.Context, o RestoreOptions) (Result, error) {
	log := o.Logger
	if log == nil {
		log = slog.Default()
	}
	if o.As == "" {
		o.As = o.Source
	}
	deduce := o.Source == "" && o.From != nil
	if deduce {
		o.Source = o.As
	}
	for _, n := range []string{o.Source, o.As} {
		if err := snapshot.CheckRecoverName(n); err != nil {
			return Result{}, err
		}
	}
	m := o.manager(log)
	u, from, err := unpackSnapshot(ctx, m, &o)
	if err != nil {
		return Result{}, err
	}
	defer u.Close()
	if deduce && u.Manifest.Kind == snapshot.KindCollection && u.Manifest.Collection != "" {
		if err := snapshot.CheckRecoverName(u.Manifest.Collection); err != nil {
			return Result{}, fmt.Errorf("restore to a moment: snapshot %s: %w", from.Name, err)
		}
		o.Source = u.Manifest.Collection // the archive of the collection snapshotted
	}
	tl, err := engine.ReadTimeline(u.Dir)
	if err != nil {
		return Result{}, fmt.Errorf("restore to a moment: snapshot %s: %w", from.Name, err)
	}
	if o.From != nil && u.Manifest.CreatedAt.After(o.To) {
		// created_at is taken before the cut: the snapshot surely holds
		// a later state than the moment's.
		return Result{}, fmt.Errorf("%w: snapshot %s was cut at %s, after the moment %s",
			ErrNoSnapshot, from.Name, u.Manifest.CreatedAt.Format(time.RFC3339), o.To.Format(time.RFC3339Nano))
	}
	if o.From == nil {
		if err := checkTimeline(ctx, o.Archive, o.Source, from, tl, o.To); err != nil {
			return Result{}, err
		}
	}
	if err := os.MkdirAll(o.TempPath, 0o755); err != nil {
		return Result{}, fmt.Errorf("restore to a moment: %w", err)
	}
	scratch, err := os.MkdirTemp(o.TempPath, "pitr-")
	if err != nil {
		return Result{}, fmt.Errorf("restore to a moment: %w", err)
	}
	defer func() { _ = os.RemoveAll(scratch) }()
	res, err := replayInScratch(ctx, o, u, tl.ID, scratch, log)
	if err != nil {
		return res, err
	}
	if err := o.Storage.RestoreCollection(o.As, filepath.Join(scratch, "collections", o.As), nil); err != nil {
		return res, fmt.Errorf("restore to a moment: install %s: %w", o.As, err)
	}
	log.Info("restored collection to a moment", "collection", o.As, "source", o.Source, "snapshot", from.Name, "timeline", tl.String(),
		"to", o.To.Format(time.RFC3339Nano), "records_replayed", res.Applied, "last_lsn", res.LastLSN)
	return res, nil
}

// unpackSnapshot unpacks o.From, or else the newest candidate completed at
// or before o.To that holds o.Source.
func unpackSnapshot(ctx context.Context, m *snapshot.Manager, o *RestoreOptions) (*snapshot.Unpacked, snapshot.Candidate, error) {
	if o.From != nil {
		u, err := m.UnpackFor(ctx, o.Source, *o.From)
		if err != nil {
			return nil, snapshot.Candidate{}, fmt.Errorf("restore to a moment: %w", err)
		}
		return u, *o.From, nil
	}
	cands, err := m.Candidates(ctx, o.Source)
	if err != nil {
		return nil, snapshot.Candidate{}, fmt.Errorf("restore to a moment: %w", err)
	}
	for _, c := range cands {
		if c.At.After(o.To) {
			continue
		}
		u, err := m.UnpackFor(ctx, o.Source, c)
		if c.Kind == snapshot.KindFull && errors.Is(err, snapshot.ErrNotFound) {
			continue // a full snapshot without the collection
		}
		if err != nil {
			return nil, c, fmt.Errorf("restore to a moment: snapshot %s: %w", c.Name, err)
		}
		return u, c, nil
	}
	return nil, snapshot.Candidate{}, fmt.Errorf("%w: %s has no collection snapshot, nor a full snapshot holding it, completed at or before %s",
		ErrNoSnapshot, o.Source, o.To.Format(time.RFC3339Nano))
}

// checkTimeline refuses a snapshot whose timeline is not the one the
// collection was on at the moment: when a later timeline of the same name
// (a recreate or a restore) began at or before it, the newest snapshot
// before the moment was cut in an earlier life, and replaying that life's
// archive would not give the collection as it was at the moment.
func checkTimeline(ctx context.Context, store objstore.Store, source string, from snapshot.Candidate, tl engine.Timeline, to time.Time) error {
	ws, err := Timelines(ctx, store, source)
	if err != nil {
		return err
	}
	for _, w := range ws {
		id, _ := engine.ParseTimeline(w.Timeline)
		if id == tl.ID || w.Began.After(to) || (tl.ID != 0 && !w.Began.After(tl.Began)) {
			continue
		}
		return fmt.Errorf("%w: %s began timeline %s at %s, before the moment %s, and no snapshot of it was completed by then (the newest, %s, was cut on timeline %s)",
			ErrNoSnapshot, source, w.Timeline, w.Began.Format(time.RFC3339Nano), to.Format(time.RFC3339Nano), from.Name, tl.String())
	}
	return nil
}

// replayInScratch restores the unpacked snapshot into a storage at scratch
// and replays the archive of its timeline onto it.
func replayInScratch(ctx context.Context, o RestoreOptions, u *snapshot.Unpacked, timeline uint64, scratch string, log *slog.Logger) (res Result, err error) {
	st, err := engine.Open(engine.Options{Dir: scratch, Logger: log, DisableBackground: true})
	if err != nil {
		return Result{}, fmt.Errorf("restore to a moment: %w", err)
	}
	defer func() {
		if cerr := st.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("restore to a moment: close scratch storage: %w", cerr)
		}
	}()
	if err := st.RestoreCollection(o.As, u.Dir, u.Sums); err != nil {
		if errors.Is(err, engine.ErrVerify) {
			err = fmt.Errorf("%w: %w", snapshot.ErrCorrupt, err)
		}
		return Result{}, fmt.Errorf("restore to a moment: %w", err)
	}
	c, err := st.Collection(o.As)
	if err != nil {
		return Result{}, err
	}
	return Replay(ctx, o.Archive, c, o.Source, timeline, o.To)
}
