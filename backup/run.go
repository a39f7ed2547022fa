package backup

import (
	"context"
	"errors"
	"fmt"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/snapshot"
)

// execute makes one run of sc (the caller has claimed it): a snapshot of
// each collection (or one full snapshot), each recorded in the state file
// as soon as it exists, then, only when every snapshot succeeded, the
// retention. attempt is the scheduled attempt's number, 0 for a manual
// run.
func (s *Scheduler) execute(ctx context.Context, sc *sched, manual bool, attempt int) RunResult {
	res := RunResult{Start: s.o.Clock.Now().UTC(), Snapshots: []string{}, Deleted: []string{}}
	tgt := s.o.Targets[sc.Target]
	var errs []error
	var written int64
	series := []string{FullSeries}
	if !sc.Full {
		series = s.collections(sc)
	}
	for _, c := range series {
		if ctx.Err() != nil {
			break
		}
		d, err := s.snapshotOne(ctx, sc, tgt, c)
		if d.Name != "" {
			res.Snapshots = append(res.Snapshots, d.Name)
			written += d.Size
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	switch {
	case ctx.Err() != nil:
		res.Outcome, res.Error = OutcomeAborted, "aborted: the server is shutting down"
	case len(errs) > 0:
		res.Outcome, res.Error = OutcomeFailed, errors.Join(errs...).Error()
	default:
		res.Outcome = OutcomeSuccess
		res.Deleted = s.retain(sc)
	}
	res.End = s.o.Clock.Now().UTC()
	s.finish(sc, res, manual, attempt, written)
	return res
}

// snapshotOne makes the snapshot of one series (a collection, or
// FullSeries), records it, and verifies it when the schedule says so. A
// snapshot that fails its verification stays recorded, marked bad.
func (s *Scheduler) snapshotOne(ctx context.Context, sc *sched, tgt Target, c string) (snapshot.Description, error) {
	var d snapshot.Description
	var err error
	if c == FullSeries {
		d, err = tgt.CreateFull(ctx)
	} else {
		d, err = tgt.CreateCollection(ctx, c)
	}
	if err != nil {
		if c == FullSeries {
			return d, fmt.Errorf("full snapshot: %w", err)
		}
		return d, fmt.Errorf("collection %s: %w", c, err)
	}
	var verr error
	if sc.Verify {
		coll := c
		if c == FullSeries {
			coll = ""
		}
		if verr = s.o.VerifyFunc(ctx, sc.Target, coll, d); verr != nil {
			verr = fmt.Errorf("verify %s: %w", d.Name, verr)
		}
	}
	// The scheduler's clock dates the snapshot (retention's days and
	// weeks), not the archive's modification time.
	now := s.o.Clock.Now().UTC()
	h := heldSnapshot{Collection: c, Name: d.Name, Target: sc.Target, Created: now, Size: d.Size, Bad: verr != nil}
	s.locked(func() {
		ss := s.st.Schedules[sc.Name]
		ss.Snapshots = append(ss.Snapshots, h)
		if verr == nil {
			ss.Series[c] = now
		}
		s.saveLocked()
	})
	return d, verr
}

// retain deletes, series by series, the snapshots the schedule made that
// its policy releases, and returns their names. A snapshot found already
// gone is forgotten; one that cannot be deleted stays recorded and is
// tried again after the next successful run.
func (s *Scheduler) retain(sc *sched) []string {
	var held []heldSnapshot
	s.locked(func() { held = append(held, s.st.Schedules[sc.Name].Snapshots...) })
	gone := map[string]bool{}
	deleted := []string{}
	for _, snaps := range seriesOf(held) {
		_, release := Retain(sc.Keep, snaps)
		for _, h := range release {
			err := s.deleteOne(h)
			switch {
			case err == nil:
				deleted = append(deleted, h.Name)
				gone[key(h)] = true
			case errors.Is(err, snapshot.ErrNotFound):
				gone[key(h)] = true
			case errors.Is(err, engine.ErrNotFound):
				// The collection was deleted; its snapshots stay on disk
				// (as Qdrant keeps them) and recorded.
			default:
				s.log.Warn("backup retention could not delete a snapshot; it stays recorded", "schedule", sc.Name,
					"collection", h.Collection, "snapshot", h.Name, "error", err)
			}
		}
	}
	s.locked(func() {
		ss := s.st.Schedules[sc.Name]
		kept := ss.Snapshots[:0]
		for _, h := range ss.Snapshots {
			if !gone[key(h)] {
				kept = append(kept, h)
			}
		}
		ss.Snapshots = kept
		s.saveLocked()
	})
	return deleted
}

func key(h heldSnapshot) string { return h.Target + "\x00" + h.Collection + "\x00" + h.Name }

// deleteOne deletes a recorded snapshot through the target it was made
// on; a target no longer configured keeps it.
func (s *Scheduler) deleteOne(h heldSnapshot) error {
	tgt, ok := s.o.Targets[h.Target]
	if !ok {
		return fmt.Errorf("target %s is not configured", h.Target)
	}
	if h.Collection == FullSeries {
		return tgt.DeleteFull(h.Name)
	}
	return tgt.DeleteCollection(h.Collection, h.Name)
}

// finish records a run's outcome in the state file, the metrics and the
// log.
func (s *Scheduler) finish(sc *sched, res RunResult, manual bool, attempt int, written int64) {
	s.locked(func() {
		ss := s.st.Schedules[sc.Name]
		ss.LastRun = &runRecord{Start: res.Start, End: res.End, Outcome: res.Outcome, Error: res.Error, Manual: manual, Attempt: attempt}
		ss.addRun(runEntry{Start: res.Start, End: res.End, Outcome: res.Outcome, Error: res.Error, Manual: manual,
			Bytes: written, Snapshots: len(res.Snapshots)})
		switch res.Outcome {
		case OutcomeSuccess:
			t := res.End
			ss.LastSuccess, ss.Failures = &t, 0
		case OutcomeFailed:
			ss.Failures++
		}
		s.saveLocked()
	})
	s.m.observe(sc, res, written)
	attrs := []any{"schedule", sc.Name, "outcome", res.Outcome, "manual", manual, "snapshots", len(res.Snapshots),
		"deleted", len(res.Deleted), "bytes", written, "duration", res.End.Sub(res.Start)}
	if res.Outcome == OutcomeSuccess {
		s.log.Info("backup run", attrs...)
	} else {
		s.log.Warn("backup run", append(attrs, "error", res.Error)...)
	}
	if s.afterRun != nil {
		s.afterRun(sc.Name, res)
	}
}
